"""Device settings: command-line options override environment variables (`SWINGCOACH_*`)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from swingcoach.errors import SwingcoachError
from swingcoach.swing.detect import DetectorSettings

RECOGNITION_DELAY_S = 1.0  # takeaway to the moment the swing finder reports it, at most


class SettingsError(SwingcoachError):
    """An option or environment variable the device cannot work with."""

    exit_code = 2


def default_library_dir() -> Path:
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "swingcoach" / "library"


class EdgeSettings(BaseSettings):
    """Everything the device needs besides its video source and pose model."""

    model_config = SettingsConfigDict(env_prefix="SWINGCOACH_", extra="ignore")

    library: Path = Field(default_factory=default_library_dir)
    device: str = Field(default_factory=socket.gethostname, max_length=200)

    # Adaptive pose rate (frames per second): nobody in view / somebody in view but not at address /
    # at address and during the swing (None: every frame of the source).
    empty_fps: float = Field(default=2.0, gt=0)
    idle_fps: float = Field(default=5.0, gt=0)
    full_fps: float | None = Field(default=None, gt=0)
    adaptive: bool = True

    # Frames kept before the swing is recognised (pre-roll plus the time it takes to recognise the
    # takeaway); raw frames, so this bounds the memory: seconds x fps x width x height x 3 bytes.
    ring_s: float = Field(default=3.5, gt=0)
    clip_max_side: int = Field(default=960, ge=64)

    # Upload: a server URL and either a token or an account to log in with.
    server: str | None = None
    token: SecretStr | None = None
    email: str | None = None
    password: SecretStr | None = None
    # keypoints: the payload (kilobytes; the server analyses it in milliseconds); video: the clip
    # instead (the server runs the whole pipeline). One or the other: the swing id names one swing.
    upload: Literal["keypoints", "video"] = "keypoints"
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_cap_s: float = Field(default=300.0, gt=0)
    request_timeout_s: float = Field(default=30.0, gt=0)

    # Telemetry: MQTT broker as host[:port] (mqtt:// prefix allowed).
    mqtt: str | None = None
    mqtt_topic: str = "swingcoach"

    @model_validator(mode="after")
    def _ring_holds_the_pre_roll(self) -> EdgeSettings:
        # The swing finder reports a takeaway up to about a second after the club starts back (the hands
        # must first travel takeaway_distance; poses lag the camera), and the cut then reaches back by
        # the pre-roll: a shorter ring would silently shorten every clip.
        needed = DetectorSettings.pre_roll_s + RECOGNITION_DELAY_S
        if self.ring_s < needed:
            raise ValueError(
                f"ring_s {self.ring_s:g} s cannot hold the swing cut's {DetectorSettings.pre_roll_s:g} s "
                f"pre-roll; it must be at least {needed:g} s"
            )
        return self
