"""The web app end to end in headless Chromium, with a fake camera playing the demo swing video:
a new golfer registers, practises, the browser finds the swing with its own pose model and uploads
it, the analysis appears, the statistics update, and the swing is deleted. Screenshots of every page
(desktop and phone) and the measured figures go to the artefact folder the test prints."""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.web.browsing import api, log_in, register, wait_until, watch

from swingcoach.pose.base import PoseSequence
from swingcoach.swing.detect import find_swings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SWINGS_TO_SEE = 2  # the fake camera loops the one-swing video: each pass is one swing
# Top and impact are sharp turning points of the hands; the finish is where they come to rest, timed
# by their speed over 0.4 s, which the browser's lower, uneven pose rate blurs.
LANDMARK_TOLERANCE_S = {"top": 0.3, "impact": 0.3, "finish": 0.75}


def landmarks(sequence: PoseSequence) -> dict[str, float]:
    """Seconds from the takeaway to the top, impact and finish of the one swing the Python swing
    finder sees in the sequence."""
    swings = find_swings(sequence)
    assert len(swings) == 1, f"the Python swing finder sees {len(swings)} swings in the demo video"
    (swing,) = swings
    names = ("top", "impact", "finish")
    return {name: round((getattr(swing, name) - swing.takeaway) / sequence.fps, 3) for name in names}


def test_practice_to_analysis_to_delete(
    browser: Browser,
    web_server: str,
    browser_artifacts: Path,
    demo_poses: PoseSequence,
) -> None:
    errors: list[str] = []
    figures: dict = {}
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch(page, errors)
    shot = lambda name, target=page: target.screenshot(path=browser_artifacts / f"{name}.png", full_page=True)  # noqa: E731

    # A new golfer registers and lands on the practice page.
    page.goto(f"{web_server}/register")
    shot("desktop-register")
    email = register(page, web_server)
    # The tokens are http-only cookies: nothing a page script (or an injected one) can read.
    assert "swingcoach_" not in page.evaluate("document.cookie")
    kept = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "access_token" not in kept and "eyJ" not in kept, kept
    assert {c["name"] for c in context.cookies() if c["httpOnly"]} >= {
        "swingcoach_access",
        "swingcoach_refresh",
    }
    page.goto(f"{web_server}/stats")
    wait_until(page, "document.body.dataset.statsSwings !== undefined")
    assert page.inner_text("#kpi-swings") == "0"

    # Practice: the camera plays the demo swing in a loop; the browser finds each swing. The network
    # fails the first upload twice: once before the server, once after it (the answer is lost).
    uploads: list[str] = []

    def flaky(route: Route) -> None:
        uploads.append(route.request.method)
        if len(uploads) == 1:
            route.abort()
        elif len(uploads) == 2:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/v1/swings", flaky)
    page.goto(f"{web_server}/practice")
    page.select_option("#club", "7-iron")
    started = time.monotonic()
    page.click("#start")
    wait_until(page, "window.swingcoach.model !== null")
    figures["model_load_s"] = round(time.monotonic() - started, 2)
    fps_samples, shot_taken = [], False
    deadline = time.monotonic() + 60 + 15 * SWINGS_TO_SEE
    while True:
        state = page.evaluate("window.swingcoach")
        if state["posed"] > 10:
            fps_samples.append(state["poseFps"])
        analysed = [s for s in state["swings"] if s["status"] == "analysed"]
        if not shot_taken and page.locator("#result-banner:not([hidden])").count():
            shot("desktop-practice")  # the skeleton, the swing list and the "swing analysed" banner
            shot_taken = True
        if len(analysed) >= SWINGS_TO_SEE:
            break
        assert time.monotonic() < deadline, f"swings seen in the browser: {state['swings']}"
        time.sleep(0.5)
    assert page.inner_text("#result-title").startswith("Swing analysed: score ")
    assert page.locator("#notice-list li").count() >= SWINGS_TO_SEE
    page.click("#stop")
    state = page.evaluate("window.swingcoach")
    swings = state["swings"]
    assert len(swings) == SWINGS_TO_SEE, "one swing per pass of the video, no extra ones"
    assert len(uploads) >= SWINGS_TO_SEE + 2  # the two failed attempts were retried
    assert api(page, "/swings")["total"] == SWINGS_TO_SEE  # and the resend made no duplicate
    figures.update(
        pose_fps_median=round(statistics.median(fps_samples), 1),
        pose_fps_min=round(min(fps_samples), 1),
        pose_fps_max=round(max(fps_samples), 1),
        inference_ms_median=round(state["inferenceMs"], 1),
        pose_model=state["model"],
        wasm_threads=state["threads"],
        camera_frames=state["frames"],
        posed_frames=state["posed"],
        upload_attempts=len(uploads),
        swings=swings,
    )
    # The page runs BlazePose full by default, as the CLI and the server do: the Python swing finder on
    # BlazePose full's keypoints of every frame of the video (the fixture) is the reference.
    assert state["model"].startswith("blazepose-full-")
    reference = landmarks(demo_poses)
    figures["landmarks_s"] = {"python_blazepose_full": reference}
    for swing in swings:
        seen = {k: round(v - swing["landmarksS"]["takeaway"], 3) for k, v in swing["landmarksS"].items()}
        figures["landmarks_s"].setdefault("browser", []).append(seen)
        for name, expected in reference.items():
            error = abs(seen[name] - expected)
            rate = figures["pose_fps_median"]
            assert error <= LANDMARK_TOLERANCE_S[name], f"browser {seen}, python {reference} ({rate} fps)"
        assert swing["frames"] >= 3 * swing["fps"] and swing["score"] is not None

    # The analysis of the first swing: the local clip, the 8 event frames, metrics and the reference.
    swing_id = swings[0]["swingId"]
    page.goto(f"{web_server}/swings/{swing_id}")
    wait_until(page, "document.body.dataset.ready === 'true'", timeout=60_000)
    assert "Clip recorded in this browser" in page.inner_text("#clip-source")
    assert page.evaluate("document.getElementById('clip').readyState") >= 2
    assert page.locator("#event-strip canvas").count() == 8
    assert page.locator("#compare canvas").count() == 8  # you over the tour swings, at each event
    assert page.locator("#pro-differences li").count() >= 1
    assert page.locator("#metrics tbody tr").count() >= 10
    detail = api(page, f"/swings/{swing_id}")
    assert detail["models"]["pose"] == state["model"]  # the payload names the browser's model
    assert api(page, f"/swings/{swing_id}/payload")["club"] == "7-iron"
    shown = math.floor(detail["report"]["score"] + 0.5)  # Math.round, as the page rounds
    assert page.inner_text("#score").split()[0] == str(shown)
    figures["server_report"] = {
        "score": detail["report"]["score"],
        "events": detail["report"]["events"],
        "view": detail["report"]["view"],
        "handedness": detail["report"]["handedness"],
        "fps": detail["fps"],
        "frames": detail["frames"],
    }
    time.sleep(1.5)  # let the clip and the side-by-side play a little
    shot("desktop-analysis")

    # Keep video: the browser's clip goes to the server in chunks, attached to the same swing.
    page.click("#keep")
    wait_until(page, "document.body.dataset.clipKept === 'true'", timeout=120_000)
    assert "Clip kept on the server" in page.inner_text("#clip-status")
    kept = api(page, f"/swings/{swing_id}")
    assert kept["keep"] is True and kept["has_video"] is True and kept["video_bytes"] > 10_000
    assert api(page, "/swings")["total"] == SWINGS_TO_SEE  # one swing, counted once
    assert api(page, "/users/me/storage")["clips"] == 1

    # Another browser (no local clip): after logging in, the swing plays the server's clip.
    other = browser.new_context(viewport=DESKTOP)
    elsewhere = other.new_page()
    watch(elsewhere, errors)
    log_in(elsewhere, web_server, email)
    deadline = time.monotonic() + 180
    while api(elsewhere, f"/swings/{swing_id}")["status"] == "processing":  # analysed again, from the clip
        assert time.monotonic() < deadline, "the clip's analysis did not finish"
        time.sleep(1)
    elsewhere.goto(f"{web_server}/swings/{swing_id}")
    wait_until(elsewhere, "document.body.dataset.ready === 'true'", timeout=60_000)
    assert "The clip kept on the server" in elsewhere.inner_text("#clip-source")
    wait_until(elsewhere, "document.getElementById('clip').readyState >= 2")
    assert elsewhere.get_attribute("#download", "href") == f"/v1/swings/{swing_id}/video?download=1"
    shot("desktop-analysis-second-device", elsewhere)
    # Tagged as a drill, the clip plays with that drill among the recommendations.
    drill = next(i for i in api(elsewhere, "/recommendations")["items"] if i["kind"] == "drill")
    elsewhere.select_option("#drill", drill["id"])
    wait_until(elsewhere, "document.getElementById('drill-status').textContent.startsWith('Saved: it plays')")
    elsewhere.goto(f"{web_server}/recommendations")
    clip = f".rec[data-id='{drill['id']}'] .drill-clips video"
    elsewhere.wait_for_selector(clip)
    wait_until(elsewhere, f'document.querySelector("{clip}").readyState >= 1')
    shot("desktop-recommendations-drill-clip", elsewhere)
    other.close()

    # Library: both swings with thumbnails; favourite one (the other stays unkept).
    page.goto(f"{web_server}/library")
    page.wait_for_selector(".swing-card img")
    assert page.locator(".swing-card").count() == SWINGS_TO_SEE
    first = page.locator(f".swing-card[data-swing-id='{swing_id}']")
    first.locator("button.favorite").click()
    first.locator("button.keep[aria-pressed='true']").wait_for()  # kept on its analysis page
    assert "Clips on the server" in page.inner_text("#storage")
    assert api(page, f"/swings/{swing_id}")["favorite"] is True
    shot("desktop-library")

    # Statistics now count the swings; recommendations and the start page have something to say.
    page.goto(f"{web_server}/stats")
    wait_until(page, f"document.body.dataset.statsSwings === '{SWINGS_TO_SEE}'")
    assert page.locator("#chart-score circle").count() >= 1
    shot("desktop-stats")
    page.goto(f"{web_server}/recommendations")
    page.wait_for_selector("#rec-note:not(:empty)")
    shot("desktop-recommendations")
    page.goto(f"{web_server}/")
    page.wait_for_selector("#latest .score")
    shot("desktop-home")

    # The same pages on a phone-sized screen (same account, same browser storage).
    storage = context.storage_state()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, storage_state=storage)
    small = phone.new_page()
    watch(small, errors)
    for name, path, ready in (
        ("practice", "/practice", None),
        ("analysis", f"/swings/{swing_id}", "document.body.dataset.ready === 'true'"),
        ("library", "/library", "document.querySelector('.swing-card .thumb > :is(img, canvas)') !== null"),
        ("stats", "/stats", "document.body.dataset.statsSwings !== undefined"),
    ):
        small.goto(f"{web_server}{path}")
        if name == "practice":
            assert small.locator("#camera-guide").get_attribute("open") is None  # folded once practised
            small.click("#start")
            wait_until(small, "window.swingcoach.posed > 20", timeout=60_000)
        else:
            wait_until(small, ready, timeout=60_000)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {name} page scrolls sideways"
        shot(f"phone-{name}", small)
    phone.close()

    # Delete both swings from the library; the statistics follow.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{web_server}/library")
    for swing in swings:
        card = page.locator(f".swing-card[data-swing-id='{swing['swingId']}']")
        card.locator("button.delete").click()
        card.wait_for(state="detached")
    assert page.locator("#library-empty").is_visible()
    assert api(page, "/swings")["total"] == 0
    page.goto(f"{web_server}/stats")
    wait_until(page, "document.body.dataset.statsSwings === '0'")
    context.close()

    (browser_artifacts / "figures.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps({k: v for k, v in figures.items() if k != "swings"}, indent=1))
    assert not errors, errors
