"""`bench all`'s accuracy sections on the shared data: the lifter section (the quickest to run)
through the suite and into the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from swingcoach.bench.report import render_markdown
from swingcoach.bench.suite import LIFTERS, run_suite


@pytest.mark.data
def test_lift_section_reports_mpjpe_and_the_int8_change(shared_data: Path) -> None:
    results = run_suite(shared_data, True, {"lift"}, "swingcoach bench all --only lift", print, print)
    section = results["accuracy"]["lift"]
    assert [m["name"] for m in section["models"]] == list(LIFTERS)
    fp32, int8 = section["models"]
    for model in (fp32, int8):
        # Every frame of S9 and S11 seen by one camera (quick): 73,544 + 58,244 frames.
        assert model["frames"] == {"sh": 131_788, "gt": 131_788}
        for source in ("sh", "gt"):
            assert 20 < model["pa_mpjpe_mm"][source] < model["mpjpe_mm"][source] < 200
        # Projected ground truth is cleaner input than the detector's 2D.
        assert model["mpjpe_mm"]["gt"] < model["mpjpe_mm"]["sh"]
    assert abs(int8["mpjpe_mm"]["sh"] - fp32["mpjpe_mm"]["sh"]) < 10
    text = render_markdown(results)
    assert f"| {fp32['model']} | {fp32['mpjpe_mm']['sh']:.1f} |" in text
    assert f"{int8['mpjpe_mm']['sh'] - fp32['mpjpe_mm']['sh']:+.1f} vs fp32" in text
