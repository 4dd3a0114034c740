"""The learned event detector: ordered decoding, the shipped ONNX models on real poses, frame-rate
and handedness invariance, and (with ../shared/data) its PCE and phone-swing phase accuracy."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from swingcoach.cli.app import app
from swingcoach.errors import NoSwingError
from swingcoach.pose.base import PoseSequence
from swingcoach.pose.landmark_files import load_landmark_file
from swingcoach.swing.events import (
    DEFAULT_DETECTOR,
    EVENT_NAMES,
    PHASE_NAMES,
    create_event_detector,
)
from swingcoach.swing.events.model import DEFAULT_MODEL, INT8_MODEL, LearnedEventDetector, decode_events

# Seen on the demo video frame by frame: the club head leaves the ball at ~50 (the hands follow
# from ~60), top 119, impact ~142, the club comes to rest in the finish at ~205-210.
DEMO_ADDRESS = 50
DEMO_TOP = 119
DEMO_IMPACT = 142
DEMO_FINISH = 207


def brute_force(event_lp: np.ndarray, phase_lp: np.ndarray | None, strict: bool) -> float:
    """Best total score over every ordered choice of 8 frames."""
    length = len(event_lp)
    choices = itertools.combinations if strict else itertools.combinations_with_replacement
    best = -np.inf
    for frames in choices(range(length), len(EVENT_NAMES)):
        score = sum(event_lp[t, k] for k, t in enumerate(frames))
        if phase_lp is not None:
            phases = np.searchsorted(np.array(frames), np.arange(length), side="left")
            score += phase_lp[np.arange(length), phases].sum()
        best = max(best, score)
    return best


def score_of(frames: tuple[int, ...], event_lp: np.ndarray, phase_lp: np.ndarray | None) -> float:
    score = sum(event_lp[t, k] for k, t in enumerate(frames))
    if phase_lp is not None:
        phases = np.searchsorted(np.array(frames), np.arange(len(event_lp)), side="left")
        score += phase_lp[np.arange(len(event_lp)), phases].sum()
    return score


@pytest.mark.parametrize("length", [4, 8, 10, 11])
@pytest.mark.parametrize("with_phases", [False, True])
def test_decoding_finds_the_best_ordered_events(length: int, with_phases: bool) -> None:
    rng = np.random.default_rng(length)
    for _ in range(5):
        event_lp = np.log(rng.dirichlet(np.ones(9), size=length))
        phase_lp = np.log(rng.dirichlet(np.ones(9), size=length)) if with_phases else None
        frames = decode_events(event_lp, phase_lp)
        strict = length >= len(EVENT_NAMES)
        steps = np.diff(frames)
        assert (steps >= 1).all() if strict else (steps >= 0).all()
        assert score_of(frames, event_lp, phase_lp) == pytest.approx(brute_force(event_lp, phase_lp, strict))


def test_phase_terms_place_the_boundaries() -> None:
    """Flat event scores: the events land exactly on the phase changes."""
    truth = (3, 6, 8, 12, 14, 15, 18, 25)
    phases = np.searchsorted(np.array(truth), np.arange(30), side="left")
    phase_lp = np.log(np.full((30, 9), 0.02))
    phase_lp[np.arange(30), phases] = np.log(0.84)
    assert decode_events(np.zeros((30, 9)), phase_lp) == truth


@pytest.mark.parametrize("model", [DEFAULT_MODEL, INT8_MODEL], ids=["fp32", "int8"])
def test_shipped_model_finds_the_demo_events(demo_poses: PoseSequence, model: Path) -> None:
    events = LearnedEventDetector(model).detect(demo_poses)
    assert list(events.frames) == sorted(events.frames)
    assert abs(events["top"] - DEMO_TOP) <= 4
    assert abs(events["impact"] - DEMO_IMPACT) <= 3
    assert abs(events["address"] - DEMO_ADDRESS) <= 4
    assert events["toe_up"] < events["mid_backswing"] < DEMO_TOP
    assert DEMO_IMPACT < events["mid_follow_through"] < events["finish"]
    assert abs(events["finish"] - DEMO_FINISH) <= 8


def test_probabilities_are_per_frame_distributions(demo_poses: PoseSequence) -> None:
    event_lp, phase_lp, tempo = LearnedEventDetector().log_probabilities(demo_poses)
    assert event_lp.shape == phase_lp.shape == (len(demo_poses), 9)
    np.testing.assert_allclose(np.exp(event_lp).sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.exp(phase_lp).sum(axis=1), 1, atol=1e-5)
    # Well before the takeaway the model is sure the swing has not started; well after impact
    # it is in the follow-through phases.
    assert np.exp(phase_lp[10, 0]) > 0.9
    assert np.exp(phase_lp[DEMO_IMPACT + 10, 6:]).sum() > 0.9
    assert tempo > 10  # slow motion: more frames per unit than a 30 fps swing's ~20


def resampled(sequence: PoseSequence, factor: int) -> PoseSequence:
    """The same swing filmed at `factor` times the frame rate (keypoints linearly interpolated)."""
    times = np.arange((len(sequence) - 1) * factor + 1) / factor
    flat = sequence.keypoints.reshape(len(sequence), -1)
    frames = np.arange(len(sequence))
    keypoints = np.stack([np.interp(times, frames, column) for column in flat.T], axis=1)
    return PoseSequence(
        keypoints.reshape(len(times), 17, 3),
        fps=sequence.fps * factor,
        width=sequence.width,
        height=sequence.height,
    )


def test_events_do_not_depend_on_the_frame_rate(demo_poses: PoseSequence) -> None:
    detector = LearnedEventDetector()
    base = np.array(detector.detect(demo_poses).frames)
    fast = np.array(detector.detect(resampled(demo_poses, 4)).frames) / 4
    assert np.abs(fast - base).max() <= 2


def test_mirrored_swing_gives_the_same_events(demo_poses: PoseSequence) -> None:
    detector = LearnedEventDetector()
    base = np.array(detector.detect(demo_poses).frames)
    mirrored = np.array(detector.detect(demo_poses.mirrored()).frames)
    assert np.abs(mirrored - base).max() <= 3


def test_standing_still_is_not_a_swing(demo_poses: PoseSequence) -> None:
    still = np.repeat(demo_poses.keypoints[45][None], 90, axis=0)
    sequence = PoseSequence(still, fps=30.0, width=demo_poses.width, height=demo_poses.height)
    with pytest.raises(NoSwingError):
        LearnedEventDetector().detect(sequence)


def test_learned_detector_is_the_default() -> None:
    assert DEFAULT_DETECTOR == "learned"
    detector = create_event_detector()
    assert isinstance(detector, LearnedEventDetector)
    # The version names the file and its content: a retrained model is a new version.
    digest = hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()[:8]
    assert detector.version == f"{DEFAULT_MODEL.stem}-{digest}"


def test_events_command_uses_the_learned_detector(tmp_path: Path, demo_poses: PoseSequence) -> None:
    from test_swing import _as_mediapipe_file

    path = _as_mediapipe_file(demo_poses, tmp_path / "demo.npz")
    result = CliRunner().invoke(app, ["events", "--landmarks", str(path), "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert events == sorted(events) and abs(events[5] - DEMO_IMPACT) <= 3


# Pinned figures of the shipped model; the GolfDB clips are its training data (the cross-validated
# figures are in docs/events.md, printed by `swingcoach bench events`).
SHIPPED_TRAINING_PCE = 0.825
# The goal is 90 %; the shipped model: 98.1, 92.7 and 97.3 % (model card).
PHONE_MIN_ACCURACY = {"swing1": 0.95, "swing2": 0.9, "swing3": 0.95}


@pytest.mark.data
def test_shipped_model_pce_on_golfdb(shared_data: Path) -> None:
    from swingcoach.train.events_data import pce_hits

    fp32, int8 = LearnedEventDetector(), LearnedEventDetector(INT8_MODEL)
    hits = {"fp32": [], "int8": []}
    for path in sorted((shared_data / "golfdb" / "poses").glob("*.npz")):
        sequence, truth = load_landmark_file(path), np.load(path)["events"]
        for name, detector in (("fp32", fp32), ("int8", int8)):
            hits[name].append(pce_hits(np.array(detector.detect(sequence).frames), truth))
    assert len(hits["fp32"]) == 80
    assert np.mean(hits["fp32"]) == pytest.approx(SHIPPED_TRAINING_PCE, abs=0.02)
    assert abs(np.mean(hits["int8"]) - np.mean(hits["fp32"])) <= 0.02


@pytest.mark.data
@pytest.mark.parametrize("name", sorted(PHONE_MIN_ACCURACY))
def test_phone_swing_phases_from_landmarks(shared_data: Path, name: str) -> None:
    """Phases of a phone swing the model never saw, from the MediaPipe landmarks stored with it."""
    from swingcoach.bench.events import phases_per_frame, read_phase_labels

    folder = shared_data / "phone_swings"
    sequence = load_landmark_file(folder / f"{name}_landmarks.npz")
    labels = read_phase_labels(folder / f"{name}_phases.csv")
    phases = phases_per_frame(sequence, LearnedEventDetector())
    assert set(phases) == set(range(len(PHASE_NAMES)))
    assert np.mean(phases == labels) >= PHONE_MIN_ACCURACY[name]
