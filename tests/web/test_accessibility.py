"""axe-core in headless Chromium on every page, logged out and logged in with swings to show, on a
phone and a desktop screen: no violations allowed. The clip is driven from the keyboard alone."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.web.browsing import post_swing, register, wait_until, watch

from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
PUBLIC = {"home": "/", "login": "/login", "register": "/register"}
READY = {
    "home": "document.querySelector('#latest .score') !== null",
    "practice": "document.querySelector('#start') !== null",
    "library": "document.querySelector('.swing-card .thumb > :is(img, canvas)') !== null",
    "analysis": "document.body.dataset.ready === 'true'",
    "stats": "document.body.dataset.statsSwings !== undefined",
    "recommendations": "document.querySelector('#rec-note:not(:empty)') !== null",
    "compare": "document.body.dataset.ready === 'true'",
}


def violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in result.response["violations"]
    ]


@pytest.mark.parametrize("size", SIZES)
def test_every_page_has_no_axe_violations(
    browser: Browser, web_server: str, demo_poses: PoseSequence, browser_artifacts: Path, size: str
) -> None:
    errors: list[str] = []
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    watch(page, errors)
    found: dict[str, list[str]] = {}
    for name, path in PUBLIC.items():
        page.goto(f"{web_server}{path}")
        page.wait_for_load_state("networkidle")
        found[f"{name} (logged out)"] = violations(page)
    register(page, web_server)
    swing_id = post_swing(page, SwingPayload.from_sequence(uuid.uuid4(), demo_poses))
    post_swing(page, SwingPayload.from_sequence(uuid.uuid4(), demo_poses))
    pages = {
        **{k: v for k, v in PUBLIC.items() if k == "home"},
        "practice": "/practice",
        "library": "/library",
        "analysis": f"/swings/{swing_id}",
        "stats": "/stats",
        "recommendations": "/recommendations",
        "compare": "/compare",
    }
    for name, path in pages.items():
        page.goto(f"{web_server}{path}")
        wait_until(page, READY[name], timeout=60_000)
        found[name] = violations(page)
        page.screenshot(path=browser_artifacts / f"a11y-{size}-{name}.png", full_page=True)
    context.close()
    (browser_artifacts / f"axe-{size}.json").write_text(json.dumps(found, indent=1))
    assert not {k: v for k, v in found.items() if v}, json.dumps(found, indent=1)
    assert not errors, errors
