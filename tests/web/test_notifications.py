"""The "swing analysed" notification in headless Chromium, as a golfer a few metres from the screen
gets it: the large banner with the score, a sound, a vibration, the spoken result, the system
notification while the app is in the background, and the list behind the bell."""

from __future__ import annotations

import json
import math
import uuid
from typing import TYPE_CHECKING

from tests.web.browsing import api, post_swing, register, wait_until, watch

from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# What the page asks the device to do, recorded: headless Chromium has no motor or voice.
RECORD_CALLS = """
window.recorded = { vibrate: [], speak: [] };
navigator.vibrate = (pattern) => { window.recorded.vibrate.push(pattern); return true; };
speechSynthesis.speak = (utterance) => window.recorded.speak.push(utterance.text);
"""


def test_an_analysed_swing_is_announced_every_way(
    browser: Browser, web_server: str, demo_poses: PoseSequence
) -> None:
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_init_script(RECORD_CALLS)
    context.grant_permissions(["notifications"], origin=web_server)
    page = context.new_page()
    watch(page, errors)
    register(page, web_server)
    page.goto(f"{web_server}/library")
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout=90_000)

    # The golfer turns on the spoken score in the notification panel.
    page.click("#notices-button")
    page.check("[data-notify=speak]")
    page.click("#notices-button")
    assert page.locator("#notices").is_hidden()
    # ... and the app goes to the background (a gesture first: browsers play sound only after one).
    page.mouse.click(10, 300)
    page.evaluate("Object.defineProperty(document, 'hidden', { value: true, configurable: true })")

    payload = SwingPayload.from_sequence(uuid.uuid4(), demo_poses)
    post_swing(page, payload)
    wait_until(page, "document.body.dataset.lastNotice !== undefined")
    score = math.floor(api(page, f"/swings/{payload.swing_id}")["score"] + 0.5)

    assert page.locator("#result-banner").is_visible()
    assert page.inner_text("#result-title") == f"Swing analysed: score {score}"
    assert page.get_attribute("#result-link a", "href") == f"/swings/{payload.swing_id}"
    used = json.loads(page.evaluate("document.body.dataset.lastNotice"))
    assert used == {"banner": True, "sound": True, "vibrate": True, "speak": True, "system": True}, used
    recorded = page.evaluate("window.recorded")
    assert recorded["speak"] == [f"Swing saved, score {score}"]
    assert len(recorded["vibrate"]) == 1
    shown = page.evaluate(
        """async () => (await (await navigator.serviceWorker.getRegistration()).getNotifications())
            .map((n) => ({ title: n.title, href: n.data.href }))"""
    )
    assert shown == [{"title": f"Swing analysed: score {score}", "href": f"/swings/{payload.swing_id}"}]

    # The bell counts it until the list is opened; the list links to the swing.
    assert page.inner_text("#notices-count") == "1"
    page.click("#notices-button")
    assert page.locator("#notice-list li").count() == 1
    assert page.get_attribute("#notice-list li a", "href") == f"/swings/{payload.swing_id}"
    assert page.locator("#notices-count").is_hidden()
    page.click("#result-close")
    assert page.locator("#result-banner").is_hidden()
    context.close()
    assert not errors, errors
