"""One frame iterator for every source: video files, network streams and cameras.

Frames are decoded one at a time, so memory stays bounded however long the video is.
Rotation metadata (phones record portrait video as rotated landscape) is applied to every frame.
`VideoLimits` bound what a file may make the decoder do: its header is checked before any frame is
decoded (`probe`), and every decoded frame again, since headers can lie.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import av
import cv2
import numpy as np

from swingcoach.errors import InputError
from swingcoach.video.heap import keep_frames_off_the_heap

NETWORK_SCHEMES = ("rtsp://", "rtmp://", "http://", "https://", "udp://", "tcp://")
# A file that yields fewer frames than its header promises, by more than this, is truncated.
TRUNCATION_TOLERANCE = 0.05


class VideoLimitError(InputError):
    """The video is longer, has more frames or larger frames than the limits allow."""


@dataclass(frozen=True)
class VideoLimits:
    max_seconds: float
    max_frames: int
    max_pixels: int  # width x height of one frame
    # Each decoder thread holds a picture in flight: decoding 4K took ~150 MB with 2 threads, ~540 MB
    # with 17 (FFmpeg's default on 16 cores).
    decode_threads: int = 2

    @property
    def decoder_options(self) -> dict[str, str]:
        # FFmpeg itself refuses to allocate a larger picture, also while probing the stream.
        return {"max_pixels": str(self.max_pixels)}

    def check_size(self, width: int, height: int) -> None:
        if width * height > self.max_pixels:
            raise VideoLimitError(
                f"the video's frames are {width}x{height} ({width * height / 1e6:.1f} Mpx); "
                f"at most {self.max_pixels / 1e6:.1f} Mpx are allowed (3840x2160 is 8.3)"
            )

    def check_length(self, frames: int | None, seconds: float | None) -> None:
        # "At least": while decoding, the count so far is all that is known.
        if frames is not None and frames > self.max_frames:
            raise VideoLimitError(
                f"the video holds at least {frames} frames; at most {self.max_frames} are allowed"
            )
        if seconds is not None and seconds > self.max_seconds:
            raise VideoLimitError(
                f"the video runs at least {seconds:.2f} s; at most {self.max_seconds:g} s are allowed"
            )


@dataclass(frozen=True)
class Frame:
    index: int
    time_s: float
    image: np.ndarray  # BGR, uint8, upright


@dataclass(frozen=True)
class VideoInfo:
    source: str
    fps: float
    width: int  # upright, after rotation
    height: int
    frame_count: int | None  # from the container header; None for live sources
    rotation: int = 0  # degrees applied to make frames upright
    codec: str = ""
    turn: int = 0  # degrees clockwise beyond the file's own rotation (FileSource's `turn`)

    @property
    def duration_s(self) -> float | None:
        return None if self.frame_count is None else self.frame_count / self.fps


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded frame upright given the stream's display rotation (degrees counter-clockwise)."""
    turns = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    code = turns.get(rotation % 360)
    return image if code is None else cv2.rotate(image, code)


def _open_container(
    spec: str | BinaryIO, limits: VideoLimits | None, options: dict[str, str] | None = None
) -> av.container.InputContainer:
    name = spec if isinstance(spec, str) else "the video"
    stream_options = None if limits is None else [limits.decoder_options]
    try:
        container = av.open(spec, "r", options=options or {}, stream_options=stream_options, timeout=10.0)
    except (av.FFmpegError, OSError) as exc:
        raise InputError(f"not a readable video: {name} ({exc.__class__.__name__})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"no video stream in {name}")
    return container


def check_header(container: av.container.InputContainer, limits: VideoLimits) -> None:
    """What the header claims (frame size, frame count, duration; each where it says) against the
    limits, before any frame is decoded."""
    stream = container.streams.video[0]
    limits.check_size(stream.codec_context.width, stream.codec_context.height)
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    limits.check_length(stream.frames or None, seconds)


def probe(file: str | Path | BinaryIO, limits: VideoLimits) -> None:
    """Check a video's header against the limits without decoding a frame (VideoLimitError); a
    file the demuxer cannot read passes: decoding it is where that is found out."""
    try:
        container = _open_container(str(file) if isinstance(file, Path) else file, limits)
    except InputError:
        return
    with container:
        check_header(container, limits)


class Closeable(ABC):
    """Usable in `with`: closes on exit."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class FrameSource(Closeable):
    info: VideoInfo

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...


class FileSource(FrameSource):
    """Video files (mp4, mov, avi, webm, mkv, ...) and network streams, decoded with FFmpeg (PyAV)."""

    def __init__(
        self, spec: str | Path, limits: VideoLimits | None = None, turn: int = 0, max_side: int | None = None
    ) -> None:
        """`turn`: degrees clockwise to turn the picture beyond the file's own rotation (0, 90, 180,
        270). `max_side`: frames come scaled down to at most this many pixels on their long side
        (the decoder's scaler does it with the colour conversion, cheaper than resizing after)."""
        if turn % 90:
            raise InputError(f"a video can be turned by 0, 90, 180 or 270 degrees, not {turn}")
        keep_frames_off_the_heap()
        spec = str(spec)
        self.limits = limits
        self.is_live = spec.startswith(NETWORK_SCHEMES)
        if not self.is_live:
            path = Path(spec)
            if not path.exists():
                raise InputError(f"file not found: {spec}")
            if not path.is_file():
                raise InputError(f"not a file: {spec}")
            if path.stat().st_size == 0:
                raise InputError(f"empty file: {spec}")
        options = {"rtsp_transport": "tcp"} if spec.startswith("rtsp://") else {}
        self._container = _open_container(spec, limits, options)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate or Fraction(30)
        width, height = self._stream.codec_context.width, self._stream.codec_context.height
        if limits is not None:
            try:  # before the first frame is decoded (the rotation probe below)
                check_header(self._container, limits)
            except VideoLimitError:
                self._container.close()
                raise
            self._stream.codec_context.options = limits.decoder_options
            self._stream.codec_context.thread_count = limits.decode_threads
        rotation = (self._probe_rotation() - turn) % 360
        if rotation % 180 == 90:
            width, height = height, width
        if width <= 0 or height <= 0:
            self._container.close()
            raise InputError(f"not a readable video: {spec} (no frame size)")
        self._scale = 1.0 if max_side is None else min(1.0, max_side / max(width, height))
        width, height = round(width * self._scale), round(height * self._scale)
        self.info = VideoInfo(
            source=spec,
            fps=float(rate),
            width=width,
            height=height,
            frame_count=None if self.is_live else (self._stream.frames or None),
            rotation=rotation,
            codec=self._stream.codec_context.name,
            turn=turn % 360,
        )

    def _probe_rotation(self) -> int:
        """Read the first frame's display rotation, then rewind."""
        try:
            first = next(self._container.decode(self._stream))
        except (av.FFmpegError, StopIteration):
            raise InputError(f"not a readable video: {self._container.name} (no decodable frame)") from None
        rotation = round(first.rotation) % 360
        if not self.is_live:
            self._container.seek(0, stream=self._stream)
        return rotation

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        start_pts = None
        try:
            for packet_frame in self._container.decode(self._stream):
                if packet_frame.pts is not None and packet_frame.time_base is not None:
                    start_pts = packet_frame.pts if start_pts is None else start_pts
                    time_s = float((packet_frame.pts - start_pts) * packet_frame.time_base)
                else:
                    time_s = index / self.info.fps
                if self.limits is not None:  # what was decoded, whatever the header said
                    self.limits.check_size(packet_frame.width, packet_frame.height)
                    self.limits.check_length(index + 1, time_s)
                image = upright(self._to_bgr(packet_frame), self.info.rotation)
                yield Frame(index, time_s, image)
                index += 1
        except av.FFmpegError:
            larger = "" if self.limits is None else f", or its frames exceed {self.limits.max_pixels} pixels"
            raise InputError(
                f"video is corrupt or truncated after frame {index}{larger}: {self.info.source}"
            ) from None
        expected = self.info.frame_count
        if expected and index < expected * (1 - TRUNCATION_TOLERANCE):
            raise InputError(f"video is truncated: decoded {index} of {expected} frames: {self.info.source}")

    def _to_bgr(self, frame: av.VideoFrame) -> np.ndarray:
        if self._scale == 1.0:
            return frame.to_ndarray(format="bgr24")
        size = round(frame.width * self._scale), round(frame.height * self._scale)
        return frame.reformat(width=size[0], height=size[1], format="bgr24").to_ndarray()

    def close(self) -> None:
        self._container.close()


class CameraSource(FrameSource):
    """A local camera by index (laptop webcam, Raspberry Pi camera through V4L2)."""

    def __init__(self, index: int) -> None:
        keep_frames_off_the_heap()
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            raise InputError(f"camera {index} could not be opened")
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 30.0
        self.info = VideoInfo(
            source=f"camera:{index}",
            fps=float(fps),
            width=int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            frame_count=None,
        )

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        start = None
        while True:
            ok, image = self._capture.read()
            if not ok:
                return
            now = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            start = now if start is None else start
            yield Frame(index, now - start if now > 0 else index / self.info.fps, image)
            index += 1

    def close(self) -> None:
        self._capture.release()


def open_source(spec: str | int | Path, turn: int = 0) -> FrameSource:
    """A camera index ("0", 0), a network URL or a file path (`turn`: see FileSource)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    return FileSource(spec, turn=turn)
