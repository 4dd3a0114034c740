"""The HTTP API end to end, against the embedded service and the scaled-out one (Postgres +
RabbitMQ + a Celery worker process): accounts, the device path with idempotent resends, per-user
isolation, the library, bad input, notifications, statistics and operations endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import numpy as np
import pytest

from server.live_service import PASSWORD, SECRET, Service, concurrently, expired_token, read_events
from swingcoach.schemas import SwingPayload, SwingReport
from swingcoach.server.core.security import create_access_token
from swingcoach.swing.events import create_event_detector

MakePayload = Callable[..., SwingPayload]


def test_accounts_register_login_and_me(service: Service) -> None:
    client = service.client()
    me = client.http.get("/v1/auth/me")
    assert me.status_code == 200 and me.json()["email"] == client.email
    form = httpx.post(
        f"{service.url}/v1/auth/login", data={"username": client.email.upper(), "password": PASSWORD}
    )
    assert form.status_code == 200 and form.json()["token_type"] == "bearer"
    wrong = httpx.post(
        f"{service.url}/v1/auth/login", json={"email": client.email, "password": "not the password"}
    )
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong email or password"
    unknown = httpx.post(
        f"{service.url}/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert unknown.status_code == 401
    short = httpx.post(
        f"{service.url}/v1/auth/register", json={"email": "a@example.com", "password": "short"}
    )
    assert short.status_code == 422 and "password" in short.json()["detail"]


def test_device_swing_is_analysed_in_the_request_and_stored(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    payload = make_payload(device="test-phone", recorded_at=datetime(2025, 5, 1, 9, 30, tzinfo=UTC))
    created = client.post_swing(payload)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == str(payload.swing_id) and body["status"] == "done" and body["source"] == "device"
    report = SwingReport.model_validate(body["report"])
    assert 0 <= report.score <= 100 and report.score == body["score"]
    assert report.events.address < report.events.top < report.events.impact < report.events.finish
    assert (
        body["models"]["events"] == create_event_detector().version
        and body["models"]["analysis"] == "metrics-3"
    )
    assert body["tempo_ratio"] == report.metrics["tempo_ratio"].value
    assert body["swung_at"].startswith("2025-05-01T09:30:00")
    assert body["frames"] == payload.frames and body["device"] == "test-phone"
    fetched = client.http.get(f"/v1/swings/{payload.swing_id}").json()
    assert fetched["report"] == body["report"] and fetched["job"] is None
    stored = SwingPayload.model_validate_json(
        client.http.get(f"/v1/swings/{payload.swing_id}/payload").content
    )
    np.testing.assert_array_equal(stored.to_sequence().keypoints, payload.to_sequence().keypoints)


def test_the_same_swing_sent_five_times_is_stored_once(service: Service, make_payload: MakePayload) -> None:
    client = service.client()
    payload = make_payload()
    statuses = [client.post_swing(payload).status_code for _ in range(5)]
    assert statuses == [201, 200, 200, 200, 200]
    racing = make_payload()
    responses = concurrently([lambda: client.post_swing(racing) for _ in range(5)])
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["report"]["score"] for r in responses}) == 1
    for swing_id in (payload.swing_id, racing.swing_id):
        assert service.count("SELECT count(*) FROM swings WHERE id = :id", id=_db_id(service, swing_id)) == 1
    assert client.http.get("/v1/swings").json()["total"] == 2
    different = payload.model_copy(update={"fps": payload.fps * 2})
    conflict = client.post_swing(different)
    assert conflict.status_code == 409 and "different content" in conflict.json()["detail"]


def _db_id(service: Service, swing_id: uuid.UUID) -> str:
    # SQLAlchemy's Uuid is CHAR(32) hex on SQLite, native uuid on Postgres.
    return swing_id.hex if service.name == "embedded" else str(swing_id)


def test_another_users_swing_does_not_exist_for_you(service: Service, make_payload: MakePayload) -> None:
    owner, other = service.client(), service.client()
    payload = make_payload()
    assert owner.post_swing(payload).status_code == 201
    path = f"/v1/swings/{payload.swing_id}"
    for response in (
        other.http.get(path),
        other.http.get(f"{path}/payload"),
        other.http.patch(path, json={"favorite": True}),
        other.http.delete(path),
    ):
        assert response.status_code == 404, response.text
    assert other.http.get("/v1/swings").json()["total"] == 0
    stolen = other.post_swing(payload)
    assert stolen.status_code == 409 and "already in use" in stolen.json()["detail"]
    assert owner.http.get(path).status_code == 200


def test_drawings_are_saved_with_the_swing_and_bounded(service: Service, make_payload: MakePayload) -> None:
    owner, other = service.client(), service.client()
    payload = make_payload()
    assert owner.post_swing(payload).status_code == 201
    path = f"/v1/swings/{payload.swing_id}"
    drawings = [
        {"kind": "line", "points": [[10, 20], [300, 400.5]]},
        {"kind": "angle", "points": [[100, 100], [150, 200], [250, 180]], "frame": 119},
        {"kind": "circle", "points": [[220, 180], [240, 180]]},
        {"kind": "spine", "points": [[210, 330], [215, 200]], "frame": 50},
        {"kind": "head", "points": [[200, 160], [240, 205]], "frame": 50},
    ]
    saved = owner.http.patch(path, json={"drawings": drawings})
    assert saved.status_code == 200, saved.text
    assert owner.http.get(path).json()["drawings"] == [{"frame": None, **d} for d in drawings[:1]] + [
        {"frame": None, **d} if "frame" not in d else d for d in drawings[1:]
    ]
    # Another account can neither change nor see them.
    assert other.http.patch(path, json={"drawings": []}).status_code == 404
    assert len(owner.http.get(path).json()["drawings"]) == len(drawings)
    for bad in (
        [{"kind": "arrow", "points": [[0, 0], [1, 1]]}],
        [{"kind": "angle", "points": [[0, 0], [1, 1]]}],
        [{"kind": "line", "points": [[0, 0], [1e9, 1]]}],
        [{"kind": "line", "points": [[0, 0], [1, 1]], "colour": "red"}],
        [{"kind": "line", "points": [[0, 0], [1, 1]]}] * 51,
        None,
    ):
        assert owner.http.patch(path, json={"drawings": bad}).status_code == 422, bad
    assert len(owner.http.get(path).json()["drawings"]) == len(drawings)  # nothing lost
    assert owner.http.patch(path, json={"drawings": []}).json()["drawings"] == []


def test_own_clips_tagged_as_drills_play_with_their_recommendation(
    service: Service, rushed_sequence: Any, demo_video: Path
) -> None:
    owner, other = service.client(), service.client()
    payload = SwingPayload.from_sequence(uuid.uuid4(), rushed_sequence)
    assert owner.post_swing(payload).status_code == 201
    drills = [i for i in owner.http.get("/v1/recommendations").json()["items"] if i["kind"] == "drill"]
    assert drills, "a rushed backswing gets a tempo drill"
    drill, path = drills[0]["id"], f"/v1/swings/{payload.swing_id}"
    assert owner.http.patch(path, json={"drill": "no-such-drill"}).status_code == 422
    assert other.http.patch(path, json={"drill": drill}).status_code == 404
    tagged = owner.http.patch(path, json={"drill": drill})
    assert tagged.status_code == 200 and tagged.json()["drill"] == drill
    # Tagged but without a clip on the server: nothing to play yet.
    assert _drill_item(owner, drill)["clips"] == []
    assert owner.upload(demo_video.read_bytes(), swing_id=str(payload.swing_id)).status_code == 202
    assert _drill_item(owner, drill)["clips"] == [str(payload.swing_id)]
    assert all(item["clips"] == [] for item in other.http.get("/v1/recommendations").json()["items"])
    assert owner.http.patch(path, json={"drill": None}).json()["drill"] is None
    assert _drill_item(owner, drill)["clips"] == []


def _drill_item(client: Any, drill: str) -> dict[str, Any]:
    items = client.http.get("/v1/recommendations").json()["items"]
    return next(item for item in items if item["id"] == drill)


def test_library_filters_pagination_flags_and_delete(service: Service, make_payload: MakePayload) -> None:
    client = service.client()
    start = datetime(2025, 3, 1, 12, tzinfo=UTC)
    payloads = [make_payload(recorded_at=start + timedelta(days=day)) for day in range(6)]
    for payload in payloads:
        assert client.post_swing(payload).status_code == 201
    for payload in payloads[:2]:
        flagged = client.http.patch(
            f"/v1/swings/{payload.swing_id}", json={"favorite": True, "note": "good one"}
        )
        assert (
            flagged.status_code == 200 and flagged.json()["favorite"] and flagged.json()["note"] == "good one"
        )
    assert client.http.patch(f"/v1/swings/{payloads[0].swing_id}", json={}).status_code == 422
    assert client.http.patch(f"/v1/swings/{payloads[0].swing_id}", json={"keep": None}).status_code == 422

    def ids(**params: Any) -> list[str]:
        page = client.http.get("/v1/swings", params=params)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    newest_first = [str(p.swing_id) for p in reversed(payloads)]
    assert ids() == newest_first
    assert ids(limit=2, offset=1) == newest_first[1:3]
    assert ids(favorite="true") == newest_first[-2:]
    window = {
        "since": (start + timedelta(days=2)).isoformat(),
        "until": (start + timedelta(days=4)).isoformat(),
    }
    assert ids(**window) == [str(payloads[3].swing_id), str(payloads[2].swing_id)]
    score = client.http.get(f"/v1/swings/{payloads[0].swing_id}").json()["score"]
    assert len(ids(min_score=score, max_score=score)) == 6 and ids(min_score=min(100, score + 1)) == []
    assert client.http.get("/v1/swings", params={"since": "2025-03-01T00:00:00"}).status_code == 422
    assert client.http.get("/v1/swings", params={"limit": 1000}).status_code == 422

    gone = payloads[0].swing_id
    assert client.http.delete(f"/v1/swings/{gone}").status_code == 204
    assert client.http.get(f"/v1/swings/{gone}").status_code == 404
    assert client.http.delete(f"/v1/swings/{gone}").status_code == 404
    assert client.http.get("/v1/swings").json()["total"] == 5


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 422, "JSON"),
        (b'{"swing_id": "not-a-uuid"}', 422, "swing_id"),
        (b"[1, 2, 3]", 422, "valid dictionary"),
    ],
)
def test_malformed_payloads_get_a_clear_422(service: Service, body: bytes, status: int, message: str) -> None:
    client = service.client()
    response = client.http.post("/v1/swings", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["detail"], response.json()


def test_wrong_types_and_inconsistent_keypoints_are_rejected(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    good = json.loads(make_payload().model_dump_json())
    cases = {
        "fps": (good | {"fps": "fast"}, "fps"),
        "frames": (good | {"frames": good["frames"] + 1}, "frames"),
        "base64": (good | {"keypoints": "###"}, "base64"),
        "extra": (good | {"video": "x"}, "video"),
        "events": (good | {"events": {"address": 5}}, "events"),
    }
    for name, (body, word) in cases.items():
        response = client.http.post("/v1/swings", json=body)
        assert response.status_code == 422, name
        assert word in response.json()["detail"], (name, response.json()["detail"])
        assert all(set(error) == {"loc", "msg", "type"} for error in response.json()["errors"]), "no echo"
    nobody = make_payload()
    blank = nobody.to_sequence()
    blank.keypoints[:] = np.nan
    empty = nobody.model_copy(update={"keypoints": _pack_nan(blank.keypoints)})
    response = client.http.post(
        "/v1/swings", content=empty.model_dump_json(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "no frame holds a person" in response.json()["detail"]
    future = make_payload(recorded_at=datetime.now(UTC) + timedelta(days=2))
    response = client.post_swing(future)
    assert response.status_code == 422 and "future" in response.json()["detail"]
    assert client.http.get("/v1/swings").json()["total"] == 0


def _pack_nan(keypoints: np.ndarray) -> str:
    from swingcoach.schemas import KEYPOINT_SCALE, pack_points

    return pack_points(keypoints, KEYPOINT_SCALE)


def test_no_swing_in_the_keypoints_is_a_422(service: Service, make_payload: MakePayload) -> None:
    client = service.client()
    standing = make_payload()
    sequence = standing.to_sequence()
    still = np.repeat(sequence.keypoints[:1], len(sequence), axis=0)
    body = standing.model_copy(update={"keypoints": _pack_nan(still)})
    response = client.post_swing(body)
    assert response.status_code == 422 and "cannot analyse" in response.json()["detail"]


def test_oversized_bodies_get_413_and_the_server_keeps_serving(service: Service, demo_video: Any) -> None:
    client = service.client()
    huge = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = client.http.post("/v1/swings", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "MiB" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield b'{"pad": "'
        for _ in range(80):
            yield b"x" * 65536

    streamed = client.http.post("/v1/swings", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    video = demo_video.read_bytes()
    too_long = client.upload(video * 3)  # the test service allows 1 MiB
    assert too_long.status_code == 413
    assert client.http.get("/healthz").status_code == 200
    assert client.http.get("/v1/auth/me").status_code == 200


def test_non_video_uploads_are_refused(service: Service) -> None:
    client = service.client()
    text = client.upload(b"this is a text file, not a video", name="notes.txt")
    assert text.status_code == 415 and "not a video" in text.json()["detail"]
    png = client.upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="photo.png")
    assert png.status_code == 415
    empty = client.upload(b"", name="empty.mp4")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    missing = client.http.post("/v1/swings/video", data={"swing_id": str(uuid.uuid4())})
    assert missing.status_code == 422 and "file" in missing.json()["detail"]
    assert client.http.get("/v1/swings").json()["total"] == 0


def test_missing_expired_and_forged_tokens_get_401(service: Service, make_payload: MakePayload) -> None:
    client = service.client()
    body = make_payload().model_dump_json()
    headers = {"Content-Type": "application/json"}
    missing = httpx.post(f"{service.url}/v1/swings", content=body, headers=headers)
    assert missing.status_code == 401 and "not authenticated" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    expired = httpx.get(
        f"{service.url}/v1/swings", headers={"Authorization": f"Bearer {expired_token(client.user_id)}"}
    )
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    forged = httpx.get(f"{service.url}/v1/swings", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401 and "invalid" in forged.json()["detail"]
    # Signed by the server, for an account its database does not hold (e.g. after a reset).
    stranger, _ = create_access_token(uuid.uuid4(), uuid.uuid4(), SECRET, minutes=5)
    headers = {"Authorization": f"Bearer {stranger}", "Content-Type": "application/json"}
    for response in (
        httpx.get(f"{service.url}/v1/auth/me", headers=headers),
        httpx.post(f"{service.url}/v1/swings", content=body, headers=headers),
    ):
        assert response.status_code == 401 and "does not exist" in response.json()["detail"]
    assert client.http.get("/v1/swings").status_code == 200


def test_events_stream_announces_each_analysis_and_replays_missed_ones(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    token = client.http.headers["Authorization"].removeprefix("Bearer ")
    received: list[dict] = []
    listening = threading.Thread(target=lambda: received.extend(read_events(service.url, token, 1)))
    listening.start()
    time.sleep(1.0)  # the stream is open before the swing arrives
    payload = make_payload()
    assert client.post_swing(payload).status_code == 201
    listening.join(timeout=20)
    assert len(received) == 1, "no event within 20 s"
    event = received[0]
    assert event["event"] == "analysis.complete" and event["swing_id"] == str(payload.swing_id)
    assert event["score"] == client.http.get(f"/v1/swings/{payload.swing_id}").json()["score"]
    second = make_payload()
    assert client.post_swing(second).status_code == 201
    replayed = list(read_events(service.url, token, 1, last_event_id=event["id"]))
    assert replayed[0]["swing_id"] == str(second.swing_id)
    # A token in the URL is not read (URLs end up in logs): a valid one there is still a 401.
    assert httpx.get(f"{service.url}/v1/events", params={"access_token": token}).status_code == 401


class Receiver(BaseHTTPRequestHandler):
    deliveries: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.deliveries.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_webhook_receives_signed_events(service: Service, make_payload: MakePayload) -> None:
    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.deliveries.clear()
    try:
        client = service.client()
        secret = "a-webhook-secret-of-some-length"
        url = f"http://127.0.0.1:{receiver.server_port}/hook"
        put = client.http.put("/v1/users/me/webhook", json={"url": url, "secret": secret})
        assert put.status_code == 200 and put.json() == {"url": url, "signed": True}
        assert client.http.put("/v1/users/me/webhook", json={"url": "ftp://x"}).status_code == 422
        payload = make_payload()
        assert client.post_swing(payload).status_code == 201
        deadline = time.monotonic() + 15
        while not Receiver.deliveries and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Receiver.deliveries, "the webhook was not called"
        headers, body = Receiver.deliveries[0]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Swingcoach-Signature"] == expected
        assert json.loads(body)["swing_id"] == str(payload.swing_id)
        cleared = client.http.put("/v1/users/me/webhook", json={"url": None})
        assert cleared.json() == {"url": None, "signed": False}
    finally:
        receiver.shutdown()


def test_stats_and_recommendations_follow_the_stored_analyses(
    service: Service, make_payload: MakePayload, rushed_sequence: Any
) -> None:
    client = service.client()
    empty = client.http.get("/v1/recommendations").json()
    assert empty["swings_considered"] == 0 and empty["items"] == [] and "No analysed swings" in empty["note"]
    now = datetime.now(UTC)
    # Two swings today, one two days ago, one long ago (outside every range); one mirrored (left-handed).
    when = [
        now - timedelta(minutes=5),
        now - timedelta(minutes=3),
        now - timedelta(days=2),
        now - timedelta(days=90),
    ]
    bodies = []
    for i, recorded_at in enumerate(when):
        sequence = rushed_sequence.mirrored() if i == 1 else rushed_sequence
        payload = SwingPayload.from_sequence(uuid.uuid4(), sequence, recorded_at=recorded_at)
        response = client.post_swing(payload)
        assert response.status_code == 201
        bodies.append(response.json())
    week = client.http.get("/v1/stats", params={"range": "week"}).json()
    recent = bodies[:3]
    assert week["swings"] == 3 and week["bucket"] == "day" and len(week["buckets"]) == 7
    for bucket in week["buckets"]:
        start, end = (datetime.fromisoformat(bucket[key]) for key in ("start", "end"))
        assert bucket["swings"] == sum(start <= t < end for t in when)
    assert week["score_mean"] == pytest.approx(np.mean([b["score"] for b in recent]), abs=1e-3)
    assert week["score_best"] == max(b["score"] for b in recent)
    tempo = [b["tempo_ratio"] for b in recent if b["tempo_ratio"] is not None]
    assert week["tempo_ratio_mean"] == pytest.approx(np.mean(tempo), abs=1e-3)
    faults = [f for b in recent for f in b["faults"]]
    for fault in week["top_faults"]:
        assert fault["count"] == faults.count(fault["fault"])
    day = client.http.get("/v1/stats", params={"range": "day", "tz": "America/New_York"}).json()
    assert day["bucket"] == "hour" and len(day["buckets"]) == 24 and day["swings"] == 2
    month = client.http.get("/v1/stats", params={"range": "month"}).json()
    assert month["swings"] == 3 and len(month["buckets"]) == 30
    assert client.http.get("/v1/stats", params={"range": "year"}).status_code == 422
    assert client.http.get("/v1/stats", params={"tz": "Mars/Olympus"}).status_code == 422

    advice = client.http.get("/v1/recommendations").json()
    assert advice["swings_considered"] == 4
    all_faults = [f for b in bodies for f in b["faults"]]
    for item in advice["items"]:
        assert item["reason"] and item["faults"]
        for fault in item["faults"]:
            assert all_faults.count(fault) / 4 >= 0.25
        share = max(all_faults.count(f) for f in item["faults"]) / 4
        assert item["relevance"] == pytest.approx(share)
    assert advice["items"], "the rushed swing has recurring faults, so something is recommended"


def test_the_club_and_the_predicted_flight_reach_the_statistics(
    service: Service, rushed_sequence: Any
) -> None:
    client, other = service.client(), service.client()
    now = datetime.now(UTC)
    carries = []
    for club, minutes in (("driver", 5), ("7-iron", 3)):
        payload = SwingPayload.from_sequence(
            uuid.uuid4(), rushed_sequence, recorded_at=now - timedelta(minutes=minutes), club=club
        )
        response = client.post_swing(payload)
        assert response.status_code == 201
        flight = client.http.get(f"/v1/swings/{payload.swing_id}").json()["report"]["ball_flight"]
        assert flight["club"] == club and flight["in_domain"]
        carries.append(flight["carry"])
    assert carries[1] < carries[0]  # a 7-iron flies shorter than a driver from the same posture
    library = client.http.get("/v1/swings").json()["items"]
    assert [item["club"] for item in library] == ["7-iron", "driver"], "the library is labelled by club"
    irons = client.http.get("/v1/swings", params={"club": "7-iron"}).json()
    assert irons["total"] == 1 and irons["items"][0]["club"] == "7-iron"
    assert client.http.get("/v1/swings", params={"club": "putter"}).status_code == 422
    assert other.http.get("/v1/swings", params={"club": "7-iron"}).json()["total"] == 0
    week = client.http.get("/v1/stats", params={"range": "week"}).json()
    assert week["flight"]["carry"] == pytest.approx(np.mean(carries), abs=1e-3)
    assert len(week["flight"]) > 3  # carry, direction, spin axis and the driving features
    # Another golfer's statistics hold none of it; a club outside the list is refused.
    assert other.http.get("/v1/stats", params={"range": "week"}).json()["flight"] == {}
    body = json.loads(SwingPayload.from_sequence(uuid.uuid4(), rushed_sequence).model_dump_json())
    for club in ("putter", "x" * 10_000, 7):
        response = other.http.post("/v1/swings", json={**body, "club": club})
        assert response.status_code == 422, club


def test_models_health_readiness_and_metrics(service: Service, make_payload: MakePayload) -> None:
    models = httpx.get(f"{service.url}/v1/models").json()
    assert (
        models["models"]["pose"].startswith("blazepose-lite") and models["pose_backend"] == "blazepose-lite"
    )
    assert (
        models["models"]["events"] == create_event_detector().version
        and models["payload_schema_version"] == "1.0"
    )
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{service.url}/readyz").json()
    assert ready["database"] == "ok" and ready["storage"] == "ok"
    assert ("broker" in ready) == (service.name == "scaleout")
    client = service.client()
    assert client.post_swing(make_payload()).status_code == 201
    response = client.http.get("/v1/swings", headers={"X-Request-ID": "trace-me-123"})
    assert response.headers["x-request-id"] == "trace-me-123"
    metrics = httpx.get(f"{service.url}/metrics").text
    assert (
        'swingcoach_http_request_duration_seconds_count{method="POST",route="/v1/swings",status="201"}'
        in metrics
    )
    assert 'route="/v1/swings/{id}"' in metrics
    assert (
        'swingcoach_jobs{status="queued"}' in metrics
        and "swingcoach_analysis_duration_seconds_count" in metrics
    )
    log = service.api.log.read_text()
    assert '"request_id": "trace-me-123"' in log and f'"user_id": "{client.user_id}"' in log
