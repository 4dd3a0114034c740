"""What the swing's posture does to the ball: the ball-flight model trained on CaddieSet
(`swingcoach train ballflight`; card in analysis/models/README.md) run with onnxruntime, and advice
found by counterfactuals: each feature moved, alone, to where CaddieSet's straight, long swings of
the same club and view are, and the predicted change of the ball's flight.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from swingcoach.analysis.caddieset import caddieset_features, split_name
from swingcoach.analysis.metrics import StandardView
from swingcoach.schemas import BallFlight, BallFlightAdvice, Club, FlightUncertainty, View
from swingcoach.swing.events import EVENT_NAMES, EVENT_WORDS

MODEL_DIR = Path(__file__).with_name("models")
BALLFLIGHT_CARD = "ballflight.json"
BALLFLIGHT_NAME = "ballflight-extratrees-1"
TARGETS = ("Carry", "Distance", "DirectionAngle", "SpinSide", "SpinAxis")
CLUBS = ("W1", "W3", "I4", "I5", "I6", "I7", "I8", "I9")
# Spin axis (degrees, launch-monitor convention: negative curves left for a right-handed golfer).
CURVE_NAMES = ("hook", "draw", "straight", "fade", "slice")
CURVE_EDGES_DEG = (-15.0, -5.0, 5.0, 15.0)
DEFAULT_CLUB: Club = "driver"  # when the golfer does not say: CaddieSet's most common club
# Our club names -> CaddieSet's.
CLUB_CODES: dict[str, str] = {"driver": "W1", "3-wood": "W3", **{f"{n}-iron": f"I{n}" for n in range(4, 10)}}
# More of the features than this outside the 1st-99th percentiles of CaddieSet's swings: the posture
# is not one the model has seen.
MAX_OUT_OF_RANGE = 0.25
MAX_DATA_ADVICE = 3
# A change the model predicts below this is within its noise: no advice.
MIN_CARRY_GAIN_M = 2.0
# The model speaks for a view only when, left one golfer out, it predicts carry at least this much
# better than the club's mean carry alone; otherwise the hand-written rules advise alone.
MIN_CV_GAIN = 0.03
# The CaddieSet features that match one of our metrics: advice links to that metric's drills.
FEATURE_METRICS: dict[str, tuple[str, str]] = {
    # name: (metric of references.toml, its fault when the feature should go up)
    "HIP-SHIFTED": ("hip_shift_impact", "low"),
    "HEAD-LOC": ("head_sway_impact", "high"),
    "SPINE-ANGLE": ("spine_tilt_impact", "high"),
    "HIP-LINE": ("hip_depth_impact", "low"),
    "LEFT-ARM-ANGLE": ("lead_arm_top", "low"),
    "RIGHT-LEG-ANGLE": ("trail_knee_flex_top", "high"),
    "WEIGHT-SHIFT": ("weight_shift_finish", "high"),
}
FEATURE_WORDS = {
    "SHOULDER-ANGLE": "the shoulder line's tilt",
    "UPPER-TILT": "your torso-to-leg proportion",
    "STANCE-RATIO": "your stance width (in shoulder widths)",
    "HEAD-LOC": "your head's move toward the target (shoulder widths)",
    "SHOULDER-LOC": "your lead shoulder's place behind the lead foot (% of the stance)",
    "LEFT-ARM-ANGLE": "your lead arm's angle",
    "RIGHT-ARM-ANGLE": "your trail arm's angle",
    "HIP-ROTATION": "your hip line's turn in the image",
    "HIP-SHIFTED": "your hips' move toward the target (shoulder widths)",
    "RIGHT-LEG-ANGLE": "your trail leg's angle",
    "SHOULDER-HANGING-BACK": "how far your lead shoulder hangs back (stance widths)",
    "HIP-HANGING-BACK": "how far your lead hip hangs back (stance widths)",
    "RIGHT-ARMPIT-ANGLE": "your trail armpit angle",
    "WEIGHT-SHIFT": "the lead ankle-to-hip line",
    "FINISH-ANGLE": "the lead ankle-to-trail hip line",
    "SPINE-ANGLE": "your spine's angle from horizontal",
    "LOWER-ANGLE": "your trail knee's angle",
    "HIP-LINE": "your hips' move toward the ball (torso lengths)",
    "HIP-ANGLE": "your hip line's turn in the image",
    "RIGHT-DISTANCE": "the gap between trail elbow and torso",
    "LEFT-LEG-ANGLE": "your lead leg's angle",
}


def curve_class(spin_axis: np.ndarray) -> np.ndarray:
    """Index into CURVE_NAMES for each spin axis (degrees)."""
    return np.digitize(np.asarray(spin_axis, dtype=np.float64), CURVE_EDGES_DEG)


class BallFlightModel:
    """The shipped per-view ensembles and their card."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        self.card: dict[str, Any] = json.loads((directory / BALLFLIGHT_CARD).read_text())
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.sessions = {
            view: ort.InferenceSession(
                str(directory / f"ballflight-{view}.onnx"), options, providers=["CPUExecutionProvider"]
            )
            for view in self.card["views"]
        }

    @classmethod
    @cache
    def shipped(cls) -> BallFlightModel:
        return cls()

    @property
    def name(self) -> str:
        return str(self.card["name"])

    def carry_errors(self, view: StandardView) -> tuple[float, float]:
        """Cross-validated carry MAE (m) of the model and of the club's mean alone."""
        cv = self.card["views"][view]["cross_validation"]
        return float(cv["forest"]["Carry_mae"]), float(cv["club_mean"]["Carry_mae"])

    def supported(self, view: StandardView) -> bool:
        model, club_only = self.carry_errors(view)
        return model <= club_only * (1 - MIN_CV_GAIN)

    def driving_features(
        self, view: StandardView, features: dict[str, float | None]
    ) -> dict[str, float | None]:
        """The view's most important features (by the ensemble's impurity decrease) of these."""
        return {name: features.get(name) for name in self.card["views"][view]["driving"]}

    def features(self, view: StandardView) -> list[str]:
        return self.card["views"][view]["features"]

    def predict_rows(self, view: StandardView, rows: np.ndarray, club: str) -> np.ndarray:
        """Rows of the view's features (NaN = missing) -> (N, len(TARGETS)) outcomes."""
        spec = self.card["views"][view]
        clubs = np.zeros((len(rows), len(CLUBS)), dtype=np.float32)
        clubs[:, CLUBS.index(club)] = 1.0
        session = self.sessions[view]
        inputs = np.concatenate([rows.astype(np.float32), clubs], axis=1)
        residual = session.run(None, {session.get_inputs()[0].name: inputs})[0]
        means = np.array([spec["club_means"][club][t] for t in TARGETS])
        return means + residual * np.array(spec["residual_scale"])

    def row(self, view: StandardView, features: dict[str, float | None]) -> np.ndarray:
        return np.array([[np.nan if features.get(f) is None else features[f] for f in self.features(view)]])

    def predict(self, view: StandardView, features: dict[str, float | None], club: str = "W1") -> np.ndarray:
        """The outcomes (TARGETS order) of one swing's features."""
        return self.predict_rows(view, self.row(view, features), club)[0]

    def advice(
        self, view: StandardView, features: dict[str, float | None], club: str = "W1"
    ) -> list[BallFlightAdvice]:
        """Up to three single-feature changes, toward the quantiles CaddieSet's straight, long swings
        of this club reach, with the largest predicted carry gain (at least MIN_CARRY_GAIN_M) that
        do not make the ball curve more."""
        names = self.features(view)
        base = self.row(view, features)
        ranges = self.card["views"][view]["better_swings"][club]
        candidates: list[tuple[int, float]] = []
        for i, name in enumerate(names):
            if np.isnan(base[0, i]):
                continue
            candidates += [(i, float(q)) for q in ranges[name] if abs(q - base[0, i]) > 1e-6]
        if not candidates:
            return []
        rows = np.repeat(base, len(candidates) + 1, axis=0)
        for k, (i, value) in enumerate(candidates, start=1):
            rows[k, i] = value
        outcomes = self.predict_rows(view, rows, club)
        carry, axis = TARGETS.index("Carry"), TARGETS.index("SpinAxis")
        gains = outcomes[1:, carry] - outcomes[0, carry]
        straighter = np.abs(outcomes[1:, axis]) <= np.abs(outcomes[0, axis]) + 0.5
        best: dict[int, tuple[float, float]] = {}
        for (i, value), gain, ok in zip(candidates, gains, straighter, strict=True):
            if ok and gain >= MIN_CARRY_GAIN_M and gain > best.get(i, (0.0, 0.0))[1]:
                best[i] = (value, float(gain))
        chosen = sorted(best.items(), key=lambda item: -item[1][1])[:MAX_DATA_ADVICE]
        return [self._advice(names[i], float(base[0, i]), value, gain) for i, (value, gain) in chosen]

    @staticmethod
    def _advice(column: str, value: float, target: float, gain: float) -> BallFlightAdvice:
        event, name = split_name(column)
        gain = round(gain, 1)
        metric, fault_up = FEATURE_METRICS.get(name, (None, None))
        fault = None
        if metric is not None and fault_up is not None:
            fault = f"{metric}:{fault_up if target > value else ('high' if fault_up == 'low' else 'low')}"
        when = EVENT_WORDS[EVENT_NAMES[event]].capitalize()
        text = (
            f"{when}, {FEATURE_WORDS[name]} is {value:.2f}; CaddieSet swings of "
            f"this club that fly straight and long reach {target:.2f}. Moving it there goes with about "
            f"{gain:.0f} m more carry in the model."
        )
        return BallFlightAdvice(
            feature=column,
            value=round(value, 3),
            target=round(target, 3),
            carry_gain_m=gain,
            text=text,
            fault=fault,
        )


def out_of_range(model: BallFlightModel, view: StandardView, features: dict[str, float | None]) -> float:
    """Share of the measured features outside the 1st-99th percentiles of CaddieSet's swings."""
    bounds = model.card["views"][view]["bounds"]
    measured = [(f, features[f]) for f in model.features(view) if features.get(f) is not None]
    outside = sum(not bounds[f][0] <= value <= bounds[f][1] for f, value in measured)  # type: ignore[operator]
    return outside / len(measured) if measured else 1.0


def ball_flight(
    keypoints: np.ndarray,
    positions: tuple[float, ...],
    view: StandardView,
    camera: View,
    club: Club = DEFAULT_CLUB,
    model: BallFlightModel | None = None,
) -> BallFlight:
    """The ball flight one right-handed swing's posture predicts, measured from `view` (the camera
    itself was classified `camera`), and the data's advice where the data supports any."""
    model = model or BallFlightModel.shipped()
    code = CLUB_CODES[club]
    features = caddieset_features(keypoints, positions, view)
    carry, distance, direction, side_spin, spin_axis = (
        round(float(v), 1) for v in model.predict(view, features, code)
    )
    errors = model.card["views"][view]["cross_validation"]["forest"]
    error, club_only = model.carry_errors(view)
    outside = out_of_range(model, view, features)
    domain_note = None
    if camera == "other":
        domain_note = (
            "The camera is between face on and down the line: CaddieSet filmed only those two views, so "
            "the model does not know this angle."
        )
    elif outside > MAX_OUT_OF_RANGE:
        domain_note = (
            f"{outside:.0%} of the posture features lie outside the range of CaddieSet's swings: the "
            "model has not seen a posture like this."
        )
    supported = model.supported(view) and domain_note is None
    advice = model.advice(view, features, code) if supported else []
    if not model.supported(view):
        note = (
            f"From {view}, posture predicts carry no better than the club alone on golfers the model "
            f"never saw ({error:.1f} m against {club_only:.1f} m): no advice from data; the advice "
            "above comes from coaching rules."
        )
    elif domain_note is not None:
        note = (
            "Outside what the model knows: no advice from data; the advice above comes from coaching rules."
        )
    else:
        note = (
            f"Predicted for a {club} from CaddieSet's {view} swings; carry is predicted within "
            f"{error:.0f} m on golfers the model never saw (the club alone: {club_only:.0f} m)."
        )
    return BallFlight(
        model=model.name,
        club=club,
        carry=carry,
        distance=distance,
        direction_deg=direction,
        side_spin_rpm=side_spin,
        spin_axis_deg=spin_axis,
        curve=CURVE_NAMES[int(curve_class(np.array([spin_axis]))[0])],  # type: ignore[arg-type]
        uncertainty=FlightUncertainty(
            carry=errors["Carry_mae"],
            distance=errors["Distance_mae"],
            direction_deg=errors["DirectionAngle_mae"],
            spin_axis_deg=errors["SpinAxis_mae"],
        ),
        in_domain=domain_note is None,
        domain_note=domain_note,
        supported=supported,
        note=note,
        features=features,
        advice=advice,
    )
