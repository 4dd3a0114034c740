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
    return {"name": shipped.name, "settings": shipped.card["settings"], "views": views}
