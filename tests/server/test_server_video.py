"""The video path end to end: upload, a worker runs the whole pipeline, the report is stored once,
the user is notified; also when the worker is SIGKILLed in the middle of the job."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from media_files import write_video
from server.live_service import Service, job_finished, read_events
from swingcoach.schemas import SwingPayload, SwingReport
from swingcoach.swing.events import create_event_detector
from swingcoach.video.source import open_source

MakePayload = Callable[..., SwingPayload]


def test_video_upload_is_analysed_by_a_worker(service: Service, demo_video: Path) -> None:
    client = service.client()
    token = client.http.headers["Authorization"].removeprefix("Bearer ")
    events: list[dict] = []
    listening = threading.Thread(target=lambda: events.extend(read_events(service.url, token, 1)))
    listening.start()
    time.sleep(1.0)
    video = demo_video.read_bytes()
    swing_id = str(uuid.uuid4())
    accepted = client.upload(video, swing_id=swing_id, club="5-iron")
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    assert accepted.json()["swing_id"] == swing_id
    resent = client.upload(video, swing_id=swing_id)
    assert resent.status_code == 202 and resent.json()["job_id"] == job_id, "a resend is the same job"
    other = client.upload(video[:-1000] + bytes(1000), swing_id=swing_id)
    assert other.status_code == 409
    processing = client.http.get(f"/v1/swings/{swing_id}").json()
    assert processing["source"] == "video" and processing["status"] in ("processing", "done")

    job = client.wait_job(job_id, job_finished)
    assert job["status"] == "done" and job["attempts"] == 1 and job["swing_ids"] == [swing_id], job
    swing = client.http.get(f"/v1/swings/{swing_id}").json()
    report = SwingReport.model_validate(swing["report"])
    assert swing["status"] == "done" and swing["score"] == report.score
    assert swing["club"] == "5-iron", "the club the upload named"
    assert report.ball_flight is not None and report.ball_flight.club == "5-iron"
    assert (
        swing["models"]["pose"].startswith("blazepose-lite")
        and swing["models"]["events"] == create_event_detector().version
    )
    assert swing["job"]["id"] == job_id
    payload = SwingPayload.model_validate_json(client.http.get(f"/v1/swings/{swing_id}/payload").content)
    assert payload.frames == report.end_frame - report.start_frame + 1 and payload.world is not None
    assert client.http.get(f"/v1/swings/{swing_id}/video").content == video
    assert service.count("SELECT count(*) FROM notifications WHERE kind = 'analysis.complete'") >= 1

    listening.join(timeout=30)
    assert events and events[0]["job_id"] == job_id and events[0]["event"] == "analysis.complete"
    # The worker is another process in the scaled-out setup: the event crossed over by pg_notify,
    # well before the 30 s database re-read of the stream.
    assert time.time() - datetime.fromisoformat(job["finished_at"]).timestamp() < 20

    assert client.http.delete(f"/v1/swings/{swing_id}").status_code == 204
    assert client.http.get(f"/v1/jobs/{job_id}").status_code == 404


def test_an_undecodable_video_fails_once_with_the_reason(service: Service, demo_video: Path) -> None:
    client = service.client()
    truncated = demo_video.read_bytes()[:3000]  # the container header, then nothing decodable
    accepted = client.upload(truncated)
    assert accepted.status_code == 202
    job = client.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "failed" and job["attempts"] == 1
    assert "the uploaded video" in job["error"] and "/videos/" not in job["error"], "no server paths"
    swing = client.http.get(f"/v1/swings/{accepted.json()['swing_id']}").json()
    assert swing["status"] == "failed" and swing["error"] == job["error"] and swing["report"] is None
    assert client.http.get("/v1/jobs", params={"status": "failed"}).json()[0]["id"] == job["id"]


def test_a_worker_killed_mid_job_still_completes_it_exactly_once(scaleout: Service, demo_video: Path) -> None:
    assert scaleout.worker is not None
    client = scaleout.client()
    accepted = client.upload(demo_video.read_bytes())
    job_id, swing_id = accepted.json()["job_id"], accepted.json()["swing_id"]
    running = client.wait_job(
        job_id, lambda job: job["status"] == "running" or job_finished(job), timeout_s=60
    )
    assert running["status"] == "running" and running["attempts"] == 1, "the worker took the job"
    scaleout.worker.stop(signal.SIGKILL)
    try:
        time.sleep(1.0)
        after_kill = client.http.get(f"/v1/jobs/{job_id}").json()
    finally:
        scaleout.worker.start()  # a fresh worker: the broker hands the unacknowledged message back
    assert after_kill["status"] == "running", "killed before it could finish"
    job = client.wait_job(job_id, job_finished)
    assert job["status"] == "done", job
    assert job["attempts"] == 2, "one killed attempt, one that finished"
    assert job["swing_ids"] == [swing_id]
    sql = "SELECT count(*) FROM notifications WHERE kind = 'analysis.complete' AND data->>'job_id' = :job"
    assert scaleout.count(sql, job=job_id) == 1, "the result was committed exactly once"
    assert scaleout.count("SELECT count(*) FROM swings WHERE id = :id", id=swing_id) == 1
    assert client.http.get(f"/v1/swings/{swing_id}").json()["status"] == "done"


def test_a_clip_for_a_keypoint_swing_attaches_to_it(
    service: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    """The browser's "also upload the clip": one physical swing stays one swing, re-analysed from the
    clip; a stranger cannot attach a clip to it."""
    client = service.client()
    payload = make_payload()
    swing_id = str(payload.swing_id)
    assert client.http.post("/v1/swings", json=payload.model_dump(mode="json")).status_code == 201
    before = client.http.get(f"/v1/swings/{swing_id}").json()
    video = demo_video.read_bytes()
    stranger = service.client().upload(video, swing_id=swing_id)
    assert stranger.status_code == 409

    accepted = client.upload(video, swing_id=swing_id)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["swing_id"] == swing_id
    job = client.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "done" and job["swing_ids"] == [swing_id], job
    assert client.upload(video, swing_id=swing_id).json()["job_id"] == job["id"], "a resend is the same job"
    assert client.upload(video[:-1000] + bytes(1000), swing_id=swing_id).status_code == 409

    page = client.http.get("/v1/swings").json()
    assert page["total"] == 1 and page["items"][0]["id"] == swing_id
    after = client.http.get(f"/v1/swings/{swing_id}").json()
    assert after["source"] == "device" and after["status"] == "done"
    # Re-analysed from the clip by the server's pose model, with the same analysis version.
    assert after["models"]["pose"].startswith("blazepose-lite")
    assert after["models"]["analysis"] == before["models"]["analysis"] == "metrics-3"
    assert after["job"]["id"] == job["id"]
    assert client.http.get(f"/v1/swings/{swing_id}/video").content == video
    assert client.http.get("/v1/stats", params={"range": "day"}).json()["swings"] == 1


def test_a_later_swing_of_an_upload_never_overwrites_another_accounts_swing(
    service: Service, demo_video: Path, tmp_path: Path, make_payload: MakePayload
) -> None:
    """Repro: A uploads a two-swing video with swing_id X; before A's job is done, B posts a swing
    with the id the second swing would derive, uuid5(X, "swing-1")."""
    with open_source(demo_video) as source:
        frames = [frame.image for frame in source]
    two_swings = write_video(tmp_path / "two.mp4", frames + frames).read_bytes()
    a, b = service.client(), service.client()
    x = uuid.uuid4()
    accepted = a.upload(two_swings, swing_id=str(x))
    assert accepted.status_code == 202
    derived = uuid.uuid5(x, "swing-1")
    planted = b.http.post("/v1/swings", json=make_payload(swing_id=derived).model_dump(mode="json"))
    assert planted.status_code == 201
    b_before = b.http.get(f"/v1/swings/{derived}").json()

    job = a.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "done" and len(job["swing_ids"]) == 2, job
    assert str(derived) not in job["swing_ids"]
    for swing_id in job["swing_ids"]:
        assert a.http.get(f"/v1/swings/{swing_id}").json()["status"] == "done"
    b_after = b.http.get(f"/v1/swings/{derived}").json()
    assert b_after["report"] == b_before["report"] and b_after["source"] == "device"
    assert a.http.get(f"/v1/swings/{derived}").status_code == 404
