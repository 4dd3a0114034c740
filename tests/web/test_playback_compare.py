"""The analysis clip driven from the keyboard, two swings compared in step at the 8 events, and any
metric's history on the statistics page, in headless Chromium."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tests.web.browsing import api, new_golfer, post_swing, wait_until

from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload
from swingcoach.swing.events.base import EVENT_NAMES
from swingcoach.video import FileSource, VideoWriter

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def rushed(sequence: PoseSequence) -> PoseSequence:
    """The demo swing with two of every three backswing frames left out: another tempo."""
    keep = np.concatenate([np.arange(50), np.arange(50, 119, 3), np.arange(119, len(sequence))])
    world = None if sequence.world is None else sequence.world[keep]
    return PoseSequence(sequence.keypoints[keep], sequence.fps, sequence.width, sequence.height, world)


def row(page: Page) -> int:
    return int(page.get_attribute("#player", "data-row") or -1)


def each_event_in_step(page: Page, before: str, after: str, shows: str) -> None:
    """Each event button of the compare page puts both swings at their own frame of that event
    (`shows`: the stage's data attribute, the rows drawn or the clip frames on screen), though the
    "before" swing's backswing is the faster."""
    events = {}
    for swing_id in (before, after):
        report = api(page, f"/swings/{swing_id}")["report"]
        offset = api(page, f"/swings/{swing_id}/payload")["frame_offset"]
        events[swing_id] = {name: report["events"][name] - offset for name in EVENT_NAMES}
    assert events[before]["top"] - events[before]["address"] < events[after]["top"] - events[after]["address"]
    for index, name in enumerate(EVENT_NAMES):
        page.click(f"#compare-chips [data-index='{index}']")
        expected = f"{events[before][name]},{events[after][name]}"
        wait_until(page, f"document.getElementById('compare-stage').dataset.{shows} === '{expected}'")


def test_keyboard_playback_compare_and_metric_history(
    browser: Browser, web_server: str, demo_poses: PoseSequence
) -> None:
    errors: list[str] = []
    context, page = new_golfer(browser, web_server, errors)
    before = post_swing(page, SwingPayload.from_sequence(uuid.uuid4(), rushed(demo_poses)))
    after = post_swing(page, SwingPayload.from_sequence(uuid.uuid4(), demo_poses))

    # The clip from the keyboard alone: focus it, pause, step, jump to an event, speed, skeleton.
    page.goto(f"{web_server}/swings/{after}")
    wait_until(page, "document.body.dataset.ready === 'true'", timeout=60_000)
    page.focus("#player")
    page.keyboard.press("Space")
    assert page.get_attribute("#play", "aria-label") == "Play"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_until(page, "document.getElementById('player').dataset.row === '2'")
    page.keyboard.press("ArrowLeft")
    wait_until(page, "document.getElementById('player').dataset.row === '1'")
    detail = api(page, f"/swings/{after}")
    payload = api(page, f"/swings/{after}/payload")
    top = detail["report"]["events"]["top"] - payload["frame_offset"]
    page.keyboard.press("4")  # the 4th event: the top
    wait_until(page, f"document.getElementById('player').dataset.row === '{top}'")
    assert page.get_attribute("#event-chips [data-current]", "data-event") == "top"
    page.keyboard.press("ArrowUp")
    assert page.input_value("#speed") == "1"
    page.keyboard.press("s")
    assert not page.is_checked("#skeleton")
    page.fill("#scrub", "10")
    page.dispatch_event("#scrub", "input")
    wait_until(page, "document.getElementById('player').dataset.row === '10'")

    # Drawing on the frame: an angle from three clicks, a spine line and a head box from the pose;
    # saved with the swing, so they are there on the next visit (and on any other device).
    page.click("[data-tool=angle]")
    for x, y in ((100, 100), (150, 250), (260, 230)):
        page.click("#player", position={"x": x, "y": y})
    wait_until(page, "document.getElementById('draw-status').textContent === '1 drawing saved'")
    page.click("[data-tool=angle]")  # the tool off again
    page.click("[data-place=spine]")
    page.click("[data-place=head]")
    wait_until(page, "document.getElementById('draw-status').textContent === '3 drawings saved'")
    page.reload()
    wait_until(page, "document.body.dataset.ready === 'true'", timeout=60_000)
    drawings = api(page, f"/swings/{after}")["drawings"]
    assert [d["kind"] for d in drawings] == ["angle", "spine", "head"]
    assert len(drawings[0]["points"]) == 3 and all(d["frame"] == 10 for d in drawings[1:])
    page.click("#draw-undo")
    wait_until(page, "document.getElementById('draw-status').textContent === '2 drawings saved'")

    # Compare: each event chip shows both swings at that event, though their tempos differ.
    page.goto(f"{web_server}/compare?a={before}&b={after}")
    wait_until(page, "document.body.dataset.ready === 'true'", timeout=60_000)
    each_event_in_step(page, before, after, "rows")
    page.click("[data-layout=overlay]")
    assert page.locator("#canvas-overlay").is_visible() and page.locator("#canvas-a").is_hidden()
    assert page.locator("#compare-table tbody tr").count() >= 5

    # Statistics: any metric's history, the choice kept across visits.
    page.goto(f"{web_server}/stats")
    wait_until(page, "document.body.dataset.statsSwings === '2'")
    options = page.eval_on_selector_all("#metric-choice option", "(o) => o.map((x) => x.value)")
    assert "tempo_ratio" in options and len(options) >= 10
    page.select_option("#metric-choice", "hip_shift_impact" if "hip_shift_impact" in options else options[1])
    chosen = page.input_value("#metric-choice")
    assert page.locator("#chart-metric circle").count() >= 1
    page.reload()
    wait_until(page, "document.body.dataset.statsSwings === '2'")
    assert page.input_value("#metric-choice") == chosen
    context.close()
    assert not errors, errors


def rushed_clip(video: Path, path: Path) -> Path:
    """The demo clip with two of every three backswing frames left out, as `rushed` does to poses."""
    source = FileSource(video)
    with source, VideoWriter(path, source.info.fps, source.info.width, source.info.height) as out:
        for frame in source:
            if not 50 <= frame.index < 119 or (frame.index - 50) % 3 == 0:
                out.write(frame.image)
    return path


def upload(page: Page, base_url: str, clip: Path) -> str:
    """Upload a clip as the practice page's "also upload the clip" does; its swing's id."""
    answer = page.request.post(
        f"{base_url}/v1/swings/video",
        headers={"X-Requested-With": "swingcoach"},
        multipart={"file": {"name": clip.name, "mimeType": "video/mp4", "buffer": clip.read_bytes()}},
    )
    assert answer.status == 202, answer.text()
    return answer.json()["swing_id"]


def test_kept_clips_play_in_step_on_the_compare_page(
    browser: Browser, web_server: str, demo_video: Path, tmp_path: Path
) -> None:
    """Side by side, each swing with a clip on the server shows its own video frame at each event
    (the skeleton drawn is the frame on screen), though the two tempos differ."""
    errors: list[str] = []
    context, page = new_golfer(browser, web_server, errors)
    before = upload(page, web_server, rushed_clip(demo_video, tmp_path / "rushed.mp4"))
    after = upload(page, web_server, demo_video)
    deadline = time.monotonic() + 180
    while any(api(page, f"/swings/{swing_id}")["status"] == "processing" for swing_id in (before, after)):
        assert time.monotonic() < deadline, "the clips' analyses did not finish"
        time.sleep(1)

    page.goto(f"{web_server}/compare?a={before}&b={after}")
    wait_until(page, "document.body.dataset.ready === 'true'", timeout=60_000)
    wait_until(page, "['video-a', 'video-b'].every((id) => document.getElementById(id).readyState >= 2)")
    assert "its clip" in page.inner_text("#caption-a") and "its clip" in page.inner_text("#caption-b")
    each_event_in_step(page, before, after, "shown")
    context.close()
    assert not errors, errors
