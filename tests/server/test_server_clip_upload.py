"""The resumable clip upload of a keypoint swing (PUT /v1/swings/{id}/clip), against the running
service (embedded and on Postgres): chunks of the real demo clip, a dropped chunk resumed, another
account's swing id, the limits, a clip that is no video; where the clip is (has_video, the video's
headers) and what the user's clips take (GET /v1/users/me/storage)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from server.live_service import Client, Service, concurrently, job_finished
from swingcoach.schemas import SwingPayload

MakePayload = Callable[..., SwingPayload]
MiB = 1024 * 1024
DEFAULT_QUOTA = 2 * 1024 * MiB


def chunks(data: bytes, count: int) -> list[tuple[int, bytes]]:
    size = -(-len(data) // count)
    return [(start, data[start : start + size]) for start in range(0, len(data), size)]


def staged_files(service: Service, user_id: str) -> list[Path]:
    folder = Path(service.api.env["SWINGCOACH_DATA_DIR"]) / "upload-staging" / user_id
    return sorted(folder.iterdir()) if folder.exists() else []


def stored_files(service: Service, user_id: str) -> list[Path]:
    env = service.api.env
    folder = Path(env.get("STORAGE_URL") or Path(env["SWINGCOACH_DATA_DIR"]) / "storage") / "videos" / user_id
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def keypoint_swing(client: Client, make_payload: MakePayload, **fields: object) -> str:
    payload = make_payload(**fields)
    assert client.post_swing(payload).status_code == 201
    return str(payload.swing_id)


def test_a_clip_sent_in_chunks_attaches_to_its_keypoint_swing_and_resumes_after_a_drop(
    service: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    client = service.client()
    swing_id = keypoint_swing(client, make_payload, club="7-iron", handedness="left")
    video = demo_video.read_bytes()
    total = len(video)
    (_, first), (second_at, second), (third_at, third) = chunks(video, 3)
    path = f"/v1/swings/{swing_id}/clip"

    fresh = client.http.get(path)
    assert fresh.status_code == 200
    assert fresh.json() == {
        "swing_id": swing_id,
        "received": 0,
        "total": None,
        "complete": False,
        "job_id": None,
        "status": None,
    }
    assert fresh.headers["Upload-Offset"] == "0" and fresh.headers["Upload-Complete"] == "?0"

    answer = client.put_chunk(swing_id, first, 0, total)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "swing_id": swing_id,
        "received": len(first),
        "total": total,
        "complete": False,
        "job_id": None,
        "status": None,
    }
    assert answer.headers["Upload-Offset"] == str(len(first)) and answer.headers["Upload-Length"] == str(
        total
    )

    # The second chunk is lost on the way: the third is refused with where to resume.
    skipped = client.put_chunk(swing_id, third, third_at, total)
    assert skipped.status_code == 409, skipped.text
    assert skipped.headers["Upload-Offset"] == str(second_at)
    assert skipped.json()["received"] == second_at and skipped.json()["total"] == total
    assert f"starts at byte {second_at}" in skipped.json()["detail"]
    resent_first = client.put_chunk(swing_id, first, 0, total)
    assert resent_first.status_code == 409 and resent_first.headers["Upload-Offset"] == str(second_at)
    other_total = client.put_chunk(swing_id, second, second_at, total + 1)
    assert other_total.status_code == 409 and f"total of {total} bytes" in other_total.json()["detail"]
    # A client that lost its answers asks where to resume, with HEAD or GET.
    head = client.http.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Upload-Offset"] == str(second_at) and head.headers["Upload-Length"] == str(total)
    assert client.http.get(path).json()["received"] == second_at

    assert client.put_chunk(swing_id, second, second_at, total).json()["received"] == third_at
    done = client.put_chunk(swing_id, third, third_at, total)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["complete"] is True and body["swing_id"] == swing_id and body["received"] == total
    assert body["job_id"] is not None and done.headers["Upload-Complete"] == "?1"
    job_id = body["job_id"]
    assert staged_files(service, client.user_id) == [], "the staging file is gone"
    assert len(stored_files(service, client.user_id)) == 1, "the clip is stored"

    # The last chunk sent again (its answer was lost): the same job, nothing new stored.
    again = client.put_chunk(swing_id, third, third_at, total)
    assert again.status_code == 200 and again.json()["job_id"] == job_id and again.json()["complete"]
    altered = client.put_chunk(swing_id, bytes(len(third)), third_at, total)
    assert altered.status_code == 409 and altered.headers["Upload-Complete"] == "?1"
    assert client.http.get(path).json() | {"status": None} == body | {"status": None}
    assert len(stored_files(service, client.user_id)) == 1, "still one clip: the resend kept nothing"

    job = client.wait_job(job_id, job_finished)
    assert job["status"] == "done" and job["swing_ids"] == [swing_id], job
    page = client.http.get("/v1/swings").json()
    assert page["total"] == 1 and page["items"][0]["id"] == swing_id, "one physical swing, one swing"
    assert page["items"][0]["has_video"] is True and page["items"][0]["video_bytes"] == total
    swing = client.http.get(f"/v1/swings/{swing_id}").json()
    assert swing["source"] == "device" and swing["has_video"] and swing["job"]["id"] == job_id
    assert swing["models"]["pose"].startswith("blazepose-lite"), "re-analysed from the clip"
    # ... as the golfer sent the keypoints: the same club and handedness, so one analysis.
    assert swing["club"] == "7-iron" and swing["report"]["handedness"] == "left"
    flight = swing["report"]["ball_flight"]
    assert flight is not None and flight["club"] == "7-iron"
    assert client.http.get(path.replace("/clip", "/payload")).json()["club"] == "7-iron"

    played = client.http.get(f"/v1/swings/{swing_id}/video")
    assert played.content == video and played.headers["Content-Type"] == "video/mp4"
    assert played.headers["Content-Disposition"] == f'inline; filename="swing-{swing_id}.mp4"'
    saved = client.http.get(f"/v1/swings/{swing_id}/video", params={"download": 1})
    assert saved.headers["Content-Disposition"] == f'attachment; filename="swing-{swing_id}.mp4"'
    assert saved.content == video


def test_a_player_seeking_in_the_clip_gets_the_byte_ranges_it_asks_for(
    service: Service, demo_video: Path
) -> None:
    """Range requests (Safari plays a <video> only through them): one range is served as 206 with
    its Content-Range, several or malformed ones get the whole clip, one past the end 416; a second
    account learns nothing."""
    owner, attacker = service.client(), service.client()
    video = demo_video.read_bytes()
    uploaded = owner.upload(video)
    assert uploaded.status_code == 202, uploaded.text
    path = f"/v1/swings/{uploaded.json()['swing_id']}/video"
    size = len(video)

    whole = owner.http.get(path)
    assert whole.status_code == 200 and whole.content == video and whole.headers["Accept-Ranges"] == "bytes"
    for asked, first, last in (
        ("bytes=0-1", 0, 1),
        ("bytes=1000-4999", 1000, 4999),
        (f"bytes={size - 10}-", size - 10, size - 1),
        ("bytes=-100", size - 100, size - 1),
        (f"bytes=5-{size + 1000}", 5, size - 1),
        (f"bytes=-{size + 1000}", 0, size - 1),
    ):
        part = owner.http.get(path, headers={"Range": asked})
        assert part.status_code == 206, (asked, part.status_code, part.text)
        assert part.content == video[first : last + 1], asked
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}", asked
        assert part.headers["Content-Length"] == str(last - first + 1), asked
    for ignored in ("bytes=0-1,5-9", "items=0-1", "bytes=abc", "bytes=-"):
        answer = owner.http.get(path, headers={"Range": ignored})
        assert answer.status_code == 200 and answer.content == video, ignored
    for beyond in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0", "bytes=9-5"):
        refused = owner.http.get(path, headers={"Range": beyond})
        assert refused.status_code == 416, (beyond, refused.text)
        assert refused.headers["Content-Range"] == f"bytes */{size}", beyond
    assert owner.http.get(path, headers={"Range": "bytes=" + "1" * 70 + "-"}).status_code == 422

    stolen = attacker.http.get(path, headers={"Range": "bytes=0-99"})
    assert stolen.status_code == 404 and video[:100] not in stolen.content
    assert "Content-Range" not in stolen.headers


def test_the_last_chunk_sent_twice_at_once_stores_one_clip(
    service: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    """A retry racing the original: the second waits for the first and gets the same answer."""
    client = service.client()
    swing_id = keypoint_swing(client, make_payload)
    video = demo_video.read_bytes()
    half = len(video) // 2
    assert client.put_chunk(swing_id, video[:half], 0, len(video)).status_code == 200
    answers = concurrently([lambda: client.put_chunk(swing_id, video[half:], half, len(video))] * 2)
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    assert all(answer.json()["complete"] for answer in answers)
    assert answers[0].json()["job_id"] == answers[1].json()["job_id"]
    assert len(stored_files(service, client.user_id)) == 1 and staged_files(service, client.user_id) == []
    assert client.http.get(f"/v1/swings/{swing_id}/video").content == video


def test_another_accounts_swing_id_gets_404_and_nothing_of_the_victim_changes(
    service: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    victim, attacker = service.client(), service.client()
    swing_id = keypoint_swing(victim, make_payload)
    video = demo_video.read_bytes()
    (_, first), (second_at, second), _ = chunks(video, 3)
    assert victim.put_chunk(swing_id, first, 0, len(video)).status_code == 200
    before = victim.http.get(f"/v1/swings/{swing_id}").json()
    victim_staged = staged_files(service, victim.user_id)

    path = f"/v1/swings/{swing_id}/clip"
    for start, data in ((0, first), (second_at, second), (0, video)):
        refused = attacker.put_chunk(swing_id, data, start, len(video))
        assert refused.status_code == 404, refused.text
        assert "Upload-Offset" not in refused.headers, "nothing about the upload is told"
    assert attacker.http.get(path).status_code == 404
    assert attacker.http.head(path).status_code == 404
    assert attacker.http.delete(path).status_code == 404
    assert attacker.http.get(f"/v1/swings/{swing_id}/video").status_code == 404

    assert victim.http.get(path).json()["received"] == second_at, "the victim's upload is untouched"
    assert victim.http.get(f"/v1/swings/{swing_id}").json() == before
    assert staged_files(service, victim.user_id) == victim_staged
    assert staged_files(service, attacker.user_id) == [], "nothing was made for the attacker"
    assert attacker.http.get("/v1/swings").json()["total"] == 0
    assert attacker.http.get("/v1/users/me/storage").json() == {
        "used_bytes": 0,
        "quota_bytes": DEFAULT_QUOTA,
        "clips": 0,
    }
    # The victim goes on where they were.
    done = victim.put_chunk(swing_id, video[second_at:], second_at, len(video))
    assert done.status_code == 200 and done.json()["complete"], done.text


def test_chunks_and_clips_over_the_limits_and_broken_ranges_are_refused(
    service: Service, make_payload: MakePayload
) -> None:
    """The test service allows 1 MiB videos; a chunk may have 8 MiB (the default)."""
    client = service.client()
    swing_id = keypoint_swing(client, make_payload)
    path = f"/v1/swings/{swing_id}/clip"

    too_long = client.put_chunk(swing_id, b"\x00" * 1000, 0, 2 * MiB)
    assert too_long.status_code == 413
    assert "larger than the 1 MiB a video may have" in too_long.json()["detail"]
    big_chunk = client.http.put(
        path, content=b"x", headers={"Content-Range": f"bytes 0-{9 * MiB - 1}/{9 * MiB}"}
    )
    assert big_chunk.status_code == 413 and "8 MiB a chunk may have" in big_chunk.json()["detail"]
    sent = client.http.put(
        path, content=bytes(8 * MiB + 1), headers={"Content-Range": f"bytes 0-{8 * MiB}/{8 * MiB + 1}"}
    )
    assert sent.status_code == 413, "the body itself is bounded (from its Content-Length)"

    for header, message in (
        (None, "content-range"),
        ("bytes=0-9/10", "content-range"),
        ("bytes 0-9/*", "content-range"),
        ("bytes 9-0/10", "first byte comes after its last"),
        ("bytes 0-10/10", "past the clip's end"),
        ("bytes 0-0/0", "an empty clip"),
    ):
        headers = {} if header is None else {"Content-Range": header}
        refused = client.http.put(path, content=b"0123456789", headers=headers)
        assert refused.status_code == 422, (header, refused.text)
        assert message in refused.json()["detail"].lower(), refused.text
    short = client.http.put(path, content=b"01234", headers={"Content-Range": "bytes 0-9/10"})
    assert short.status_code == 400 and "the body has 5 bytes" in short.json()["detail"]
    long = client.http.put(path, content=b"0123456789ab", headers={"Content-Range": "bytes 0-9/10"})
    assert long.status_code == 400 and "longer than the 10 bytes" in long.json()["detail"]
    unknown = client.put_chunk(str(uuid.uuid4()), b"0123456789", 0, 10)
    assert unknown.status_code == 404

    assert client.http.get(path).json()["received"] == 0, "nothing was staged"
    assert staged_files(service, client.user_id) == []


def test_a_clip_that_is_no_video_is_refused_when_complete_and_nothing_is_kept(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    swing_id = keypoint_swing(client, make_payload)
    text = b"this is a text file, not a clip of a swing\n" * 2000
    (_, first), (second_at, second) = chunks(text, 2)
    assert client.put_chunk(swing_id, first, 0, len(text)).status_code == 200
    refused = client.put_chunk(swing_id, second, second_at, len(text))
    assert refused.status_code == 415, refused.text
    assert "the uploaded clip is not a video" in refused.json()["detail"]
    assert client.http.get(f"/v1/swings/{swing_id}/clip").json()["received"] == 0, "the staging file is gone"
    assert staged_files(service, client.user_id) == []
    assert stored_files(service, client.user_id) == []
    swing = client.http.get(f"/v1/swings/{swing_id}").json()
    assert swing["has_video"] is False and swing["video_bytes"] is None and swing["job"] is None
    assert client.http.get(f"/v1/swings/{swing_id}/video").status_code == 404
    assert client.http.get("/v1/users/me/storage").json()["clips"] == 0


def test_deleting_a_swing_or_its_upload_removes_the_staged_chunks(
    service: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    client = service.client()
    video = demo_video.read_bytes()
    (_, first), *_ = chunks(video, 3)
    abandoned, deleted = keypoint_swing(client, make_payload), keypoint_swing(client, make_payload)
    for swing_id in (abandoned, deleted):
        assert client.put_chunk(swing_id, first, 0, len(video)).status_code == 200
    assert {path.name for path in staged_files(service, client.user_id)} == {
        f"{swing_id}{suffix}" for swing_id in (abandoned, deleted) for suffix in (".part", ".json")
    }

    assert client.http.delete(f"/v1/swings/{abandoned}/clip").status_code == 204
    assert client.http.get(f"/v1/swings/{abandoned}/clip").json()["received"] == 0
    assert client.http.get(f"/v1/swings/{abandoned}").status_code == 200, "the swing stays"
    assert client.http.delete(f"/v1/swings/{deleted}").status_code == 204
    assert client.http.get(f"/v1/swings/{deleted}/clip").status_code == 404
    assert staged_files(service, client.user_id) == []
    # The abandoned upload starts again from nothing.
    assert client.put_chunk(abandoned, first, 0, len(video)).json()["received"] == len(first)


def test_storage_figures_are_the_callers_own(service: Service, demo_video: Path) -> None:
    uploader, other = service.client(), service.client()
    video = demo_video.read_bytes()
    accepted = uploader.upload(video)
    assert accepted.status_code == 202
    assert uploader.http.get("/v1/users/me/storage").json() == {
        "used_bytes": len(video),
        "quota_bytes": DEFAULT_QUOTA,
        "clips": 1,
    }
    assert other.http.get("/v1/users/me/storage").json() == {
        "used_bytes": 0,
        "quota_bytes": DEFAULT_QUOTA,
        "clips": 0,
    }
    swing = uploader.http.get(f"/v1/swings/{accepted.json()['swing_id']}").json()
    assert swing["source"] == "video" and swing["has_video"] and swing["video_bytes"] == len(video)
    assert httpx.get(f"{service.url}/v1/users/me/storage").status_code == 401
