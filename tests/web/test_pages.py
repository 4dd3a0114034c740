"""The web app as served by the API's app factory: pages, static files, the browser's pose model.
No browser needed (tests/web/test_browser.py drives a real one)."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from swingcoach.server.app import create_app
from swingcoach.server.core.config import Settings
from swingcoach.web.pages import PAGES, STATIC, Page

OWN_FILES = [
    path
    for path in [*STATIC.rglob("*"), *(STATIC.parent / "templates").rglob("*")]
    if path.is_file() and "vendor" not in path.parts and path.suffix in (".mjs", ".js", ".css", ".j2", ".svg")
]
IMPORT = re.compile(
    r"""(?:^|\s)(?:import|export)\s[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)
REMOTE = re.compile(r"(?:src|href|url)\s*=?\s*\(?[\"']?(?:https?:)?//")
CONFIG = re.compile(r'<script type="application/json" id="config">(.*?)</script>', re.S)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("web-data"))
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_page_is_served_cross_origin_isolated(client: TestClient, page: Page) -> None:
    response = client.get(page.path.replace("{swing_id}", "00000000-0000-0000-0000-000000000000"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    # onnxruntime-web may only use threads in a cross-origin isolated page.
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    module = f"/static/js/pages/{page.name}.mjs"
    assert module in response.text
    assert client.get(module).status_code == 200


def test_api_routes_are_not_shadowed(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/v1/swings").status_code == 401
    assert client.get("/no-such-page").status_code == 404


def test_every_module_import_resolves() -> None:
    """A typo in an import path breaks a page only in the browser: check them all here."""
    modules = [path for path in STATIC.rglob("*.mjs") if "vendor" not in path.parts]
    assert len(modules) >= 15
    for module in modules:
        for match in IMPORT.finditer(module.read_text()):
            target = match.group(1) or match.group(2)
            assert target.startswith("."), f"{module.name} imports {target!r}: only local files are served"
            assert (module.parent / target).resolve().is_file(), f"{module.name}: {target} does not exist"


def test_nothing_is_loaded_from_another_site() -> None:
    assert {path.suffix for path in OWN_FILES} >= {".mjs", ".css", ".j2"}
    for path in OWN_FILES:
        text = path.read_text().replace(SVG_NAMESPACE, "")
        # Links the golfer follows (drill videos) come from the API, never from these files.
        assert not REMOTE.search(text), f"{path} loads a remote URL"
        assert "https://" not in text and "http://" not in text, path


def test_onnxruntime_wasm_is_served_decompressed_by_the_browser(client: TestClient) -> None:
    name = "ort-wasm-simd-threaded.wasm"
    vendored = STATIC / "vendor" / "onnxruntime-web"
    assert (vendored / "LICENSE").read_text().startswith("MIT License")
    assert "onnxruntime-web" in (vendored / "VERSION").read_text()
    response = client.get(f"/static/vendor/onnxruntime-web/{name}", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/wasm"
    assert response.headers["content-encoding"] == "gzip"
    # onnxruntime-web's thread workers load this folder's scripts: they need the isolation too.
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    wasm = gzip.decompress((vendored / f"{name}.gz").read_bytes())
    assert wasm[:4] == b"\0asm" and len(wasm) > 5_000_000
    assert client.get("/static/vendor/onnxruntime-web/missing.wasm").status_code == 404


def test_mediapipe_wasm_is_served_decompressed_by_the_browser(client: TestClient) -> None:
    vendored = STATIC / "vendor" / "mediapipe-tasks-vision"
    assert (vendored / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "@mediapipe/tasks-vision" in (vendored / "VERSION").read_text()
    response = client.get("/static/vendor/mediapipe-tasks-vision/vision_wasm_internal.wasm")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/wasm"
    assert response.content[:4] == b"\0asm" and len(response.content) > 5_000_000


def test_the_pages_name_pose_models_that_are_served(client: TestClient) -> None:
    page = client.get("/practice").text
    pose = json.loads(CONFIG.search(page)[1])["pose"]
    assert pose["default"] == "blazepose-full"
    assert set(pose["models"]) == {"student", "blazepose-lite", "blazepose-full"}
    student = pose["models"]["student"]
    assert student["inputSize"] > 0 and 0 < student["presenceThreshold"] < 1 and student["version"]
    for name, model in pose["models"].items():
        assert model["version"] and model["label"], name
        response = client.get(model["url"])
        assert response.status_code == 200, f"{model['url']}: the {name} model is not in the package"
        assert len(response.content) > 100_000
        if model["runtime"] == "tasks-vision":
            # A PoseLandmarker bundle: a zip of the person detector and the landmark model.
            with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
                assert set(bundle.namelist()) == {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
            assert response.headers["content-encoding"] == "gzip"


def test_icon_is_served(client: TestClient) -> None:
    assert client.get("/static/icon.svg").headers["content-type"].startswith("image/svg")


def test_the_manifest_and_the_app_shell_are_served(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    for icon in manifest.json()["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon
    shell = client.get("/app-shell.json").json()
    assert len(shell["version"]) == 16
    # Everything the service worker keeps must be there, or its install fails as a whole.
    for url in shell["urls"]:
        assert client.get(url).status_code == 200, url
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    page = client.get("/practice").text
    assert json.loads(CONFIG.search(page).group(1))["shell"] == shell["version"]
