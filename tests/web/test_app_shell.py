"""The installable app in headless Chromium: the manifest and its icons, the service worker that keeps
the app shell and the default pose model, and a practice session started with the network off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.web.browsing import register, wait_until, watch

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_installable_and_practice_starts_offline(browser: Browser, web_server: str) -> None:
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch(page, errors)
    register(page, web_server)

    # The manifest the page links to is one a browser installs from: a name, a standalone display, a
    # start page and icons of 192 and 512 px (one maskable) that load as PNG images of that size.
    manifest = page.evaluate(
        """async () => {
            const href = document.querySelector("link[rel=manifest]").href;
            const manifest = await (await fetch(href)).json();
            for (const icon of manifest.icons.filter((i) => i.type === "image/png")) {
                const image = new Image();
                image.src = icon.src;
                await image.decode();
                icon.loaded = `${image.naturalWidth}x${image.naturalHeight}`;
            }
            return manifest;
        }"""
    )
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/practice"
    png = [icon for icon in manifest["icons"] if icon["type"] == "image/png"]
    assert {icon["sizes"] for icon in png} >= {"192x192", "512x512"}
    assert any(icon["purpose"] == "maskable" for icon in png)
    assert all(icon["loaded"] == icon["sizes"] for icon in png), png

    # The service worker takes control and keeps the shell and the default model.
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout=90_000)
    kept = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const cache = await caches.open(names.find((n) => n.startsWith("swingcoach-")));
            return (await cache.keys()).map((r) => new URL(r.url).pathname);
        }"""
    )
    shell = page.evaluate("fetch('/app-shell.json').then((r) => r.json())")
    assert set(shell["urls"]) <= set(kept)
    assert "/static/vendor/blazepose/pose_landmarker_full.task" in kept

    # No network: the practice page still opens, says so, and its camera and pose model start.
    context.set_offline(True)
    page.goto(f"{web_server}/practice")
    assert page.locator("#offline").is_visible()
    page.click("#start")
    wait_until(page, "window.swingcoach.posed > 10", timeout=90_000)
    # The set-up check reads the golfer's framing from the live pose; the guide lists each view's metrics.
    wait_until(page, "document.querySelectorAll('#framing li[data-ok]').length === 3")
    assert page.locator("#camera-guide").get_attribute("open") is not None  # a first session
    for view in ("face-on", "down-the-line"):
        assert page.locator(f"#guide-{view} li").count() >= 5
    # Other pages open from the kept shell too; the API stays network-only.
    page.goto(f"{web_server}/library")
    assert page.locator("h1").first.is_visible()
    context.set_offline(False)
    context.close()
    assert not errors, errors
