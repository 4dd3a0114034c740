"""Bounded uploads and plausible payloads (issue #16, points 2, 6 and 8), against the running service.

Uploads: the video limits refuse a pathological clip from its header before anything is decoded or
stored (and the worker checks what it decodes, since headers can lie), the analysing process stays
under 600 MiB, each user has a storage quota, clips of failed uploads are deleted and retention
keeps working. Payloads: implausible numbers are refused with 422 and a clear message, keypoints
that are not a person are never scored, and nothing already stored changes.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update

from server.live_service import Client, Service, job_finished, running_embedded
from swingcoach.bench.uploads import flat_video, lying_video
from swingcoach.schemas import SwingPayload
from swingcoach.server.models import Job, Swing
from swingcoach.video.source import FileSource, VideoLimitError, VideoLimits

MakePayload = Callable[..., SwingPayload]
MiB = 1024 * 1024
RSS_LIMIT_MIB = 600
QUOTA = MiB  # two demo clips (430 kB each) fit, a third does not
DEFAULT_SECONDS = 60  # the default max_video_seconds: the attacks run against the defaults


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A fresh embedded service of its own (its peak RSS is this module's), with the default video
    limits, a 1 MiB storage quota and a one-day video retention."""
    extra = {"SWINGCOACH_STORAGE_QUOTA_BYTES": str(QUOTA), "SWINGCOACH_VIDEO_RETENTION_DAYS": "1"}
    with running_embedded("limited", tmp_path_factory.mktemp("limited"), extra) as service:
        yield service


def storage_files(service: Service, user_id: str) -> list[Path]:
    folder = Path(service.database_url.removeprefix("sqlite:///")).parent / "storage" / "videos" / user_id
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def peak_rss_mib(service: Service) -> float:
    assert service.api.popen is not None
    status = Path(f"/proc/{service.api.popen.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("attack-videos")
    return {
        "huge": flat_video(root / "huge.mp4", 8192, 8192, 10),  # ~30 kB
        "long": flat_video(root / "long.mp4", 64, 64, 120 * 30),  # ~70-100 kB
        # No duration or frame count in the header; 5 fps keeps the worker's pose runs few.
        "streamed": flat_video(root / "streamed.mkv", 64, 64, 90 * 5, fps=5, streamed=True),
        # The header says 64x64; after 60 such frames come 8192x8192 ones.
        "lying": lying_video(root / "lying.avi"),
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [("huge", "8192x8192 (67.1 Mpx); at most 8.3 Mpx"), ("long", f"at most {DEFAULT_SECONDS} s")],
)
def test_a_pathological_video_is_refused_from_its_header_and_nothing_is_stored(
    limited: Service, videos: dict[str, Path], name: str, message: str
) -> None:
    client = limited.client()
    refused = client.upload(videos[name].read_bytes())
    assert refused.status_code == 413, refused.text
    assert message in refused.json()["detail"]
    assert storage_files(limited, client.user_id) == []
    assert client.http.get("/v1/swings").json()["total"] == 0
    # An 8192x8192 frame decoded is ~200 MB (the issue saw ~1.9 GB): the header was enough.
    assert peak_rss_mib(limited) < RSS_LIMIT_MIB


def failed_upload(service: Service, video: Path, name: str) -> tuple[Client, dict[str, Any]]:
    """Upload a clip whose header passes the checks (202) and wait for its job: failed, not retried."""
    client = service.client()
    accepted = client.upload(video.read_bytes(), name=name)
    assert accepted.status_code == 202, "the header says nothing against it"
    job = client.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "failed" and job["attempts"] == 1, job
    return client, job


def test_a_video_whose_header_hides_its_length_is_stopped_by_the_worker(
    limited: Service, videos: dict[str, Path]
) -> None:
    client, job = failed_upload(limited, videos["streamed"], "swing.mkv")
    assert f"at most {DEFAULT_SECONDS} s are allowed" in job["error"]
    worker_s = (
        datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])
    ).total_seconds()
    assert worker_s < 2 * DEFAULT_SECONDS
    assert storage_files(limited, client.user_id) == [], "the unusable clip is deleted"
    assert peak_rss_mib(limited) < RSS_LIMIT_MIB


def test_frames_larger_than_the_header_says_are_never_decoded(
    limited: Service, videos: dict[str, Path]
) -> None:
    client, job = failed_upload(limited, videos["lying"], "swing.avi")
    assert "after frame 60, or its frames exceed 8294400 pixels" in job["error"]
    assert storage_files(limited, client.user_id) == []
    # Decoded, the 8192x8192 frames took the process past 1 GB.
    assert peak_rss_mib(limited) < RSS_LIMIT_MIB


def test_the_decoder_counts_frames_and_time_whatever_the_header_says(videos: dict[str, Path]) -> None:
    """Unit level: the same header-less file against small limits, one at a time."""
    for limits, message in (
        (VideoLimits(max_seconds=1000, max_frames=20, max_pixels=64 * 64), "at least 21 frames"),
        (VideoLimits(max_seconds=3, max_frames=10**6, max_pixels=64 * 64), "at least 3.20 s"),
    ):
        with FileSource(videos["streamed"], limits) as source, pytest.raises(VideoLimitError, match=message):
            for _ in source:
                pass
    with pytest.raises(VideoLimitError, match="64x64"):
        FileSource(videos["streamed"], VideoLimits(60, 3600, max_pixels=63 * 64))


def test_the_storage_quota_counts_stored_clips(limited: Service, demo_video: Path) -> None:
    client = limited.client()
    clip = demo_video.read_bytes()
    first, second = (client.upload(clip) for _ in range(2))
    assert first.status_code == second.status_code == 202
    third = client.upload(clip)
    assert third.status_code == 413, third.text
    assert "storage quota of 1 MiB" in third.json()["detail"]
    assert len(storage_files(limited, client.user_id)) == 2, "the refused clip was not stored"
    resend = client.upload(clip, swing_id=first.json()["swing_id"])
    assert resend.status_code == 202 and resend.json()["job_id"] == first.json()["job_id"], "resend at quota"
    assert limited.client().upload(clip).status_code == 202, "the quota is per user"
    assert client.http.delete(f"/v1/swings/{first.json()['swing_id']}").status_code == 204
    assert client.upload(clip).status_code == 202, "deleting a swing frees its clip's space"


def test_a_clip_sent_in_chunks_counts_against_the_quota_first_and_last(
    limited: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    """The first chunk is refused when the announced total cannot fit; one that fitted then is
    checked again when the clip is whole (the quota filled up meanwhile), and nothing is kept."""
    client = limited.client()
    clip = demo_video.read_bytes()
    half = len(clip) // 2
    assert client.upload(clip).status_code == 202
    payload = make_payload()
    assert client.post_swing(payload).status_code == 201
    swing_id = str(payload.swing_id)
    assert client.put_chunk(swing_id, clip[:half], 0, len(clip)).status_code == 200
    assert client.upload(clip).status_code == 202, "staged chunks hold no quota"
    assert client.http.get("/v1/users/me/storage").json() == {
        "used_bytes": 2 * len(clip),
        "quota_bytes": QUOTA,
        "clips": 2,
    }
    last = client.put_chunk(swing_id, clip[half:], half, len(clip))
    assert last.status_code == 413, last.text
    assert "storage quota of 1 MiB" in last.json()["detail"]
    assert client.http.get(f"/v1/swings/{swing_id}/clip").json()["received"] == 0, "staging removed"
    assert len(storage_files(limited, client.user_id)) == 2, "the refused clip was not stored"
    first = client.put_chunk(swing_id, clip[:half], 0, len(clip))
    assert first.status_code == 413 and "storage quota of 1 MiB" in first.json()["detail"]
    assert client.http.get(f"/v1/swings/{swing_id}/clip").json()["received"] == 0, "refused up front"
    assert client.http.get(f"/v1/swings/{swing_id}").json()["has_video"] is False


def test_unfinished_uploads_of_one_account_stay_within_its_quota(
    limited: Service, demo_video: Path, make_payload: MakePayload
) -> None:
    """An attacker opening upload after upload and never finishing them: each new one must fit
    beside the announced sizes of the others, so the staged bytes stay within the quota."""
    client = limited.client()
    clip = demo_video.read_bytes()
    half = len(clip) // 2
    fits = QUOTA // len(clip)
    swing_ids = []
    for _ in range(fits + 1):
        payload = make_payload()
        assert client.post_swing(payload).status_code == 201
        swing_ids.append(str(payload.swing_id))
    for swing_id in swing_ids[:fits]:
        assert client.put_chunk(swing_id, clip[:half], 0, len(clip)).status_code == 200
    refused = client.put_chunk(swing_ids[fits], clip[:half], 0, len(clip))
    assert refused.status_code == 413, refused.text
    assert "unfinished uploads" in refused.json()["detail"]
    assert client.http.get(f"/v1/swings/{swing_ids[fits]}/clip").json()["received"] == 0
    finished = client.put_chunk(swing_ids[0], clip[half:], half, len(clip))
    assert finished.status_code == 200 and finished.json()["complete"], "an open upload goes on"
    assert client.put_chunk(swing_ids[fits], clip[:half], 0, len(clip)).status_code == 413, "stored now"
    assert limited.client().put_chunk(swing_ids[fits], clip[:half], 0, len(clip)).status_code == 404

    assert client.http.delete(f"/v1/swings/{swing_ids[1]}/clip").status_code == 204
    started = client.put_chunk(swing_ids[fits], clip[:half], 0, len(clip))
    assert started.status_code == 200, "cancelling an upload frees its share"


def test_a_failed_upload_loses_its_clip_and_keeps_its_error(limited: Service, demo_video: Path) -> None:
    client = limited.client()
    accepted = client.upload(demo_video.read_bytes()[:3000])  # a header, then nothing decodable
    assert accepted.status_code == 202
    job = client.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "failed"
    swing_id = accepted.json()["swing_id"]
    swing = client.http.get(f"/v1/swings/{swing_id}").json()
    assert swing["status"] == "failed" and swing["error"] == job["error"]
    assert client.http.get(f"/v1/swings/{swing_id}/video").status_code == 404
    assert storage_files(limited, client.user_id) == []


def test_retention_deletes_old_clips_unless_kept(limited: Service, demo_video: Path) -> None:
    client = limited.client()
    old, kept = (client.upload(demo_video.read_bytes()).json() for _ in range(2))
    for accepted in (old, kept):
        assert client.wait_job(accepted["job_id"], job_finished)["status"] == "done"
    assert client.http.patch(f"/v1/swings/{kept['swing_id']}", json={"keep": True}).status_code == 200
    with limited.engine.begin() as connection:
        ids = [uuid.UUID(old["swing_id"]), uuid.UUID(kept["swing_id"])]
        connection.execute(
            update(Swing).where(Swing.id.in_(ids)).values(received_at=datetime.now(UTC) - timedelta(days=2))
        )
    deadline = time.monotonic() + 30
    while len(storage_files(limited, client.user_id)) > 1:
        assert time.monotonic() < deadline, "the reaper (every 2 s) never deleted the old clip"
        time.sleep(0.2)
    assert client.http.get(f"/v1/swings/{old['swing_id']}/video").status_code == 404
    assert client.http.get(f"/v1/swings/{old['swing_id']}").json()["status"] == "done", "the swing stays"
    assert client.http.get(f"/v1/swings/{kept['swing_id']}/video").status_code == 200
    assert len(storage_files(limited, client.user_id)) == 1


def test_a_4k_clip_is_allowed_and_decoded_within_the_memory_bound(limited: Service, tmp_path: Path) -> None:
    """4K phone video passes the default pixel cap; decoding it (2 threads) stays under the bound."""
    client = limited.client()
    accepted = client.upload(flat_video(tmp_path / "4k.mp4", 3840, 2160, 30).read_bytes())
    assert accepted.status_code == 202, accepted.text
    job = client.wait_job(accepted.json()["job_id"], job_finished)
    assert job["status"] == "failed" and "no person found" in job["error"], "decoded to the end"
    assert peak_rss_mib(limited) < RSS_LIMIT_MIB


def test_a_normal_upload_stays_under_the_memory_bound(limited: Service) -> None:
    """Last in the module: every upload above, analysed or refused, left the peak under 600 MiB."""
    assert peak_rss_mib(limited) < RSS_LIMIT_MIB


# ---------------------------------------------------------------------------------------------
# Payloads
# ---------------------------------------------------------------------------------------------


def _keypoints(body: dict[str, Any], change: Callable[[np.ndarray], None]) -> str:
    packed = np.frombuffer(base64.b64decode(body["keypoints"]), dtype="<i2").reshape(body["frames"], 17, 3)
    packed = packed.copy()
    change(packed)
    return base64.b64encode(packed.astype("<i2").tobytes()).decode()


def _random_int16(packed: np.ndarray) -> None:
    packed[:] = np.random.default_rng(16).integers(-32767, 32768, packed.shape)


def _random_positions(packed: np.ndarray) -> None:
    packed[..., :2] = np.random.default_rng(16).integers(-32767, 32768, packed[..., :2].shape)


def _no_confidence(packed: np.ndarray) -> None:
    packed[..., 2] = 0


def _events(body: dict[str, Any], address: int) -> dict[str, int]:
    names = ("address", "toe_up", "mid_backswing", "top", "mid_downswing", "impact", "mid_follow_through")
    return dict(zip(names, range(address, address + 7), strict=True)) | {"finish": 10}


BAD_PAYLOADS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "fps=1e-300": (lambda b: b.update(fps=1e-300), "fps: Input should be greater than or equal to 1"),
    "frame_offset=2^63": (lambda b: b.update(frame_offset=2**63), "frame_offset: Input should be less"),
    "recorded_at year 1": (
        lambda b: b.update(recorded_at="0001-01-01T00:00:00+01:00"),
        "recorded_at must be from 2000 on",
    ),
    "events -100000": (
        lambda b: b.update(events=_events(b, -100000)),
        "events.address: Input should be greater",
    ),
    "random int16 keypoints": (
        lambda b: b.update(keypoints=_keypoints(b, _random_int16)),
        "the keypoints are not a person",
    ),
    "random int16 positions": (
        lambda b: b.update(keypoints=_keypoints(b, _random_positions)),
        "the keypoints are not a person",
    ),
    "confidence 0 everywhere": (
        lambda b: b.update(keypoints=_keypoints(b, _no_confidence)),
        "the keypoints are not a person",
    ),
    "a model name of 10 000 characters": (
        lambda b: b["models"].update(pose="x" * 10_000),
        "models.pose: String should have at most 200 characters",
    ),
}


@pytest.mark.parametrize("case", BAD_PAYLOADS)
def test_an_implausible_payload_is_refused_and_changes_nothing(
    service: Service, make_payload: MakePayload, case: str
) -> None:
    """Each input the issue names: 422 with a clear message (on Postgres these were 500s)."""
    client = service.client()
    stored = make_payload()
    assert client.post_swing(stored).status_code == 201
    before = client.http.get(f"/v1/swings/{stored.swing_id}").json()

    body = make_payload().model_dump(mode="json")
    change, message = BAD_PAYLOADS[case]
    change(body)
    refused = client.http.post("/v1/swings", json=body)
    assert refused.status_code == 422, refused.text
    assert message in refused.json()["detail"]
    assert client.http.get(f"/v1/swings/{body['swing_id']}").status_code == 404
    assert client.http.get(f"/v1/swings/{stored.swing_id}").json() == before
    assert client.http.get("/v1/swings").json()["total"] == 1


def test_a_dead_jobs_clip_is_kept_for_a_retry_then_deleted(limited: Service, demo_video: Path) -> None:
    """Dead letters come from transient errors: their clip waits `dead_clip_days` (7) for a retry."""
    client = limited.client()
    recent, old = (client.upload(demo_video.read_bytes()).json() for _ in range(2))
    for accepted, finished in ((recent, datetime.now(UTC)), (old, datetime.now(UTC) - timedelta(days=8))):
        assert client.wait_job(accepted["job_id"], job_finished)["status"] == "done"
        with limited.engine.begin() as connection:  # as the reaper leaves a job that used its attempts
            connection.execute(
                update(Swing).where(Swing.id == uuid.UUID(accepted["swing_id"])).values(status="failed")
            )
            connection.execute(
                update(Job)
                .where(Job.id == uuid.UUID(accepted["job_id"]))
                .values(status="dead", finished_at=finished)
            )
    deadline = time.monotonic() + 30
    while len(storage_files(limited, client.user_id)) > 1:
        assert time.monotonic() < deadline, "the reaper never deleted the old dead job's clip"
        time.sleep(0.2)
    time.sleep(3)  # another reaper pass (every 2 s) leaves the recent one alone
    assert client.http.get(f"/v1/swings/{recent['swing_id']}/video").status_code == 200
    assert client.http.get(f"/v1/swings/{old['swing_id']}/video").status_code == 404
    assert client.http.get(f"/v1/swings/{old['swing_id']}").json()["status"] == "failed", "the row stays"
