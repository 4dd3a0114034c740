"""What makes the web app installable and start offline: the web app manifest, and the list of files
the service worker (static/sw.js) keeps, with a version that changes whenever one of them does."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from swingcoach import __version__

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
NAME = "swingcoach"
THEME_COLOR = "#14432c"
BACKGROUND_COLOR = "#f4f6f3"
# Pages kept for an offline start. Every swing's analysis page is the same shell (its script reads
# the id from the address), so one copy stands for all of them.
SHELL_PAGES = ("/", "/login", "/register", "/practice", "/library", "/compare", "/stats", "/recommendations")
ANALYSIS_SHELL = "/swings/offline"
ICONS = (
    ("icon-192.png", "192x192", "any"),
    ("icon-512.png", "512x512", "any"),
    ("icon-512-maskable.png", "512x512", "maskable"),
)


def manifest() -> dict[str, Any]:
    icons = [
        {"src": f"/static/icons/{name}", "sizes": sizes, "type": "image/png", "purpose": purpose}
        for name, sizes, purpose in ICONS
    ]
    return {
        "id": "/",
        "name": f"{NAME}: golf swing coach",
        "short_name": NAME,
        "description": "Films your practice swings, finds each one and tells you what to work on.",
        "start_url": "/practice",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["sports", "health"],
        "icons": [*icons, {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
        "shortcuts": [
            {"name": "Practice", "url": "/practice"},
            {"name": "Library", "url": "/library"},
            {"name": "Statistics", "url": "/stats"},
        ],
    }


def _static_url(path: Path) -> str:
    # Large assets are shipped as NAME.gz and served as NAME (PrecompressedStaticFiles).
    relative = path.relative_to(STATIC).as_posix().removesuffix(".gz")
    return f"/static/{relative}"


def shell(default_model_url: str) -> dict[str, Any]:
    """The service worker's precache: the pages, our scripts, styles and icons, and the runtime and
    model of the default pose model (the other models are kept when first used). `version` hashes
    the files and the templates, so a new release replaces the cached copy."""
    own = [
        p for p in sorted(STATIC.rglob("*")) if p.is_file() and "vendor" not in p.parts and p.name != "sw.js"
    ]
    runtime = sorted((STATIC / "vendor" / "mediapipe-tasks-vision").glob("vision_*"))
    urls = [_static_url(p) for p in [*own, *runtime]]
    if default_model_url not in urls:
        urls.append(default_model_url)
    digest = hashlib.sha256(__version__.encode())
    for path in [*own, *runtime, STATIC / "sw.js", *sorted(TEMPLATES.glob("*.j2"))]:
        digest.update(path.read_bytes())
    return {
        "version": digest.hexdigest()[:16],
        "urls": [*SHELL_PAGES, ANALYSIS_SHELL, "/manifest.webmanifest", *urls],
    }
