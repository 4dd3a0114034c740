"""`swingcoach bench ranges`: the timing metrics' reference ranges, measured on GolfDB's annotated swings.

GolfDB (McNally et al., CVPR Workshops 2019; CC BY-NC 4.0) annotates 8 events in 1,400 swings of tour
players filmed from YouTube. Its Address is the frame before the club starts moving, so a swing's
backswing is Top - Address frames and its downswing Impact - Top; tempo = backswing / downswing.

- Only real-time footage is used (`slow == 0`). Dropped, in this order: swings whose events are not in
  strictly increasing order; slow-motion swings; swings labelled real time whose downswing is over
  `analysis.metrics.SLOW_MOTION_DOWNSWING_S` (the analysis' own rule for slow motion: no golfer takes
  that long from top to impact, so the label or the frame rate is wrong).
- golfDB.pkl holds no frame rate. Seconds assume `pose.landmark_files.DEFAULT_FPS` (30), the rate the
  repository assumes for every GolfDB file; the one GolfDB clip here (`clips/0.mp4`) is 29.97 fps. The
  tempo ratio needs no frame rate.
- Our measurement error: the 80 GolfDB landmark files (`poses/*.npz`, BlazePose lite on the 160 px
  clips) go through `analysis.swing.analyze_swing` with the shipped event detector, and each measured
  timing is compared with the one the annotated events give. The shipped event model was trained on
  these clips, so its top and impact are in-sample there: the error is a lower bound. The errors are
  then added to every annotated swing (each swing with each error) to give the band a tour swing's
  *measured* value falls in, and the share of tour swings our measurement scores as in range.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from swingcoach.analysis.metrics import SLOW_MOTION_DOWNSWING_S
from swingcoach.errors import InputError
from swingcoach.pose.landmark_files import DEFAULT_FPS

GOLFDB_FPS = DEFAULT_FPS
METRICS = ("tempo_ratio", "backswing_s", "downswing_s")
PERCENTILES = (10, 25, 50, 75, 90)
# The band that scores 100: the middle half of the real-time tour swings, every club and view (the
# analysis knows neither the club nor, for the times, needs the view).
BAND = ("p25", "p75")
DECIMALS = {"tempo_ratio": 2, "backswing_s": 2, "downswing_s": 2}
# GolfDB's event columns: [clip_start, Address, Toe-up, Mid-backswing, Top, Mid-downswing, Impact,
# Mid-follow-through, Finish, clip_end].
ADDRESS, TOP, IMPACT = 1, 4, 6


@dataclass
class Distribution:
    n: int
    p10: float
    p25: float
    median: float
    p75: float
    p90: float

    @classmethod
    def of(cls, values: np.ndarray) -> Distribution | None:
        values = np.asarray(values, dtype=np.float64)
        if len(values) == 0:
            return None
        p10, p25, median, p75, p90 = (float(v) for v in np.percentile(values, PERCENTILES))
        return cls(len(values), p10, p25, median, p75, p90)

    def band(self, decimals: int) -> tuple[float, float]:
        """The BAND percentiles rounded outward to `decimals`, so both stay inside the band."""
        low, high = (getattr(self, name) for name in BAND)
        scale = 10**decimals
        return (
            round(math.floor(low * scale + 1e-9) / scale, decimals),
            round(math.ceil(high * scale - 1e-9) / scale, decimals),
        )


def golfdb_file(data: Path) -> Path:
    """`data` is golfDB.pkl or the folder holding it."""
    path = data / "golfDB.pkl" if data.is_dir() else data
    if not path.is_file():
        raise InputError(f"GolfDB annotations not found: {path} (pass --data)")
    return path


def annotated_timings(data: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Real-time GolfDB swings: their club, view and three timings; and the drops, by reason."""
    import pandas as pd  # the bench and dev extras; never the analysis run time

    with warnings.catch_warnings():  # the pickle names numpy.core (written with numpy 1.x): harmless
        warnings.filterwarnings("ignore", "numpy.core", DeprecationWarning)
        table = pd.read_pickle(golfdb_file(data))
    events = np.stack(table["events"].to_numpy()).astype(np.int64)
    ordered = (np.diff(events, axis=1) > 0).all(axis=1)
    slow = table["slow"].to_numpy() != 0
    downswing_s = (events[:, IMPACT] - events[:, TOP]) / GOLFDB_FPS
    too_slow = downswing_s > SLOW_MOTION_DOWNSWING_S
    dropped = {
        "events out of order": int((~ordered).sum()),
        "slow motion": int((ordered & slow).sum()),
        f"labelled real time, downswing over {SLOW_MOTION_DOWNSWING_S:g} s": int(
            (ordered & ~slow & too_slow).sum()
        ),
    }
    keep = ordered & ~slow & ~too_slow
    backswing = (events[keep, TOP] - events[keep, ADDRESS]).astype(np.float64)
    downswing = (events[keep, IMPACT] - events[keep, TOP]).astype(np.float64)
    swings = {
        "club": table["club"].to_numpy()[keep].astype(str),
        "view": table["view"].to_numpy()[keep].astype(str),
        "tempo_ratio": backswing / downswing,
        "backswing_s": backswing / GOLFDB_FPS,
        "downswing_s": downswing / GOLFDB_FPS,
    }
    return swings, dropped


@dataclass
class MeasuredSwing:
    """One GolfDB landmark file: its timings from the annotated events and from our analysis."""

    id: str
    slow: bool
    annotated: dict[str, float]
    measured: dict[str, float | None]
    problem: str | None


def measured_timings(data: Path) -> list[MeasuredSwing]:
    """Every `poses/*.npz` through the analysis (shipped event detector), next to its annotation."""
    from swingcoach.analysis.swing import analyze_swing
    from swingcoach.swing.events import create_event_detector
    from swingcoach.train.events_data import load_golfdb

    folder = data if data.is_dir() else data.parent
    detector = create_event_detector()
    out = []
    for clip in load_golfdb(folder):
        address, top, impact = (int(clip.events[i]) for i in (0, 3, 5))  # the clip's 8 events
        fps = clip.sequence.fps
        timing = analyze_swing(clip.sequence, detector).measured.timing
        out.append(
            MeasuredSwing(
                id=clip.name,
                slow=clip.slow,
                annotated={
                    "tempo_ratio": (top - address) / (impact - top),
                    "backswing_s": (top - address) / fps,
                    "downswing_s": (impact - top) / fps,
                },
                measured={
                    "tempo_ratio": timing.tempo_ratio,
                    "backswing_s": timing.backswing_s,
                    "downswing_s": timing.downswing_s,
                },
                problem=timing.problem,
            )
        )
    return out


@dataclass
class MeasurementEffect:
    """What our measurement error does to one metric's band (real-time landmark files)."""

    swings: int  # real-time landmark files with this metric measured
    without: int  # real-time landmark files where it could not be measured (no still address)
    bias: float  # median of measured - annotated
    median_abs_error: float
    p90_abs_error: float
    band: tuple[float, float]  # the scoring band (annotated p25-p75)
    measured_band: tuple[float, float]  # p25-p75 of every annotated swing plus every measured error
    measured_p10_p90: tuple[float, float]
    in_band: float  # share of the annotated tour swings inside the band
    in_band_measured: float  # ... and of their measured values (each swing with each error)
    files_inside: tuple[int, int]  # landmark files annotated inside the band; of those, measured inside


def measurement_effect(
    annotated: np.ndarray, band: tuple[float, float], files: list[MeasuredSwing], metric: str
) -> MeasurementEffect | None:
    real_time = [f for f in files if not f.slow]
    pairs = [(f.annotated[metric], f.measured[metric]) for f in real_time if f.measured[metric] is not None]
    if not pairs:
        return None
    truth, measured = np.array(pairs, dtype=np.float64).T
    error = measured - truth
    spread = (annotated[:, None] + error[None, :]).ravel()
    low, high = band

    def inside(values: np.ndarray) -> np.ndarray:
        return (values >= low) & (values <= high)

    p10, p25, p75, p90 = (float(v) for v in np.percentile(spread, (10, 25, 75, 90)))
    return MeasurementEffect(
        swings=len(pairs),
        without=len(real_time) - len(pairs),
        bias=float(np.median(error)),
        median_abs_error=float(np.median(np.abs(error))),
        p90_abs_error=float(np.percentile(np.abs(error), 90)),
        band=band,
        measured_band=(p25, p75),
        measured_p10_p90=(p10, p90),
        in_band=float(inside(annotated).mean()),
        in_band_measured=float(inside(spread).mean()),
        files_inside=(int(inside(truth).sum()), int((inside(truth) & inside(measured)).sum())),
    )


def grouped(values: np.ndarray, labels: np.ndarray) -> dict[str, Distribution | None]:
    return {str(label): Distribution.of(values[labels == label]) for label in sorted(set(labels))}


def run_ranges(data: Path, with_error: bool = True) -> dict[str, Any]:
    """The three timing metrics' distributions (overall, per club, per view), the band each scores as
    100, and (with_error) what our measurement error does to it."""
    swings, dropped = annotated_timings(data)
    files = measured_timings(data) if with_error else []
    metrics: dict[str, Any] = {}
    for metric in METRICS:
        values = swings[metric]
        overall = Distribution.of(values)
        assert overall is not None
        band = overall.band(DECIMALS[metric])
        effect = measurement_effect(values, band, files, metric) if with_error else None
        metrics[metric] = {
            "overall": overall,
            "club": grouped(values, swings["club"]),
            "view": grouped(values, swings["view"]),
            "band": band,
            "measurement": effect,
        }
    return {
        "source": str(golfdb_file(data)),
        "fps_assumed": GOLFDB_FPS,
        "swings": len(swings["tempo_ratio"]),
        "dropped": dropped,
        "band_percentiles": list(BAND),
        "metrics": metrics,
        "landmark_files": len(files),
        "landmark_files_real_time": sum(not f.slow for f in files),
    }


def derived_band(data: Path, metric: str) -> tuple[float, float]:
    """The band `references.toml` should hold for `metric` (no landmark files needed)."""
    return run_ranges(data, with_error=False)["metrics"][metric]["band"]


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """The result with its dataclasses as plain dicts."""

    def plain(value: Any) -> Any:
        if isinstance(value, Distribution | MeasurementEffect):
            return {k: plain(v) for k, v in asdict(value).items()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, float):
            return round(value, 4)
        return value

    return plain(result)
