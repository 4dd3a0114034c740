"""Renders the web app's PNG icons (manifest, home screen) from static/icon.svg in headless Chromium,
so every size is the same drawing. Run after changing the SVG: `python web-src/icons.py`."""

from pathlib import Path

from playwright.sync_api import sync_playwright

from swingcoach.web.chromium import CHROMIUM

STATIC = Path(__file__).parents[1] / "src/swingcoach/web/static"
# (size, maskable): a maskable icon fills its square and keeps the figure inside the 80 % safe zone.
ICONS = ((180, False), (192, False), (512, False), (512, True))
MASKABLE_INNER = 0.72
BACKGROUND = "#1f7a4d"


def main() -> None:
    svg = (STATIC / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for size, maskable in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            inner = round(size * (MASKABLE_INNER if maskable else 1))
            background = BACKGROUND if maskable else "transparent"
            drawing = svg.replace("<svg ", f'<svg width="{inner}" height="{inner}" ', 1)
            page.set_content(
                f'<body style="margin:0;display:grid;place-items:center;width:{size}px;height:{size}px;'
                f'background:{background}">{drawing}</body>'
            )
            name = f"icon-{size}{'-maskable' if maskable else ''}.png"
            page.screenshot(path=str(STATIC / "icons" / name), omit_background=not maskable)
        browser.close()


if __name__ == "__main__":
    main()
