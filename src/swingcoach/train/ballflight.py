"""The ball-flight model: CaddieSet posture features (+ club) -> carry, distance, direction, side spin,
spin axis and a curve class, one small tree ensemble per camera view, cross-validated leave one
golfer out, exported to ONNX (`analysis/models/ballflight-<view>.onnx` + `ballflight.json`).

Only the features whose distribution ours reproduce (measured on GolfDB's annotated swings, see
`feature_agreement`) are used: a feature we compute differently from CaddieSet would feed the model
numbers from another scale. Needs the `train` extra (pandas, scikit-learn, skl2onnx).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from swingcoach.analysis.ballflight import (
    BALLFLIGHT_CARD,
    BALLFLIGHT_NAME,
    CLUBS,
    CURVE_NAMES,
    MODEL_DIR,
    TARGETS,
    curve_class,
)
from swingcoach.analysis.body import SwingBody, shipped_lifter
from swingcoach.analysis.caddieset import CADDIESET_VIEWS, FEATURES, caddieset_features
from swingcoach.analysis.metrics import StandardView
from swingcoach.analysis.swing import orient
from swingcoach.errors import InputError
from swingcoach.pose.landmark_files import load_landmark_file

# A feature is used when the median of ours on GolfDB's swings lies within this many of CaddieSet's
# interquartile ranges of its median (pros and CaddieSet's amateurs differ, so the check is coarse).
MAX_MEDIAN_SHIFT_IQR = 0.75
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUARTILES = (0.25, 0.5, 0.75)
# "Better" swings, whose feature ranges the advice moves toward: straight (|spin axis| <= 5°) and
# at least the club's median carry.
STRAIGHT_AXIS_DEG = 5.0
SEED = 0
EXAMPLES = 4
DRIVING_FEATURES = 5


@dataclass(frozen=True)
class ForestSettings:
    trees: int = 60
    min_leaf: int = 20
    max_features: float = 0.3


def load_caddieset(path: Path) -> pd.DataFrame:
    """CaddieSet.csv with its spreadsheet errors (#NAME?, inf) as missing values."""
    if not path.is_file():
        raise InputError(f"CaddieSet file not found: {path}")
    frame = pd.read_csv(path, na_values=["#NAME?", "#DIV/0!"])
    numeric = frame.columns.difference(["View", "ClubType"])
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    unknown = set(frame["ClubType"]) - set(CLUBS)
    if unknown:
        raise InputError(f"unknown clubs in {path}: {sorted(unknown)}")
    return frame


def golfdb_features(poses: Path) -> dict[StandardView, pd.DataFrame]:
    """Our CaddieSet features of GolfDB's face-on and down-the-line landmark files, at GolfDB's
    annotated events (so only the feature definitions are compared, not our event detector)."""
    rows: dict[StandardView, list[dict[str, float | None]]] = {v: [] for v in FEATURES}
    for path in sorted(poses.glob("*.npz")):
        with np.load(path) as z:
            view, events = str(z["view"]), [float(e) for e in z["events"]]
        if view not in rows:
            continue
        sequence = load_landmark_file(path)
        world = shipped_lifter().lift(sequence)
        if orient(sequence, world, None).handedness == "left":
            sequence = sequence.mirrored()
        body = SwingBody.from_sequence(sequence, events[0])
        rows[view].append(caddieset_features(body.keypoints, tuple(events), view))  # type: ignore[index]
    return {view: pd.DataFrame(r, dtype=float) for view, r in rows.items()}


def feature_agreement(caddieset: pd.DataFrame, ours: dict[StandardView, pd.DataFrame]) -> dict[str, Any]:
    """Per view and feature: quartiles of ours and of CaddieSet's, and the median shift in IQRs."""
    out: dict[str, Any] = {}
    for view, columns in FEATURES.items():
        theirs = caddieset[caddieset["View"] == CADDIESET_VIEWS[view]]
        rows = {}
        for column in columns:
            q_ours = np.array(quantiles(ours[view][column], QUARTILES))
            q_theirs = np.array(quantiles(theirs[column], QUARTILES))
            iqr = max(float(q_theirs[2] - q_theirs[0]), 1e-6)
            shift = float((q_ours[1] - q_theirs[1]) / iqr)
            rows[column] = {
                "ours": q_ours.tolist(),
                "caddieset": q_theirs.tolist(),
                "shift_iqr": round(shift, 2),
                "used": abs(shift) <= MAX_MEDIAN_SHIFT_IQR,
            }
        out[view] = {"swings": len(ours[view]), "features": rows}
    return out


def design(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Features, then the club one-hot, as the ONNX model takes them."""
    clubs = np.stack([(frame["ClubType"] == c).to_numpy(float) for c in CLUBS], axis=1)
    return np.concatenate([frame[features].to_numpy(float), clubs], axis=1).astype(np.float32)


def club_means(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    overall = frame[list(TARGETS)].mean()
    means = frame.groupby("ClubType")[list(TARGETS)].mean()
    return {
        club: {t: float(means.loc[club, t]) if club in means.index else float(overall[t]) for t in TARGETS}
        for club in CLUBS
    }


def baseline(frame: pd.DataFrame, means: dict[str, dict[str, float]]) -> np.ndarray:
    return np.array([[means[c][t] for t in TARGETS] for c in frame["ClubType"]])


def forest(settings: ForestSettings) -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="median"),
        ExtraTreesRegressor(
            n_estimators=settings.trees,
            min_samples_leaf=settings.min_leaf,
            max_features=settings.max_features,
            random_state=SEED,
            n_jobs=1,
        ),
    )


def linear() -> Pipeline:
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), RidgeCV(np.logspace(0, 5, 21)))


def fit_residual(
    model: Pipeline, frame: pd.DataFrame, features: list[str]
) -> tuple[Pipeline, dict, np.ndarray]:
    """The model learns the outcome minus the club's mean, in units of the residuals' spread."""
    means = club_means(frame)
    residual = frame[list(TARGETS)].to_numpy(float) - baseline(frame, means)
    scale = residual.std(axis=0) + 1e-9
    model.fit(design(frame, features), residual / scale)
    return model, means, scale


def predict_residual(
    model: Pipeline, means: dict, scale: np.ndarray, frame: pd.DataFrame, features: list[str]
) -> np.ndarray:
    return baseline(frame, means) + model.predict(design(frame, features)) * scale


def figures(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    out = {
        f"{t}_mae": round(float(np.mean(np.abs(predicted[:, i] - truth[:, i]))), 3)
        for i, t in enumerate(TARGETS)
    }
    axis, direction = TARGETS.index("SpinAxis"), TARGETS.index("DirectionAngle")
    out["direction_sign_accuracy"] = round(
        float(np.mean(np.sign(predicted[:, direction]) == np.sign(truth[:, direction]))), 3
    )
    out["curve_accuracy"] = round(
        float(np.mean(curve_class(predicted[:, axis]) == curve_class(truth[:, axis]))), 3
    )
    return out


def confusion(truth: np.ndarray, predicted: np.ndarray) -> list[list[int]]:
    """Rows: the true curve class, columns: the predicted (CURVE_NAMES order)."""
    matrix = np.zeros((len(CURVE_NAMES), len(CURVE_NAMES)), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix.tolist()


def cross_validate(frame: pd.DataFrame, features: list[str], settings: ForestSettings) -> dict[str, Any]:
    """Leave one golfer out: a golfer's swings are never in both the training and the test fold.
    Per-club mean, ridge (linear) and the forest, on the same folds."""
    truth = frame[list(TARGETS)].to_numpy(float)
    golfers = frame["GolferId"].to_numpy()
    predicted = {name: np.zeros_like(truth) for name in ("club_mean", "linear", "forest")}
    majority = np.zeros(len(frame), dtype=np.int64)
    axis = TARGETS.index("SpinAxis")
    for train_rows, test_rows in LeaveOneGroupOut().split(truth, groups=golfers):
        train, test = frame.iloc[train_rows], frame.iloc[test_rows]
        predicted["club_mean"][test_rows] = baseline(test, club_means(train))
        for name, make in (("linear", linear), ("forest", lambda: forest(settings))):
            model, means, scale = fit_residual(make(), train, features)
            predicted[name][test_rows] = predict_residual(model, means, scale, test, features)
        majority[test_rows] = np.bincount(
            curve_class(truth[train_rows, axis]), minlength=len(CURVE_NAMES)
        ).argmax()
    result: dict[str, Any] = {name: figures(truth, p) for name, p in predicted.items()}
    result["forest_curve_confusion"] = confusion(
        curve_class(truth[:, axis]), curve_class(predicted["forest"][:, axis])
    )
    result["majority_curve_accuracy"] = round(float(np.mean(majority == curve_class(truth[:, axis]))), 3)
    result["swings"], result["golfers"] = len(frame), len(np.unique(golfers))
    return result


def better_swings(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["SpinAxis"].abs() <= STRAIGHT_AXIS_DEG) & (rows["Carry"] >= rows["Carry"].median())]


def quantiles(values: pd.Series, at: tuple[float, ...]) -> list[float]:
    return [round(float(v), 3) for v in values.quantile(list(at)).to_numpy()]


def better_swing_ranges(frame: pd.DataFrame, features: list[str]) -> dict[str, dict[str, list[float]]]:
    """Per club: the quantiles of each feature over the straight swings of at least median carry."""
    out: dict[str, dict[str, list[float]]] = {}
    for club in CLUBS:
        rows = frame[frame["ClubType"] == club]
        if len(rows) < 20:
            rows = frame
        better = rows[
            (rows["SpinAxis"].abs() <= STRAIGHT_AXIS_DEG) & (rows["Carry"] >= rows["Carry"].median())
        ]
        out[club] = {
            f: [round(float(v), 3) for v in better[f].quantile(list(QUANTILES)).to_numpy()] for f in features
        }
    return out


def feature_ranges(frame: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """Per club: N and the p25 / median / p75 of each feature over all swings and the better ones."""
    out: dict[str, Any] = {}
    for club in CLUBS:
        rows = frame[frame["ClubType"] == club]
        better = better_swings(rows)
        out[club] = {
            "swings": len(rows),
            "better_swings": len(better),
            "all": {f: quantiles(rows[f], QUARTILES) for f in features},
            "better": {f: quantiles(better[f], QUARTILES) for f in features},
        }
    return out


def driving(model: Pipeline, features: list[str], count: int = DRIVING_FEATURES) -> list[str]:
    """The features the ensemble splits on most (mean impurity decrease over its outputs)."""
    importance = model[-1].feature_importances_[: len(features)]
    return [features[i] for i in np.argsort(-importance)[:count]]


def export_onnx(model: Pipeline, inputs: int, path: Path) -> None:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    onnx_model = to_onnx(
        model,
        np.zeros((1, inputs), dtype=np.float32),
        target_opset={"": 17, "ai.onnx.ml": 3},
        final_types=[("variable", FloatTensorType([None, len(TARGETS)]))],
    )
    path.write_bytes(onnx_model.SerializeToString())


def train_ballflight(
    data: Path, out: Path = MODEL_DIR, settings: ForestSettings | None = None
) -> dict[str, Any]:
    """Check the features on GolfDB, cross-validate, fit on all of CaddieSet and export per view."""
    settings = settings or ForestSettings()
    frame = load_caddieset(data / "caddieset" / "CaddieSet.csv")
    agreement = feature_agreement(frame, golfdb_features(data / "golfdb" / "poses"))
    card: dict[str, Any] = {
        "name": BALLFLIGHT_NAME,
        "targets": list(TARGETS),
        "clubs": list(CLUBS),
        "curve": {"names": list(CURVE_NAMES)},
        "settings": settings.__dict__,
        "views": {},
    }
    out.mkdir(parents=True, exist_ok=True)
    for view in FEATURES:
        rows = frame[frame["View"] == CADDIESET_VIEWS[view]].reset_index(drop=True)
        features = [c for c, a in agreement[view]["features"].items() if a["used"]]
        cv = cross_validate(rows, features, settings)
        model, means, scale = fit_residual(forest(settings), rows, features)
        export_onnx(model, len(features) + len(CLUBS), out / f"ballflight-{view}.onnx")
        examples = rows.iloc[:: max(1, len(rows) // EXAMPLES)][:EXAMPLES]
        card["views"][view] = {
            "features": features,
            "club_means": means,
            "residual_scale": [float(s) for s in scale],
            "better_swings": better_swing_ranges(rows, features),
            "bounds": {f: quantiles(rows[f], (0.01, 0.99)) for f in features},
            "driving": driving(model, features),
            "cross_validation": cv,
            "feature_agreement": agreement[view],
            # CaddieSet swings with the fitted model's predictions: the shipped ONNX must reproduce them.
            "examples": [
                {
                    "club": str(row["ClubType"]),
                    "features": {f: None if pd.isna(row[f]) else float(row[f]) for f in features},
                    "predicted": [round(float(v), 4) for v in predicted],
                }
                for (_, row), predicted in zip(
                    examples.iterrows(),
                    predict_residual(model, means, scale, examples, features),
                    strict=True,
                )
            ],
        }
    (out / BALLFLIGHT_CARD).write_text(json.dumps(card, indent=1) + "\n")
    return card
