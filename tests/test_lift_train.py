"""Training side of the lifter (needs the `train` extra): the two forms of the network, the sampler,
and the export to ONNX that the runtime reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from swingcoach.pose.lift import (  # noqa: E402
    H36M_AT_INPUT,
    Lifter,
    finish_sequence,
    mirror_h36m,
    mirror_windows,
    window_indices,
)
from swingcoach.train.h36m import Take  # noqa: E402
from swingcoach.train.lift import (  # noqa: E402
    LifterConfig,
    TemporalLifter,
    TrainConfig,
    WindowSampler,
    export,
    parameter_count,
)


def random_bn(model: TemporalLifter) -> TemporalLifter:
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("causal", [False, True])
def test_dilated_form_slides_the_strided_form(causal: bool) -> None:
    torch.manual_seed(0)
    model = random_bn(TemporalLifter(LifterConfig(channels=32, stages=3, causal=causal)))
    x = torch.randn(2, 27 + 9, 12, 2)
    with torch.no_grad():
        model.dilated = True
        slid = model(x)
        model.dilated = False
        one_by_one = torch.stack([model(x[:, k : k + 27]) for k in range(10)], dim=1)
    assert slid.shape == (2, 10, 17, 3)
    assert torch.allclose(slid, one_by_one, atol=1e-5)
    assert (slid[..., 0, :] == 0).all()  # the pelvis


@pytest.mark.parametrize("causal", [False, True])
def test_training_arithmetic_matches_the_exported_form(causal: bool) -> None:
    torch.manual_seed(0)
    model = random_bn(TemporalLifter(LifterConfig(channels=32, stages=3, causal=causal)))
    x = torch.randn(4, 27, 12, 2)
    with torch.no_grad():  # both with the running batch-norm statistics
        assert torch.allclose(model._forward_grouped(x), model(x), atol=1e-5)


def test_causal_form_never_reads_ahead() -> None:
    torch.manual_seed(0)
    model = random_bn(TemporalLifter(LifterConfig(channels=32, stages=3, causal=True)))
    model.dilated = True
    x = torch.randn(1, 27 + 9, 12, 2)
    changed = x.clone()
    changed[:, 30:] += 1.0  # output k sees input frames k .. k + 26
    with torch.no_grad():
        a, b = model(x), model(changed)
    assert torch.equal(a[:, :4], b[:, :4])
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_student_size() -> None:
    assert parameter_count(TemporalLifter(LifterConfig())) <= 1_000_000


def synthetic_takes(length: int = 200) -> list[Take]:
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.3, size=(length, 17, 3)).astype(np.float32)
    pose[:, 0] = 0
    camera = pose[..., :2] / 4.0 * 1000 + 500  # a crude pinhole at 4 m
    gt2d = camera[:, H36M_AT_INPUT].astype(np.float32)
    return [Take("S1", "Walking", "54138969", 25.0, pose, gt2d, gt2d + 3.0)]


def test_sampler_mirrors_input_and_target_together() -> None:
    config = TrainConfig(sh_share=0.0, max_noise=0.0, slow_share=0.0, scale_jitter=0.0)
    sampler = WindowSampler(synthetic_takes(), config, receptive_field=9, causal=False)
    x, y, guide = sampler.sample(64)
    assert x.shape == (64, 9, 12, 2) and y.shape == (64, 17, 3) and guide is None
    # The centre frame's 2D is the 3D's x, y (up to the normalisation's positive scale), so the
    # signs agree whether or not the window was mirrored.
    centre = x[:, 4].numpy()
    truth = y[:, H36M_AT_INPUT, :2].numpy()
    hips = truth[:, 6:8].mean(axis=1, keepdims=True)
    ratio = (centre - centre[:, 6:8].mean(axis=1, keepdims=True)) / (truth - hips)
    assert np.all(ratio[np.abs(truth - hips) > 0.05] > 0)


def test_export_writes_models_the_runtime_reads(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = LifterConfig(channels=32, stages=2)
    model = random_bn(TemporalLifter(config))
    checkpoint = tmp_path / "checkpoint.pt"
    torch.save(
        {
            "model_config": {"channels": 32, "stages": 2, "dropout": 0.1, "causal": False},
            "train_config": {},
            "teacher": None,
            "model": model.state_dict(),
        },
        checkpoint,
    )
    fp32, int8 = export(checkpoint, tmp_path, synthetic_takes(), "tiny", calibration_windows=512)
    windows = np.random.default_rng(3).normal(size=(5, 9, 12, 2)).astype(np.float32)
    with torch.no_grad():
        direct = model(torch.from_numpy(windows)).numpy()
        back = mirror_h36m(model(torch.from_numpy(mirror_windows(windows))).numpy())
    expected = (direct + back) / 2  # the runtime averages each window with its mirror image
    runtime = Lifter(fp32)
    assert runtime.receptive_field == 9 and not runtime.causal
    assert runtime.params == parameter_count(model)
    assert np.allclose(runtime.run_windows(windows), expected, atol=1e-5)
    # The sequence form written beside it gives every frame's window result at once.
    sequence = np.random.default_rng(4).normal(size=(20, 12, 2)).astype(np.float32)
    every_frame = window_indices(np.arange(20), np.zeros(20, np.int64), np.full(20, 19), 9, 1, False)
    by_windows = finish_sequence(runtime.run_windows(sequence[every_frame]), causal=False)
    assert np.allclose(runtime.lift_h36m(sequence, 25.0), by_windows, atol=1e-5)
    quantized = Lifter(int8).run_windows(windows)
    assert np.abs(quantized - expected).mean() < 0.1 * np.abs(expected).mean()


def test_teacher_labels_are_the_teacher_on_every_frame() -> None:
    torch.manual_seed(1)
    teacher = random_bn(TemporalLifter(LifterConfig(channels=32, stages=3)))
    sampler = WindowSampler(synthetic_takes(60), TrainConfig(), receptive_field=9, causal=True)
    labels = sampler.predict_all(teacher, "gt")
    windows = window_indices(np.arange(60), np.zeros(60, int), np.full(60, 59), 27, 1, causal=False)
    teacher.dilated = False
    with torch.no_grad():
        expected = teacher(torch.from_numpy(sampler.gt[windows])).numpy()
    assert np.allclose(labels, expected, atol=1e-5)
    sampler.guides = {"sh": labels, "gt": labels}
    _, y, guide = sampler.sample(8)
    assert guide is not None and guide.shape == y.shape
