"""`edge --sport exercise|yoga`: live readings published to a real MQTT broker (Mosquitto)."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
from tests.posture.poses import squats, stick_figure
from tests.test_edge_telemetry import BROKER, broker_running, subscribe

from swingcoach.edge.posture_device import PostureDevice
from swingcoach.edge.telemetry import Telemetry
from swingcoach.pose.base import PoseFrame
from swingcoach.posture.classifier import PostureClassifier
from swingcoach.video.source import Frame


class ScriptedPose:
    """A pose backend that returns prepared body joints, one per call."""

    name, version, has_world = "scripted", "1", False

    def __init__(self, bodies: np.ndarray) -> None:
        self.bodies, self.calls = bodies, 0

    def __call__(self, image_bgr: np.ndarray, time_s: float) -> PoseFrame | None:
        keypoints = np.full((17, 3), np.nan, np.float32)
        keypoints[5:] = np.column_stack([self.bodies[self.calls], np.ones(12)])
        self.calls += 1
        return PoseFrame(keypoints=keypoints)

    def reset(self) -> None:
        self.calls = 0


def frames(count: int, fps: float = 30.0) -> list[Frame]:
    image = np.zeros((480, 640, 3), np.uint8)
    return [Frame(index=i, time_s=i / fps, image=image) for i in range(count)]


@pytest.mark.skipif(not broker_running(), reason="no MQTT broker on 127.0.0.1:1883")
def test_repetitions_and_probabilities_reach_a_subscriber() -> None:
    device = f"test-{uuid.uuid4().hex[:8]}"
    subscriber, received = subscribe(f"swingcoach/{device}/#")
    telemetry = Telemetry(f"{BROKER[0]}:{BROKER[1]}", device)
    bodies = squats(4, period_s=1.5)
    try:
        runner = PostureDevice(ScriptedPose(bodies), "exercise", 30.0, telemetry=telemetry)
        stats = runner.run(frames(len(bodies)))
        repetitions, probabilities = [], []
        while len(repetitions) < 4:
            message = received.get(timeout=10.0)
            kind = message.topic.rsplit("/", 1)[1]
            if kind == "repetition":
                repetitions.append(json.loads(message.payload))
            elif kind == "posture":
                probabilities.append(json.loads(message.payload))
    finally:
        telemetry.close()
        subscriber.loop_stop()
        subscriber.disconnect()
    assert stats.repetitions == 4 and [r["count"] for r in repetitions] == [1, 2, 3, 4]
    assert all(r["joint"].endswith("knee") and r["tempo_s"] > 0 for r in repetitions)
    labels = set(PostureClassifier.for_sport("exercise").bank.labels)
    assert probabilities and all(
        set(p) == labels and sum(p.values()) == pytest.approx(1, abs=1e-3) for p in probabilities
    )
    # 5 a second over 6.5 s of video, not one per frame.
    assert len(probabilities) <= 35


def test_the_yoga_device_shows_label_accuracy_or_take_your_pose() -> None:
    bodies = np.stack([stick_figure(arms_deg=170, knee_deg=100)] * 30)
    runner = PostureDevice(ScriptedPose(bodies), "yoga", 30.0)
    lines = [runner.step(frame) for frame in frames(30)]
    labels = PostureClassifier.for_sport("yoga").bank.labels
    last = lines[-1]
    assert last[0] == "Take your pose" or (last[0].split()[0] in labels and last[0].endswith("%"))
    assert runner.stats.posed == 30 and len(runner.stats.label_ms) == 30
