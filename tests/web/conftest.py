"""Browser tests: `swingcoach serve` in a subprocess, Debian's Chromium driven by Playwright, and a fake
camera that plays a real swing video. Skipped, with the reason, when Chromium or Playwright is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from swingcoach.web.chromium import CHROMIUM, CHROMIUM_FLAGS, write_y4m

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SERVER_START_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots and figures of the browser tests (the path is printed)."""
    folder = Path(os.environ.get("SWINGCOACH_WEB_ARTIFACTS") or tmp_path_factory.mktemp("web-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test artefacts: {folder}")
    return folder


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`swingcoach serve` with the embedded defaults in a fresh data folder; yields its base URL."""
    root = tmp_path_factory.mktemp("web-server")
    port = _free_port()
    env = {**os.environ, "SWINGCOACH_DATA_DIR": str(root / "data"), "SWINGCOACH_LOG_JSON": "true"}
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "swingcoach", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"swingcoach serve exited: {(root / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("swingcoach serve did not become ready")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    # CI installs Chromium (.ci/run): there a missing browser is a failure, not a reason to skip.
    give_up = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if not Path(CHROMIUM).is_file():
        give_up(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SWINGCOACH_CHROMIUM)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        give_up("the playwright package (dev extra) is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(
    chromium_path: str, demo_video: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Headless Chromium whose camera plays the demo swing video, looped."""
    from playwright.sync_api import sync_playwright

    camera = write_y4m(demo_video, tmp_path_factory.mktemp("camera") / "demo.y4m")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={camera}"],
        )
        try:
            yield browser
        finally:
            browser.close()
