"""Training side of the event model: targets, augmentation, losses, and ONNX export parity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from swingcoach.pose.base import PoseSequence
from swingcoach.swing.events.model import LearnedEventDetector, normalized_points, swing_features, swing_tempo
from swingcoach.train.events_data import (
    Augmentation,
    Clip,
    augment,
    clock_labels,
    event_targets,
    phase_labels,
    swing_clock,
    tolerance,
)

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from swingcoach.train.events import (  # noqa: E402 - needs torch
    TrainConfig,
    build_model,
    export_event_model,
    supcon_loss,
    train_model,
    triplet_loss,
)

# Rough events of the demo swing (see test_event_model.py), enough to exercise the training code.
DEMO_EVENTS = np.array([50, 85, 97, 119, 132, 142, 151, 205])


def demo_clip(sequence: PoseSequence) -> Clip:
    points = normalized_points(sequence)
    return Clip(
        name="demo",
        points=points,
        depth=np.zeros(points.shape[:2]),
        events=DEMO_EVENTS,
        tempo=swing_tempo(sequence),
        split=1,
        slow=True,
        sequence=sequence,
    )


def test_targets_follow_the_events() -> None:
    times = np.arange(0, 220, 0.5)
    targets = event_targets(times, DEMO_EVENTS, sigma=1.0)
    np.testing.assert_allclose(targets.sum(axis=1), 1, atol=1e-6)
    for k, frame in enumerate(DEMO_EVENTS):
        assert times[np.argmax(targets[:, k])] == frame
    phases = phase_labels(times, DEMO_EVENTS)
    assert phases[times == 50][0] == 0 and phases[times == 50.5][0] == 1 and phases[-1] == 8
    clock = swing_clock(times, DEMO_EVENTS, tempo=20.0)
    assert (np.diff(clock) > 0).all() and clock[times == 119][0] == 3
    labels = clock_labels(times, DEMO_EVENTS, tempo=5.0)
    assert (np.diff(labels) >= 0).all() and labels.min() == -2 and labels.max() == 16
    assert tolerance(DEMO_EVENTS) == 3


def test_augmentation_keeps_the_events_on_the_swing(demo_poses: PoseSequence) -> None:
    clip = demo_clip(demo_poses)
    rng = np.random.default_rng(0)
    for _ in range(20):
        points, events, tempo = augment(clip, rng, Augmentation())
        assert points.shape[1:] == (17, 2) and np.isfinite(points).all()
        assert events[0] >= 0 and events[-1] < len(points)
        np.testing.assert_array_equal(np.diff(events), np.diff(DEMO_EVENTS))
        assert 0.3 * clip.tempo < tempo < 3 * clip.tempo
    still, _, _ = augment(clip, rng, Augmentation(mirror=0, yaw_deg=0, rotation_deg=0, scale=0, stretch=0,
                                                    tempo=0, noise=0, dropout=0, crop=0))  # fmt: skip
    np.testing.assert_array_equal(still, clip.points)


def test_contrastive_losses_prefer_grouped_embeddings() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(8).repeat_interleave(16)
    centres = torch.nn.functional.normalize(torch.randn(8, 16, generator=generator), dim=1)
    grouped = torch.nn.functional.normalize(
        centres[labels] + 0.05 * torch.randn(128, 16, generator=generator), dim=1
    )
    scattered = grouped[torch.randperm(128, generator=generator)]
    assert supcon_loss(grouped, labels, 0.1) < supcon_loss(scattered, labels, 0.1) - 1
    assert triplet_loss(grouped, labels, 0.2, generator) == 0
    assert triplet_loss(scattered, labels, 0.2, generator) > 0.1


@pytest.mark.parametrize("variant", ["supcon", "gru"])
def test_exported_model_matches_torch(tmp_path: Path, demo_poses: PoseSequence, variant: str) -> None:
    torch.manual_seed(0)
    model = build_model(TrainConfig(variant=variant)).eval()
    (path,) = export_event_model(model, [], tmp_path / variant, quantize=False)
    features, _ = swing_features(normalized_points(demo_poses), swing_tempo(demo_poses))
    with torch.no_grad():
        expected = model(torch.from_numpy(features[None])).numpy()
    got = LearnedEventDetector(path).session.run(features[None])[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.data
def test_a_short_training_run_gives_a_working_detector(tmp_path: Path, shared_data: Path) -> None:
    from swingcoach.train.events_data import load_golfdb

    torch.set_num_threads(1)
    clips = load_golfdb(shared_data / "golfdb")
    config = replace(TrainConfig(variant="supcon"), steps=30, pretrain_steps=30)
    model = train_model(clips[:12], config, log=lambda _: None)
    fp32, int8 = export_event_model(model, clips[:12], tmp_path / "events")
    for path in (fp32, int8):
        events = LearnedEventDetector(path).detect(clips[20].sequence)
        assert list(events.frames) == sorted(events.frames)


@pytest.mark.data
def test_the_cross_validation_repeats_for_a_seed_and_changes_with_it(shared_data: Path) -> None:
    from swingcoach.bench.events import learned_row
    from swingcoach.train.events_data import load_golfdb

    clips = load_golfdb(shared_data / "golfdb")[:16]
    assert len({clip.split for clip in clips}) > 1
    runs = [learned_row(clips, "supcon", 0.02, False, lambda _: None, seed=seed) for seed in (1, 1, 2)]
    assert runs[0].per_event == runs[1].per_event
    assert runs[0].per_event != runs[2].per_event  # the seed reaches the training
    assert runs[0].params == 26_318
