"""Schemathesis against the embedded service, every check on: each operation's requests
generated from the OpenAPI document (valid and invalid), sent with a signed-in user's token, and
each answer checked against the document (status, headers, body schema, no 5xx, valid data
accepted, invalid data refused, auth enforced, 405 with Allow, ...).

Random bodies cannot be valid keypoints (base64 int16 of the right length, a person in view), so
the device path gets real swings from a strategy of ours: the demo swing cropped, shifted in
time, mirrored (left-handed), with noise, other frame rates, with or without 3D, as valid
payloads that reach the analysis. The example count is bounded (SWINGCOACH_FUZZ_EXAMPLES) to keep
the run within a few minutes on CI."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from media_files import FIXTURES
from server.live_service import Client, Service
from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import KEYPOINT_SCALE, PosturePayload, SwingPayload, pack_points
from swingcoach.server.app import create_app
from swingcoach.server.core.config import Settings

MAX_EXAMPLES = int(os.environ.get("SWINGCOACH_FUZZ_EXAMPLES", "25"))
# CI replays the same examples every run (a merge is not decided by luck); elsewhere each run
# explores new ones.
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("CI") == "true",
)
DEMO = PoseSequence.load(FIXTURES / "golfdb_demo_poses.npz")
# The demo swing's address and finish: crops keep them (a swing needs both to be analysed).
ADDRESS, FINISH = 49, 200
RECORDED_BEFORE = datetime.now() - timedelta(days=1)  # the service refuses swings from the future


@st.composite
def swing_payloads(draw: st.DrawFn) -> dict:
    """A valid SwingPayload (JSON) of a real swing, varied the ways devices vary."""
    start = draw(st.integers(0, ADDRESS - 10))
    stop = draw(st.integers(FINISH + 10, len(DEMO)))
    sequence = DEMO.slice(start, stop)
    if draw(st.booleans()):
        sequence = sequence.mirrored()
    noise_px = draw(st.sampled_from([0.0, 0.5, 2.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    keypoints = sequence.keypoints.copy()
    keypoints[..., :2] += rng.normal(0.0, noise_px, keypoints[..., :2].shape) if noise_px else 0.0
    world = sequence.world if draw(st.booleans()) else None
    fps = draw(st.sampled_from([DEMO.fps, 30.0, 60.0, 120.0, 240.0]))
    sequence = PoseSequence(
        keypoints, fps, sequence.width, sequence.height, world, frame_indices=sequence.frame_indices
    )
    fields = {
        "handedness": draw(st.sampled_from([None, "right", "left"])),
        "view": draw(st.sampled_from([None, "face-on", "down-the-line", "other"])),
        "device": draw(
            st.none() | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
        ),
        "recorded_at": draw(
            st.none() | st.datetimes(datetime(2015, 1, 1), RECORDED_BEFORE, timezones=st.just(UTC))
        ),
    }
    # A fresh id each time: Hypothesis replays its draws, and a reused id with new content is a 409.
    return SwingPayload.from_sequence(uuid.uuid4(), sequence, **fields).model_dump(mode="json")


@st.composite
def posture_payloads(draw: st.DrawFn) -> dict:
    """A valid PosturePayload (JSON): a stretch of the demo's poses, as yoga or exercise."""
    start = draw(st.integers(0, len(DEMO) - 40))
    stop = draw(st.integers(start + 3, len(DEMO)))
    sequence = DEMO.slice(start, stop)
    return PosturePayload(
        session_id=uuid.uuid4(),
        sport=draw(st.sampled_from(["yoga", "exercise"])),
        fps=draw(st.sampled_from([DEMO.fps, 30.0, 60.0])),
        width=sequence.width,
        height=sequence.height,
        frames=len(sequence),
        keypoints=pack_points(sequence.keypoints, KEYPOINT_SCALE),
        recorded_at=draw(
            st.none() | st.datetimes(datetime(2015, 1, 1), RECORDED_BEFORE, timezones=st.just(UTC))
        ),
    ).model_dump(mode="json")


# The routes whose valid bodies only a strategy of ours can make.
KEYPOINT_ROUTES = {"/v1/swings": swing_payloads, "/v1/posture/sessions": posture_payloads}


@pytest.fixture
def bearer(embedded: Service) -> dict[str, str]:
    """A user of its own for each operation: the logout and account routes end their caller's login."""
    return {"Authorization": Client.register(embedded.url).http.headers["Authorization"]}


# The document the service serves, built here: parametrizing needs it when the tests are collected
# (test_server_contract checks the served one against it).
UNKNOWABLE = ("/v1/users/me/webhook", "/v1/swings/video", "/v1/auth/register", "/v1/live/{name}/frame")
schema = schemathesis.openapi.from_dict(create_app(Settings(data_dir=Path(tempfile.gettempdir()))).openapi())


# GET /v1/events is a stream that never ends: each request would wait out the client timeout
# (minutes in all). Its parameters (Last-Event-ID bounds) and auth are in test_server_contract.
@(
    schema.exclude(method="POST", path="/v1/swings")
    .exclude(method="POST", path="/v1/posture/sessions")
    .exclude(path="/v1/events")
    .parametrize()
)
@FUZZ
def test_api_matches_its_schema(case: Case, embedded: Service, bearer: dict[str, str]) -> None:
    # What no schema can state: whether a webhook's host resolves to a public address, whether
    # uploaded bytes are a video, and whether a password is one of the most common ones. Those
    # answers (422, 415) are still checked against the document.
    unknowable = [positive_data_acceptance] if case.operation.path in UNKNOWABLE else []
    case.call_and_validate(base_url=embedded.url, headers=bearer, excluded_checks=unknowable)


@schema.include(method="POST", path_regex="^/v1/(swings|posture/sessions)$").parametrize()
@schema.given(data=st.data())
@FUZZ
def test_device_path_matches_its_schema(
    case: Case, data: st.DataObject, embedded: Service, bearer: dict[str, str]
) -> None:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive:
        case.body = data.draw(KEYPOINT_ROUTES[case.operation.path]())
    response = case.call_and_validate(base_url=embedded.url, headers=bearer)
    if positive:
        assert response.status_code == 201, response.text
        assert response.json()["report"] is not None or response.json().get("error")
