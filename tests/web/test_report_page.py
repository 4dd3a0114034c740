"""report.html in a real browser: it fits a phone's width and a laptop's, its images load from the
folder, and the summary's links reach each swing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser
from typer.testing import CliRunner

from swingcoach.cli.app import app


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory, demo_video: Path) -> Path:
    out = tmp_path_factory.mktemp("report") / "demo"
    result = CliRunner().invoke(
        app, ["analyze", str(demo_video), "--out", str(out), "--backend", "blazepose-lite"]
    )
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.mark.parametrize("width", [390, 1366])
def test_the_report_fits_the_screen(browser: Browser, report_page: Path, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 844})
    try:
        page.goto(report_page.as_uri())
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.evaluate("() => [...document.images].forEach(i => i.loading = 'eager')")
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        broken = page.evaluate("() => [...document.images].filter(i => i.naturalWidth === 0).map(i => i.src)")
        assert broken == []
        page.click('a[href="#swing-1"] >> nth=0')
        assert page.evaluate("() => location.hash") == "#swing-1"
    finally:
        page.close()
