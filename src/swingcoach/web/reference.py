"""The pro reference swing the analysis page draws beside the golfer's own.

It is the swing of the GolfDB demo video (`examples/golfdb_demo.mp4`: a professional's swing filmed
down the line, slow motion; GolfDB, McNally et al. 2019, CC BY-NC 4.0), as the COCO-17 keypoints in
`tests/fixtures/golfdb_demo_poses.npz`: the swing finder's cut, its 8 events from the rule detector,
and the 2D keypoints relative to the hip centre at address in torso lengths (y down, as drawn).

Regenerate static/reference/golfdb_demo.json (tests/web/test_reference.py checks it is current):
    python -m swingcoach.web.reference tests/fixtures/golfdb_demo_poses.npz
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from swingcoach.analysis.swing import analyze_swing
from swingcoach.pipeline import swing_sequences
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.skeleton import K
from swingcoach.swing.events import RuleEventDetector
from swingcoach.swing.features import interpolate_gaps, midpoint, torso_length

REFERENCE_FILE = Path(__file__).parent / "static" / "reference" / "golfdb_demo.json"
ATTRIBUTION = (
    "GolfDB demo video (github.com/wmcnally/golfdb): McNally et al., GolfDB: A Video Database for "
    "Golf Swing Sequencing, CVPR Workshops 2019. CC BY-NC 4.0."
)


def build_reference(sequence: PoseSequence) -> dict[str, Any]:
    """The first swing of the sequence as the analysis page's reference animation."""
    swing = swing_sequences(sequence)[0]
    analysis = analyze_swing(swing, RuleEventDetector())
    points = interpolate_gaps(swing.keypoints)[:, :, :2]
    first = int(swing.frame_indices[0])
    address = analysis.report.events.address - first
    origin = midpoint(points[address], K.L_HIP, K.R_HIP)
    normalized = (points - origin) / torso_length(swing.keypoints)
    return {
        "name": "Tour swing (GolfDB demo)",
        "attribution": ATTRIBUTION,
        "fps": swing.fps,
        "handedness": analysis.report.handedness,
        "view": analysis.report.view,
        "events": {name: frame - first for name, frame in analysis.report.events.model_dump().items()},
        "frames": np.round(normalized, 3).tolist(),
    }


def main(fixture: str) -> None:
    reference = build_reference(PoseSequence.load(fixture))
    REFERENCE_FILE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE_FILE.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    print(f"{REFERENCE_FILE}: {len(reference['frames'])} frames")


if __name__ == "__main__":
    main(sys.argv[1])
