"""Movements (exercises): which exercise, the repetitions (counted as they happen), each one's tempo
and range of motion.

A repetition is one cycle of the body's main motion: the body-frame joints and the body's position
(in body sizes) are projected on their first principal component, the cycle length is read from that
signal's autocorrelation, and each cycle ends at a peak at least most of a cycle after the last."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from swingcoach.posture.classifier import PostureClassifier
from swingcoach.posture.features import ANGLE_NAMES, body_frame, fill_gaps, joint_angles

MIN_PERIOD_S = 0.25
MAX_PERIOD_S = 8.0
# A cycle must be this clear in the autocorrelation, and a peak this prominent against the signal's
# spread, to count.
MIN_PERIODICITY = 0.1
MIN_PROMINENCE = 0.25
MIN_PEAK_GAP = 0.6  # of the cycle length
DRIFT_S = 4.0
# The main motion must span this much of the body's size (RMS radius): below it is tracking noise.
MIN_AMPLITUDE = 0.1


@dataclass(frozen=True)
class Repetition:
    index: int
    start_frame: int
    end_frame: int
    duration_s: float
    joint: str  # the joint angle that moves most in this repetition
    range_deg: float  # its range of motion


def motion_signal(points: np.ndarray, fps: float) -> np.ndarray:
    """(T, 12, 2) image-space joints -> (T,) the main motion: the first principal component of the
    body-frame joints and the body's centre in body sizes, less their drift (a moving average over
    the longest cycle), so walking or a panning camera does not hide the repetitions."""
    with warnings.catch_warnings():  # frames or joints never seen are NaN and end up as 0
        warnings.simplefilter("ignore", RuntimeWarning)
        return _motion_signal(points, fps)


def _motion_signal(points: np.ndarray, fps: float) -> np.ndarray:
    filled = fill_gaps(points)
    frame, _ = body_frame(filled)
    centre = np.nanmean(filled, axis=1)
    size = np.nanmedian(np.sqrt(np.nansum((filled - centre[:, None]) ** 2, axis=-1).mean(1))) or 1.0
    signals = np.concatenate(
        [frame.reshape(len(points), -1), (centre - np.nanmedian(centre, 0)) / size], axis=1
    )
    signals = np.nan_to_num(signals - np.nanmean(signals, 0))
    if len(signals) < 3 or not signals.any():
        return np.zeros(len(points))
    drift = int(min(len(signals) // 2, DRIFT_S * fps)) | 1
    if drift > 2:
        kernel = np.ones(drift) / drift
        padded = np.pad(signals, ((drift // 2, drift // 2), (0, 0)), mode="edge")
        signals = signals - np.stack(
            [np.convolve(padded[:, c], kernel, "valid") for c in range(signals.shape[1])], 1
        )
    _, _, vt = np.linalg.svd(signals, full_matrices=False)
    return signals @ vt[0]


def smooth(signal: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return signal
    kernel = np.hanning(width + 2)[1:-1]
    padded = np.pad(signal, width, mode="edge")
    return np.convolve(padded, kernel / kernel.sum(), mode="same")[width:-width]


def cycle_frames(signal: np.ndarray, fps: float) -> float | None:
    """The signal's cycle length in frames (the first clear autocorrelation peak), None if aperiodic."""
    x = signal - signal.mean()
    low, high = max(2, int(MIN_PERIOD_S * fps)), min(len(x) // 2, int(MAX_PERIOD_S * fps))
    if high <= low or not x.any():
        return None
    spectrum = np.fft.rfft(x, 2 * len(x))
    correlation = np.fft.irfft(spectrum * np.conj(spectrum))[: len(x)]
    correlation /= correlation[0]
    lags = np.arange(low, high + 1)
    # Normalise by the overlap so long lags are not penalised; a cycle is a local peak of it (the
    # slope down from lag 0 is not one), and the first peak nearly as high as the best is the cycle
    # (the others are its multiples).
    values = correlation[lags] * len(x) / (len(x) - lags)
    peaks = [i for i in range(1, len(values) - 1) if values[i] >= values[i - 1] and values[i] > values[i + 1]]
    if not peaks:
        return None
    best = max(values[i] for i in peaks)
    if best < MIN_PERIODICITY:
        return None
    return float(lags[next(i for i in peaks if values[i] >= 0.8 * best)])


def repetition_ends(signal: np.ndarray, period: float) -> list[int]:
    """Frames where each repetition ends: one peak of the smoothed signal per cycle of `period`
    frames (`cycle_frames`), on the side of the signal where the turns are sharper."""
    smoothed = smooth(signal, max(1, int(period / 6)))
    spread = float(np.percentile(smoothed, 90) - np.percentile(smoothed, 10))
    if spread < MIN_AMPLITUDE:
        return []
    best: list[int] = []
    for sign in (1.0, -1.0):
        x = sign * smoothed
        ends: list[int] = []
        for i in range(1, len(x) - 1):
            if not (x[i] >= x[i - 1] and x[i] > x[i + 1]):
                continue
            window = x[max(0, i - int(period / 2)) : i + int(period / 2) + 1]
            if x[i] - window.min() < MIN_PROMINENCE * spread or x[i] < window.max():
                continue
            if ends and i - ends[-1] < MIN_PEAK_GAP * period:
                continue
            ends.append(i)
        # A peak less than most of a cycle after the first seen frame ends a cycle that began before
        # the recording.
        first_seen = int(np.argmax(np.abs(signal) > 0))
        ends = [i for i in ends if i - first_seen >= MIN_PEAK_GAP * period]
        if len(ends) > len(best):
            best = ends
    return best


def repetitions(points: np.ndarray, fps: float) -> list[Repetition]:
    """(T, 12, 2) -> the repetitions found, with each one's duration and the range of its most
    moving joint angle. The first starts a cycle before its end (the recording may start mid-cycle)."""
    signal = motion_signal(points, fps)
    period = cycle_frames(signal, fps)
    ends = [] if period is None else repetition_ends(signal, period)
    if not ends:
        return []
    angles = joint_angles(fill_gaps(points))
    out = []
    for index, end in enumerate(ends):
        start = ends[index - 1] if index else max(0, int(end - period))
        segment = np.nan_to_num(angles[start : end + 1], nan=0.0)
        ranges = segment.max(0) - segment.min(0)
        joint = int(ranges.argmax())
        out.append(
            Repetition(index, start, end, (end - start) / fps, ANGLE_NAMES[joint], float(ranges[joint]))
        )
    return out


class RepetitionCounter:
    """Counts repetitions as they happen: each new frame re-reads the last `window_s` seconds and a
    repetition is announced once its end is behind a confirmed peak."""

    def __init__(self, fps: float, window_s: float = 20.0) -> None:
        self.fps = fps
        self.window = int(window_s * fps)
        self.reset()

    def reset(self) -> None:
        self._points: list[np.ndarray] = []
        self._first_frame = 0
        self._counted_until = -1
        self.count = 0

    def update(self, points: np.ndarray) -> Repetition | None:
        """`points` (12, 2) of the next frame -> the repetition that just ended, if one did."""
        self._points.append(points)
        if len(self._points) > self.window:
            self._points.pop(0)
            self._first_frame += 1
        if len(self._points) < int(2 * MIN_PERIOD_S * self.fps) + 3:
            return None
        found = repetitions(np.stack(self._points), self.fps)
        # Only peaks at least a few frames old are certain; each is announced once.
        # A peak found again a frame or two later than before is the same repetition.
        settled = [
            r
            for r in found
            if r.end_frame + self._first_frame > self._counted_until + MIN_PEAK_GAP * r.duration_s * self.fps
            and r.end_frame < len(self._points) - 3
        ]
        if not settled:
            return None
        newest = settled[0]
        self._counted_until = newest.end_frame + self._first_frame
        self.count += 1
        return Repetition(
            self.count - 1,
            newest.start_frame + self._first_frame,
            self._counted_until,
            newest.duration_s,
            newest.joint,
            newest.range_deg,
        )


@dataclass(frozen=True)
class MovementReading:
    exercise: str
    confidence: float
    probabilities: dict[str, float]
    repetitions: list[Repetition]


def analyse_movement(classifier: PostureClassifier, points: np.ndarray, fps: float) -> MovementReading:
    probabilities = classifier.probabilities(points)[0]
    best = int(probabilities.argmax())
    return MovementReading(
        exercise=classifier.bank.labels[best],
        confidence=float(probabilities[best]),
        probabilities={
            n: round(float(p), 4) for n, p in zip(classifier.bank.labels, probabilities, strict=True)
        },
        repetitions=repetitions(points, fps),
    )
