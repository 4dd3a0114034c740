"""Video: decode any source frame by frame, write browser-playable clips."""

from swingcoach.video.source import CameraSource, FileSource, Frame, FrameSource, VideoInfo, open_source
from swingcoach.video.writer import VideoWriter

__all__ = ["CameraSource", "FileSource", "Frame", "FrameSource", "VideoInfo", "VideoWriter", "open_source"]
