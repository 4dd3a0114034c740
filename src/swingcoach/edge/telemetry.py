"""Optional MQTT telemetry, as an IoT camera reports to its broker.

Topics under `<prefix>/<device>/`:
- `status`: "online" / "offline" (retained; "offline" is the broker-held last will, so a device
  that dies is reported too);
- `state`: the swing finder's state, idle / address / swing / finish (retained);
- `swing`: one JSON message per saved swing (QoS 1: queued while the broker is away);
- `posture`, `repetition` (yoga and exercise): {label: probability} a few times a second (QoS 0:
  only the latest matters), and one message per counted repetition (QoS 1).
"""

from __future__ import annotations

import json
import re
from typing import Any

import paho.mqtt.client as mqtt

from swingcoach.edge.library import SwingEntry

MAX_QUEUED = 1000  # swing messages held while the broker is unreachable


def parse_broker(spec: str) -> tuple[str, int]:
    """host[:port], optionally prefixed by mqtt://."""
    host, _, port = spec.removeprefix("mqtt://").rstrip("/").partition(":")
    if not host or (port and not port.isdigit()):
        raise ValueError(f"MQTT broker must be host[:port], got {spec!r}")
    return host, int(port or 1883)


def swing_message(entry: SwingEntry) -> dict[str, Any]:
    events = entry.events.model_dump() if entry.events else None
    return {
        "swing_id": str(entry.id),
        "recorded_at": entry.recorded_at.isoformat(),
        "start_s": round(entry.start_time_s, 3),
        "duration_s": round(entry.duration_s, 3),
        "handedness": entry.handedness,
        "view": entry.view,
        "events_s": None if events is None else {k: round(entry.time_at(f), 3) for k, f in events.items()},
    }


class Telemetry:
    def __init__(self, broker: str, device: str, prefix: str = "swingcoach") -> None:
        host, port = parse_broker(broker)
        self.topic = f"{prefix}/{re.sub(r'[^A-Za-z0-9_.-]', '_', device)}"
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{self.topic}-device")
        self._client.max_queued_messages_set(MAX_QUEUED)
        self._client.will_set(f"{self.topic}/status", "offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.connect_async(host, port, keepalive=30)
        self._client.loop_start()  # connects and reconnects in the background

    def _on_connect(self, client: mqtt.Client, *_: object) -> None:
        client.publish(f"{self.topic}/status", "online", qos=1, retain=True)

    def state(self, state: str) -> None:
        self._client.publish(f"{self.topic}/state", state, qos=1, retain=True)  # QoS 1: kept until connected

    def swing_saved(self, entry: SwingEntry) -> mqtt.MQTTMessageInfo:
        return self._client.publish(f"{self.topic}/swing", json.dumps(swing_message(entry)), qos=1)

    def publish(self, subtopic: str, message: dict[str, Any]) -> mqtt.MQTTMessageInfo:
        qos = 0 if subtopic == "posture" else 1
        return self._client.publish(f"{self.topic}/{subtopic}", json.dumps(message), qos=qos)

    def close(self) -> None:
        """Best effort: telemetry is not the durable channel (the outbox is)."""
        if self._client.is_connected():
            self._client.publish(f"{self.topic}/status", "offline", qos=1, retain=True).wait_for_publish(2.0)
        self._client.disconnect()  # a clean disconnect does not fire the will
        self._client.loop_stop()
