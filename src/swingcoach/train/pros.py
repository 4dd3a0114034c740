"""`swingcoach train pros`: GolfDB's face-on and down-the-line tour swings measured by our own
analysis, as the reference the golfer's swing is compared with (analysis/pro_swings.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from swingcoach.analysis.pros import PRO_FILE, ProReference, pro_record
from swingcoach.analysis.swing import analyze_swing
from swingcoach.errors import InputError, NoSwingError
from swingcoach.pose.landmark_files import load_landmark_file
from swingcoach.swing.events import create_event_detector

REFERENCE_NAME = "GolfDB tour swings (McNally et al. 2019, CC BY-NC 4.0)"


def build_pro_reference(poses: Path, out: Path = PRO_FILE) -> dict[str, Any]:
    """Each face-on or down-the-line landmark file analysed as a golfer's swing would be (default
    event detector, our lifter); kept when the tracking passes and our view agrees with GolfDB's."""
    paths = sorted(poses.glob("*.npz"), key=lambda p: (len(p.stem), p.stem))
    if not paths:
        raise InputError(f"no GolfDB landmark files (*.npz) in {poses}")
    detector = create_event_detector()
    nothing = ProReference(name="", views={})
    views: dict[str, list[dict[str, Any]]] = {"face-on": [], "down-the-line": []}
    skipped: dict[str, list[str]] = {"other view": [], "view disagrees": [], "tracking": [], "no swing": []}
    for path in paths:
        with np.load(path) as z:
            view, club = str(z["view"]), str(z["club"])
        if view not in views:
            skipped["other view"].append(path.stem)
            continue
        try:
            analysis = analyze_swing(load_landmark_file(path), detector, pros=nothing)
        except NoSwingError:
            skipped["no swing"].append(path.stem)
            continue
        if not analysis.quality.acceptable:
            skipped["tracking"].append(path.stem)
        elif analysis.orientation.standard_view != view:
            skipped["view disagrees"].append(path.stem)
        else:
            record = pro_record(
                analysis.report.metrics, analysis.measured.body.keypoints, analysis.events.positions, club
            )
            views[view].append({"id": path.stem, **record})
    reference = {"name": REFERENCE_NAME, "detector": detector.version, "skipped": skipped, "views": views}
    out.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    return reference
