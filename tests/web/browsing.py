"""What the browser tests share: watching a page for errors, waiting on its state, calling the API as
the page does, and a new golfer's account."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from swingcoach.schemas import SwingPayload

PASSWORD = "practice makes perfect"
DESKTOP = {"width": 1366, "height": 900}


def watch(page: Page, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    # Whatever the Content-Security-Policy blocks is reported on the console: a failure here.
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.set_default_timeout(30_000)


def wait_until(page: Page, expression: str, timeout: float = 30_000) -> None:
    """Page.wait_for_function, without its string eval that the page's CSP (rightly) refuses:
    page.evaluate runs through the DevTools protocol, outside the page's policy."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true within {timeout / 1000:g} s: {expression}"
        time.sleep(0.1)


def api(page: Page, path: str, method: str = "GET", json: Any = None) -> Any:
    """The API as the page calls it: the http-only cookie the login set, and the CSRF header."""
    return page.evaluate(
        """async ([path, method, json]) => {
            const headers = {"X-Requested-With": "swingcoach"};
            if (json !== null) headers["Content-Type"] = "application/json";
            const body = json === null ? undefined : JSON.stringify(json);
            const response = await fetch("/v1" + path, {method, headers, body});
            return response.status === 204 ? null : response.json();
        }""",
        [path, method, json],
    )


def new_golfer(browser: Browser, base_url: str, errors: list[str]) -> tuple[BrowserContext, Page]:
    """A desktop browser with a newly registered golfer signed in, its page watched into `errors`."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch(page, errors)
    register(page, base_url)
    return context, page


def register(page: Page, base_url: str) -> str:
    """A new golfer signs up through the register page; they land on the practice page."""
    email = f"golfer{time.time_ns()}@example.com"
    page.goto(f"{base_url}/register")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#submit")
    page.wait_for_url("**/practice")
    return email


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)


def post_swing(page: Page, payload: SwingPayload) -> str:
    """Send a swing's keypoints as the practice page does; its id."""
    status = page.evaluate(
        """async (body) => (await fetch("/v1/swings", {method: "POST", body,
            headers: {"Content-Type": "application/json", "X-Requested-With": "swingcoach"}})).status""",
        payload.model_dump_json(),
    )
    assert status == 201, status
    return str(payload.swing_id)
