"""Page routes and static files of the web app, mounted onto the API's FastAPI app."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from swingcoach import __version__
from swingcoach.analysis.metrics import ANY, DEFINITIONS
from swingcoach.analysis.reference import load_references
from swingcoach.schemas import Club
from swingcoach.server.catalog import load_catalog
from swingcoach.web.app_shell import manifest, shell
from swingcoach.web.browser_models import MODEL_FILE, MODEL_URL, browser_config

HERE = Path(__file__).parent
STATIC = HERE / "static"
# Pages are cross-origin isolated so onnxruntime-web may use SharedArrayBuffer (wasm threads);
# everything they load is same-origin, so nothing else is affected.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")
# The service worker and the manifest are fetched again on every start: a stale copy would pin
# an old release.
NO_CACHE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Page:
    path: str
    name: str  # the template and the ES module in static/js/pages/
    title: str


PAGES = (
    Page("/", "home", "Home"),
    Page("/login", "login", "Log in"),
    Page("/register", "register", "Create an account"),
    Page("/practice", "practice", "Practice"),
    Page("/library", "library", "Library"),
    Page("/swings/{swing_id}", "analysis", "Swing analysis"),
    Page("/compare", "compare", "Compare swings"),
    Page("/stats", "stats", "Statistics"),
    Page("/recommendations", "recommendations", "Recommendations"),
)


class PrecompressedStaticFiles(StaticFiles):
    """Static files where a large asset may be shipped only as NAME.gz: it is served as NAME with
    Content-Encoding: gzip (every browser accepts it), so the package stays small.

    Every file carries the isolation headers too: a worker script needs its own COEP, or the wasm
    threads onnxruntime-web starts in workers cannot share the page's memory (they hang)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or not (STATIC / f"{path}.gz").is_file():
                raise
            response = await super().get_response(f"{path}.gz", scope)
            response.headers["content-encoding"] = "gzip"
            response.headers["content-type"] = mimetypes.guess_type(path)[0] or "application/octet-stream"
        response.headers.update(ISOLATION_HEADERS)
        return response


def _page_route(
    templates: Jinja2Templates, page: Page, config: dict[str, Any]
) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def render(request: Request) -> HTMLResponse:
        context = {"page": page.name, "title": page.title, "config": config, "version": __version__}
        return templates.TemplateResponse(request, f"{page.name}.html.j2", context, headers=ISOLATION_HEADERS)

    return render


def mount_web(app: FastAPI) -> None:
    """Add the pages, /static and the browser models. Call after the API routes: the web app
    takes the paths the API leaves free."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["clubs"] = get_args(Club)
    config = browser_config()
    app_shell = shell(config["pose"]["models"][config["pose"]["default"]]["url"])
    config["shell"] = app_shell["version"]
    # The golfer's name of each metric, so a fault reads the same on every page (server.stats too).
    labels = {name: ref.label for name, ref in load_references().metrics.items()}
    config["metricLabels"] = labels
    # Drills a clip can be tagged with (the golfer's own drill videos on the recommendations).
    config["drills"] = [
        {"id": item.id, "title": item.title} for item in load_catalog() if item.kind == "drill"
    ]
    # The camera guide: what each view measures (and, for the rest, why not).
    config["viewMetrics"] = {
        view: [
            {"label": labels.get(name, name), "measured": not isinstance(by_view[view], str)}
            for name, by_view in DEFINITIONS.items()
        ]
        for view in ANY
    }
    for page in PAGES:
        app.add_api_route(
            page.path,
            _page_route(templates, page, config),
            methods=["GET"],
            response_class=HTMLResponse,
            include_in_schema=False,
            name=f"web-{page.name}",
        )
    app.mount("/static", PrecompressedStaticFiles(directory=STATIC), name="static")
    app.add_api_route(MODEL_URL, pose_model, methods=["GET"], include_in_schema=False, name="web-pose-model")
    web_manifest = manifest()

    async def manifest_route() -> JSONResponse:
        return JSONResponse(web_manifest, media_type="application/manifest+json", headers=NO_CACHE)

    async def shell_route() -> JSONResponse:
        return JSONResponse(app_shell, headers=NO_CACHE)

    async def service_worker() -> FileResponse:
        # At the root, so its scope is the whole app.
        return FileResponse(
            STATIC / "sw.js", media_type="text/javascript", headers={**NO_CACHE, **ISOLATION_HEADERS}
        )

    for path, endpoint in (
        ("/manifest.webmanifest", manifest_route),
        ("/app-shell.json", shell_route),
        ("/sw.js", service_worker),
    ):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)


async def pose_model() -> FileResponse:
    """The student pose model for onnxruntime-web, straight from the pose package."""
    if not MODEL_FILE.is_file():
        raise HTTPException(404, f"the pose model {MODEL_FILE.name} is not installed")
    return FileResponse(MODEL_FILE, media_type="application/octet-stream")
