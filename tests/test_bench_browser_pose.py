"""`swingcoach bench browser-pose` without a browser: the agreement figures, the candidate list and
the command (the browser runs are the benchmark's, docs/web.md)."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from swingcoach.bench.browser_pose import PCK_SHARE, agreement, candidates
from swingcoach.cli.app import app
from swingcoach.pose.skeleton import K


def standing() -> np.ndarray:
    """17 [x, y, visibility]: shoulders 100 px above the hips (a torso of 100 px)."""
    points = np.zeros((17, 3))
    points[:, 2] = 1.0
    points[[K.L_SHOULDER, K.R_SHOULDER], 1] = 100.0
    points[[K.L_HIP, K.R_HIP], 1] = 200.0
    return points


def test_agreement_is_in_torso_lengths_and_counts_misses() -> None:
    truth = standing()
    close = truth.copy()
    close[:, 0] += 5.0  # 0.05 torso
    far = truth.copy()
    far[:, 0] += 50.0  # 0.5 torso
    # The reference posed three frames (and not a fourth, which is left out); the candidate missed one.
    found, median, pck = agreement(
        [close.tolist(), far.tolist(), None, close.tolist()], [truth, truth, truth, None]
    )
    assert found == 2 / 3
    assert np.isclose(median, 0.275)  # the median of 17 x 0.05 and 17 x 0.5
    assert 0.05 <= PCK_SHARE < 0.5 and pck == 1 / 3  # 17 hits of 3 x 17


def test_agreement_without_reference_poses_is_unknown() -> None:
    assert agreement([standing().tolist()], [None]) == (None, None, None)


def test_every_model_is_a_candidate_on_every_backend() -> None:
    rows = {(c.model, c.runtime, c.backend): c for c in candidates()}
    for backend in ("wasm", "webgl", "webgpu"):
        assert ("student", "onnxruntime-web", backend) in rows
        for model in ("blazepose-lite", "blazepose-full"):
            assert (model, "tasks-vision", backend) in rows
    # Rows a runtime cannot run say why, and the student's vendored wasm needs nothing from npm.
    assert rows[("blazepose-full", "tasks-vision", "webgpu")].unsupported.startswith("not run:")
    assert not rows[("student", "onnxruntime-web", "wasm")].needs_npm
    assert rows[("blazepose-full", "mediapipe-pose", "webgl")].needs_npm


def test_the_command_is_registered() -> None:
    result = CliRunner().invoke(app, ["bench", "browser-pose", "--help"])
    assert result.exit_code == 0 and "--budget" in result.output
