"""Live views relayed from devices to viewers: each stream keeps only its newest frame, and every
viewer gets the newest one when it is ready for the next (a slow viewer skips frames instead of
falling behind). Held in the API process: a device and its viewers must reach the same process
(one `serve` process, or sticky routing by stream)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

MAX_STREAMS = 1000
OFFLINE_AFTER_S = 10.0  # a stream with no frame for this long is not listed as live


@dataclass
class Frame:
    sequence: int
    jpeg: bytes
    captured_at: float  # the device's clock, epoch seconds: the viewer's latency measure
    received_at: float


class LiveViewRelay:
    def __init__(self) -> None:
        self._frames: dict[tuple[uuid.UUID, str], Frame] = {}
        self._changed: dict[tuple[uuid.UUID, str], asyncio.Condition] = {}

    def live(self, owner: uuid.UUID) -> list[str]:
        now = time.time()
        return sorted(
            name
            for (who, name), frame in self._frames.items()
            if who == owner and now - frame.received_at < OFFLINE_AFTER_S
        )

    async def publish(self, owner: uuid.UUID, name: str, jpeg: bytes, captured_at: float) -> int:
        key = (owner, name)
        if key not in self._frames and len(self._frames) >= MAX_STREAMS:
            self._forget_offline()
            if len(self._frames) >= MAX_STREAMS:
                raise OverflowError("too many live streams on this server")
        condition = self._changed.setdefault(key, asyncio.Condition())
        async with condition:
            previous = self._frames.get(key)
            sequence = 1 if previous is None else previous.sequence + 1
            self._frames[key] = Frame(sequence, jpeg, captured_at, time.time())
            condition.notify_all()
        return sequence

    async def next_frame(self, owner: uuid.UUID, name: str, after: int, timeout_s: float) -> Frame | None:
        """The newest frame after number `after`, waiting up to `timeout_s` for one."""
        key = (owner, name)
        condition = self._changed.setdefault(key, asyncio.Condition())
        async with condition:
            try:
                await asyncio.wait_for(
                    condition.wait_for(
                        lambda: (f := self._frames.get(key)) is not None and f.sequence > after
                    ),
                    timeout_s,
                )
            except TimeoutError:
                return None
            return self._frames[key]

    def _forget_offline(self) -> None:
        now = time.time()
        for key in [k for k, f in self._frames.items() if now - f.received_at >= OFFLINE_AFTER_S]:
            del self._frames[key]
            self._changed.pop(key, None)
