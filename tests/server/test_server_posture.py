"""Yoga and exercise sessions on the running service (embedded, and Postgres + RabbitMQ): the same
analysis as the CLI, idempotent resends, ownership on every read and write, statistics."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest
from tests.posture.poses import squats, stick_figure

from server.live_service import Service
from swingcoach.pose.base import PoseSequence
from swingcoach.posture.session import analyse_posture
from swingcoach.schemas import KEYPOINT_SCALE, MAX_POSTURE_FRAMES, PosturePayload, pack_points


def coco(bodies: np.ndarray) -> np.ndarray:
    keypoints = np.zeros((len(bodies), 17, 3), np.float32)
    keypoints[:, :5] = (320, 80, 0.0)  # the face unseen
    keypoints[:, 5:, :2], keypoints[:, 5:, 2] = bodies, 0.9
    return keypoints


def payload(bodies: np.ndarray, sport: str, **fields: Any) -> dict[str, Any]:
    return PosturePayload(
        session_id=fields.pop("session_id", uuid.uuid4()),
        sport=sport,
        fps=30.0,
        width=640,
        height=480,
        frames=len(bodies),
        keypoints=pack_points(coco(bodies), KEYPOINT_SCALE),
        device="test",
        **fields,
    ).model_dump(mode="json")


def test_a_session_is_analysed_like_the_cli_and_a_resend_is_harmless(service: Service) -> None:
    client = service.client()
    bodies = squats(4, period_s=1.5)
    sent = payload(bodies, "exercise")
    created = client.http.post("/v1/posture/sessions", json=sent)
    assert created.status_code == 201, created.text
    report = created.json()["report"]
    local, _ = analyse_posture(
        PoseSequence(keypoints=coco(bodies), fps=30.0, width=640, height=480), "exercise", ""
    )
    assert len(report["repetitions"]) == len(local.repetitions) == 4
    assert report["exercise"] == local.exercise
    again = client.http.post("/v1/posture/sessions", json=sent)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert [row["id"] for row in client.http.get("/v1/posture/sessions").json()] == [sent["session_id"]]


def test_another_account_can_neither_read_nor_overwrite_nor_delete_a_session(service: Service) -> None:
    owner, attacker = service.client(), service.client()
    sent = payload(squats(3, period_s=1.5), "exercise")
    assert owner.http.post("/v1/posture/sessions", json=sent).status_code == 201
    session_id = sent["session_id"]
    assert attacker.http.get(f"/v1/posture/sessions/{session_id}").status_code == 404
    assert attacker.http.delete(f"/v1/posture/sessions/{session_id}").status_code == 404
    forged = payload(np.stack([stick_figure()] * 30), "yoga", session_id=uuid.UUID(session_id))
    assert attacker.http.post("/v1/posture/sessions", json=forged).status_code == 409
    assert attacker.http.get("/v1/posture/sessions").json() == []
    mine = owner.http.get(f"/v1/posture/sessions/{session_id}")
    assert mine.status_code == 200 and mine.json()["sport"] == "exercise"
    assert len(mine.json()["report"]["repetitions"]) == 3
    assert attacker.http.get("/v1/posture/stats").json()["sessions"] == 0
    assert owner.http.delete(f"/v1/posture/sessions/{session_id}").status_code == 204
    assert owner.http.get(f"/v1/posture/sessions/{session_id}").status_code == 404


def test_statistics_add_up_hold_time_and_repetitions(service: Service) -> None:
    client = service.client()
    for _ in range(2):
        assert (
            client.http.post(
                "/v1/posture/sessions", json=payload(squats(4, period_s=1.5), "exercise")
            ).status_code
            == 201
        )
    held = np.stack([stick_figure(arms_deg=170, knee_deg=100)] * 90)
    yoga = client.http.post("/v1/posture/sessions", json=payload(held, "yoga"))
    assert yoga.status_code == 201
    stats = client.http.get("/v1/posture/stats", params={"range": "week", "tz": "Europe/Paris"}).json()
    assert stats["sessions"] == 3 and len(stats["buckets"]) == 7
    (exercise,) = stats["exercises"].values()
    assert exercise["repetitions"] == 8 and 0 <= exercise["form_error_rate"] <= 1
    held_s = sum(p["hold_s"] for p in yoga.json()["report"]["poses"])
    assert sum(stats["hold_s"].values()) == pytest.approx(held_s, abs=0.01)
    assert sum(b["sessions"] for b in stats["buckets"]) == 3
    assert [s["sport"] for s in client.http.get("/v1/posture/sessions", params={"sport": "yoga"}).json()] == [
        "yoga"
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"sport": "golf"},
        {"frames": MAX_POSTURE_FRAMES + 1},
        {"frames": 10},  # the keypoints hold 30 frames
        {"keypoints": "not base64!"},
        {"fps": 1e-300},
        {"recorded_at": "0001-01-01T00:00:00+01:00"},
        {"device": "x\u0000y"},
    ],
)
def test_malformed_sessions_are_refused_with_422(service: Service, change: dict[str, Any]) -> None:
    client = service.client()
    sent = payload(np.stack([stick_figure()] * 30), "yoga") | change
    answer = client.http.post("/v1/posture/sessions", json=sent)
    assert answer.status_code == 422, answer.text
    assert client.http.get("/v1/posture/sessions").json() == []


def test_sessions_need_a_login(service: Service) -> None:
    import httpx

    anonymous = httpx.Client(base_url=service.url)
    assert (
        anonymous.post(
            "/v1/posture/sessions", json=payload(np.stack([stick_figure()] * 30), "yoga")
        ).status_code
        == 401
    )
    assert anonymous.get("/v1/posture/stats").status_code == 401
