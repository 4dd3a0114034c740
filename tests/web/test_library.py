"""The library in practice sessions, each labelled with its clubs, and filtered by club, in headless
Chromium: swings less than 30 minutes apart are one session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tests.web.browsing import api, new_golfer, post_swing, wait_until

from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_the_library_groups_swings_into_sessions_labelled_by_club(
    browser: Browser, web_server: str, demo_poses: PoseSequence
) -> None:
    errors: list[str] = []
    context, page = new_golfer(browser, web_server, errors)
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    # Yesterday morning: two drives and a 7-iron within 20 minutes; in the evening, two 7-irons.
    made = [
        (yesterday.replace(hour=9), "driver"),
        (yesterday.replace(hour=9, minute=10), "driver"),
        (yesterday.replace(hour=9, minute=20), "7-iron"),
        (yesterday.replace(hour=18), "7-iron"),
        (yesterday.replace(hour=18, minute=5), "7-iron"),
    ]
    ids = [
        post_swing(page, SwingPayload.from_sequence(uuid.uuid4(), demo_poses, recorded_at=at, club=club))
        for at, club in made
    ]
    page.goto(f"{web_server}/library")
    wait_until(page, f"document.querySelectorAll('.swing-card').length === {len(made)}")
    heads = page.locator(".session-head").all_inner_texts()
    assert len(heads) == 2, heads
    evening, morning = heads  # newest first
    assert "2 swings · 7-iron · average score" in evening, evening
    assert "3 swings · 7-iron, driver · average score" in morning, morning
    card = page.locator(f".swing-card[data-swing-id='{ids[0]}']")
    assert card.inner_text().count("driver") == 1

    page.select_option("#club-filter", "driver")
    wait_until(page, "document.querySelectorAll('.swing-card').length === 2")
    assert page.locator(".session-head").all_inner_texts()[0].count("2 swings · driver") == 1
    assert page.inner_text("#library-count") == "2 swings"

    # Deleting a session's last swing takes its heading with it.
    page.select_option("#club-filter", "")
    wait_until(page, f"document.querySelectorAll('.swing-card').length === {len(made)}")
    page.on("dialog", lambda dialog: dialog.accept())
    for swing_id in ids[3:]:
        found = page.locator(f".swing-card[data-swing-id='{swing_id}']")
        found.locator("button.delete").click()
        found.wait_for(state="detached")
    assert page.locator(".session-head").count() == 1
    assert api(page, "/swings")["total"] == 3
    assert errors == []
    context.close()
