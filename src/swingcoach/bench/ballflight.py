"""`swingcoach bench ballflight`: the shipped ball-flight model's protocol run again — our features
against CaddieSet's on GolfDB's annotated swings, and leave-one-golfer-out figures of the per-club
mean, a linear model and the shipped ensemble's settings; and CaddieSet's feature ranges by view and
club, over all swings and the straight, long ones (needs the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swingcoach.analysis.ballflight import BallFlightModel
from swingcoach.analysis.caddieset import CADDIESET_VIEWS, FEATURES
from swingcoach.train.ballflight import (
    ForestSettings,
    cross_validate,
    feature_agreement,
    feature_ranges,
    golfdb_features,
    load_caddieset,
)


def run_ballflight_bench(data: Path) -> dict[str, Any]:
    shipped = BallFlightModel.shipped()
    settings = ForestSettings(**shipped.card["settings"])
    frame = load_caddieset(data / "caddieset" / "CaddieSet.csv")
    agreement = feature_agreement(frame, golfdb_features(data / "golfdb" / "poses"))
    views: dict[str, Any] = {}
    for view in FEATURES:
        rows = frame[frame["View"] == CADDIESET_VIEWS[view]].reset_index(drop=True)
        views[view] = {
            "features": shipped.features(view),
            "cross_validation": cross_validate(rows, shipped.features(view), settings),
            "feature_agreement": agreement[view],
            "supported": shipped.supported(view),
            "ranges": feature_ranges(rows, list(FEATURES[view])),
        }
    return {**pooled(views), "name": shipped.name, "settings": shipped.card["settings"], "views": views}


PAPER = {
    "found": False,
    "note": (
        "CaddieSet's paper (Jung et al., CVPRW 2025, arXiv 2508.20491) reports benchmarks on its own split; "
        "its tables could not be retrieved on this machine (no internet, the stored copy holds only the "
        "abstract), so no figure of it is quoted or compared."
    ),
}


def pooled(views: dict[str, Any]) -> dict[str, Any]:
    """Both views' leave-one-golfer-out figures, weighted by their swings."""
    total = sum(v["cross_validation"]["swings"] for v in views.values())

    def mean(model: str, key: str) -> float:
        return round(
            sum(v["cross_validation"][model][key] * v["cross_validation"]["swings"] for v in views.values())
            / total,
            3,
        )

    def figures(model: str) -> dict[str, float]:
        return {
            "carry_mae": mean(model, "Carry_mae"),
            "distance_mae": mean(model, "Distance_mae"),
            "direction_mae_deg": mean(model, "DirectionAngle_mae"),
            "side_spin_mae_rpm": mean(model, "SpinSide_mae"),
            "curve_accuracy": mean(model, "curve_accuracy"),
            "direction_sign_accuracy": mean(model, "direction_sign_accuracy"),
        }

    majority = sum(
        v["cross_validation"]["majority_curve_accuracy"] * v["cross_validation"]["swings"]
        for v in views.values()
    )
    return {
        "protocol": "leave-one-golfer-out",
        "unit": "m (CaddieSet's carry and distance), degrees, rpm",
        "swings": total,
        **figures("forest"),
        "baselines": {
            "club_mean": figures("club_mean"),
            "linear": figures("linear"),
            "majority_curve": {"curve_accuracy": round(majority / total, 3)},
        },
        "paper": PAPER,
    }
