"""`swingcoach bench browser-pose`: which pose model the web app's practice page should run.

The CLI and the server analyse videos with BlazePose full (Python, LiteRT); the same swing should get
the same analysis in the browser, so each candidate model is run in headless Chromium (Playwright,
Debian's Chromium) on every backend the machine gives it, and measured on
- speed: ms per frame (median, p95) with the frames fed one by one, and the pose rate the practice
  page's loop keeps (posed frames per second on a 30 fps camera playing the demo swing);
- agreement with Python BlazePose full on the same frames of real swing videos, fed in sequence
  (every model tracks from frame to frame): the median distance of the 17 COCO keypoints as a share
  of the torso (hip centre to shoulder centre, from the reference), and PCK@0.1 torso, where a
  frame the candidate missed and the reference posed counts as 17 misses;
- whether it gives 3D world landmarks.

Candidates: our student (onnxruntime-web: the vendored wasm build; WebGL and WebGPU from the npm
package's full build), BlazePose lite and full through @mediapipe/tasks-vision (PoseLandmarker, the
vendored runtime and .task bundles; CPU = XNNPACK in wasm, GPU = WebGL) and through the legacy
@mediapipe/pose solution (WebGL only). The npm-only runtimes come from web-src/node_modules
(`cd web-src && npm install`); a candidate whose runtime is missing or does not start is skipped
with the reason.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from swingcoach.bench.pose import track_video
from swingcoach.errors import InputError
from swingcoach.pose.registry import create_backend
from swingcoach.pose.skeleton import K
from swingcoach.video.source import FileSource, Frame
from swingcoach.web.browser_models import pose_models
from swingcoach.web.chromium import CHROMIUM, CHROMIUM_FLAGS, write_y4m
from swingcoach.web.pages import ISOLATION_HEADERS, PrecompressedStaticFiles, mount_web

HERE = Path(__file__).parent
REPO = HERE.parents[2]
NODE_MODULES = REPO / "web-src" / "node_modules"
DEMO_VIDEO = REPO / "examples" / "golfdb_demo.mp4"
# SwiftShader gives headless Chromium WebGL as it is; WebGPU only with this flag.
FLAGS = [*CHROMIUM_FLAGS, "--enable-unsafe-webgpu"]
PCK_SHARE = 0.1
PAGE_RATE_S = 8.0
LOAD_TIMEOUT_MS = 120_000
SERVER_START_S = 30
LOAD = """async (spec) => {
  const harness = await import("/bench/harness.mjs");
  if (window.pose) await harness.release(window.pose);
  window.pose = await harness.load(spec);
}"""


@dataclass(frozen=True)
class Candidate:
    model: str  # student | blazepose-lite | blazepose-full
    runtime: str  # onnxruntime-web | tasks-vision | mediapipe-pose
    backend: str  # wasm | webgl | webgpu
    spec: dict[str, Any] = field(default_factory=dict)  # what the harness's load() needs beyond these
    unsupported: str = ""  # why this runtime cannot run on this backend

    @property
    def needs_npm(self) -> bool:
        """Runtimes the web app does not vendor come from web-src/node_modules."""
        return self.runtime == "mediapipe-pose" or (
            self.runtime == "onnxruntime-web" and self.backend != "wasm"
        )


@dataclass
class BrowserPoseResult:
    model: str
    runtime: str
    backend: str
    skipped: str = ""  # why it was not measured ("not run: ...", "failed: ...")
    frames: int = 0  # frames fed in sequence (all videos, or as many as the time budget allowed)
    load_s: float | None = None
    ms_median: float | None = None
    ms_p95: float | None = None
    page_fps: float | None = None
    found: float | None = None  # share of the reference's posed frames where it found the golfer
    distance_median: float | None = None  # torso shares, over frames both posed
    pck: float | None = None  # PCK@0.1 torso over the reference's posed frames
    world: bool | None = None


def candidates() -> list[Candidate]:
    models = pose_models()
    student, lite, full = models["student"], models["blazepose-lite"], models["blazepose-full"]
    no_webgpu = "not run: tasks-vision has no WebGPU delegate (CPU or GPU = WebGL)"
    legacy_only = "not run: the legacy solution runs its graph on WebGL only"
    rows = [
        Candidate("student", "onnxruntime-web", backend, {"model": student})
        for backend in ("wasm", "webgl", "webgpu")
    ]
    for name, model in (("blazepose-lite", lite), ("blazepose-full", full)):
        rows += [
            Candidate(name, "tasks-vision", "wasm", {"model": model}),
            Candidate(name, "tasks-vision", "webgl", {"model": model}),
            Candidate(name, "tasks-vision", "webgpu", unsupported=no_webgpu),
        ]
    for name, complexity in (("blazepose-lite", 0), ("blazepose-full", 1)):
        rows += [
            Candidate(name, "mediapipe-pose", "wasm", unsupported=legacy_only),
            Candidate(name, "mediapipe-pose", "webgl", {"model": {"complexity": complexity}}),
        ]
    return rows


@dataclass
class Video:
    name: str
    path: Path
    width: int
    height: int
    fps: float
    frames: int


def _videos(data: Path) -> list[Video]:
    paths = [DEMO_VIDEO, *sorted((data / "phone_swings").glob("*.mp4"))]
    videos = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"no video at {path}")
        with FileSource(path) as source:
            count = sum(1 for _ in source)
            videos.append(
                Video(path.stem, path, source.info.width, source.info.height, source.info.fps, count)
            )
    return videos


def _frames(video: Video) -> Iterator[Frame]:
    with FileSource(video.path) as source:
        yield from source


class FrameServer:
    """A video's frames as raw RGBA, decoded on demand in order (the harness asks for them one by
    one), so no video is ever held in memory whole."""

    def __init__(self, videos: list[Video]) -> None:
        self.videos = {v.name: v for v in videos}
        self.lock = threading.Lock()
        self.current: tuple[str, Iterator[Frame]] | None = None
        self.last: Frame | None = None

    def rgba(self, name: str, index: int) -> bytes:
        with self.lock:
            if (
                self.current is None
                or self.current[0] != name
                or self.last is None
                or self.last.index >= index
            ):
                self.current, self.last = (name, _frames(self.videos[name])), None
            while self.last is None or self.last.index < index:
                self.last = next(self.current[1])
            return cv2.cvtColor(self.last.image, cv2.COLOR_BGR2RGBA).tobytes()


def bench_app(frames: FrameServer, node_modules: Path) -> FastAPI:
    """The web app's pages and static files, plus the harness, the frames and web-src's node_modules."""
    app = FastAPI()

    @app.get("/bench")
    def page() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>bench browser-pose</title>", headers=ISOLATION_HEADERS)

    @app.get("/bench/harness.mjs")
    def harness() -> FileResponse:
        return FileResponse(
            HERE / "browser_pose.mjs", media_type="text/javascript", headers=ISOLATION_HEADERS
        )

    @app.get("/bench/frame/{video}/{index}")
    def frame(video: str, index: int) -> Response:
        return Response(
            frames.rgba(video, index), media_type="application/octet-stream", headers=ISOLATION_HEADERS
        )

    app.mount("/bench/npm", PrecompressedStaticFiles(directory=node_modules, check_dir=False), name="npm")
    mount_web(app)
    return app


class BackgroundServer:
    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the benchmark's web server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def reference_poses(videos: list[Video]) -> dict[str, list[np.ndarray | None]]:
    """Python BlazePose full as the CLI runs it on a file (tracking, smoothing, mirror-averaged):
    17 [x, y, visibility] a frame."""
    backend = create_backend("blazepose-full")
    poses = {}
    for video in videos:
        tracked = track_video(backend, video.path)  # NaN rows: nobody found
        poses[video.name] = [None if np.isnan(row[:, 0]).all() else row.astype(np.float64) for row in tracked]
    return poses


def torso(keypoints: np.ndarray) -> float:
    hips = keypoints[[K.L_HIP, K.R_HIP], :2].mean(axis=0)
    shoulders = keypoints[[K.L_SHOULDER, K.R_SHOULDER], :2].mean(axis=0)
    return float(np.linalg.norm(shoulders - hips))


def agreement(
    got: list[list[list[float]] | None], reference: list[np.ndarray | None]
) -> tuple[float | None, float | None, float | None]:
    """(found, median distance / torso, PCK@0.1 torso) of `got` against the first len(got) reference
    frames; frames the reference did not pose are left out."""
    shares, hits, posed, found = [], 0, 0, 0
    for seen, truth in zip(got, reference, strict=False):
        if truth is None:
            continue
        posed += 1
        if seen is None:
            continue
        found += 1
        share = np.linalg.norm(np.asarray(seen)[:, :2] - truth[:, :2], axis=1) / max(torso(truth), 1e-6)
        shares.append(share)
        hits += int((share <= PCK_SHARE).sum())
    if posed == 0:
        return None, None, None
    median = float(np.median(np.concatenate(shares))) if shares else None
    return found / posed, median, hits / (posed * 17)


def _measure(
    page: Any,
    candidate: Candidate,
    videos: list[Video],
    reference: dict[str, list[np.ndarray | None]],
    budget_s: float,
) -> BrowserPoseResult:
    result = BrowserPoseResult(candidate.model, candidate.runtime, candidate.backend)
    spec = {"runtime": candidate.runtime, "backend": candidate.backend, **candidate.spec}
    started = time.monotonic()
    page.evaluate(LOAD, spec)
    result.load_s = round(time.monotonic() - started, 2)
    deadline = page.evaluate("(s) => performance.now() + s * 1000", budget_s)
    ms, got, expected, world = [], [], [], False
    for video in videos:
        # A fresh model for each video: no track carries over from the last one.
        if got:
            page.evaluate(LOAD, spec)
        run = page.evaluate(
            "async (args) => (await import('/bench/harness.mjs')).runFrames(window.pose, args)",
            {
                "video": video.name,
                "frames": video.frames,
                "width": video.width,
                "height": video.height,
                "fps": video.fps,
                "untilMs": deadline,
            },
        )
        ms += run["ms"]
        got += run["keypoints"]
        expected += reference[video.name][: len(run["keypoints"])]
        world = world or run["world"]
        if len(run["keypoints"]) < video.frames:
            break
    # The first frames load and warm the model up.
    steady = np.array(ms[3:] if len(ms) > 6 else ms)
    result.frames = len(got)
    result.ms_median = round(float(np.median(steady)), 1)
    result.ms_p95 = round(float(np.percentile(steady, 95)), 1)
    found, distance, pck = agreement(got, expected)
    result.found = None if found is None else round(found, 3)
    result.distance_median = None if distance is None else round(distance, 3)
    result.pck = None if pck is None else round(pck, 3)
    result.world = world
    result.page_fps = round(
        page.evaluate(
            "async (s) => (await import('/bench/harness.mjs')).pageRate(window.pose, s)", PAGE_RATE_S
        ),
        1,
    )
    return result


def run_browser_pose(
    data: Path,
    budget_s: float = 120.0,
    only: list[str] | None = None,
    node_modules: Path = NODE_MODULES,
    chromium: str = CHROMIUM,
    on_result: Callable[[BrowserPoseResult], None] | None = None,
) -> tuple[list[BrowserPoseResult], int]:
    """Every candidate x backend (or those whose "model/runtime/backend" contains one of `only`), and
    the number of frames in the videos."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(chromium).is_file():
        raise InputError(f"no Chromium at {chromium} (apt-get install chromium, or set SWINGCOACH_CHROMIUM)")
    videos = _videos(data)
    chosen = [
        c for c in candidates() if not only or any(o in f"{c.model}/{c.runtime}/{c.backend}" for o in only)
    ]
    reference = reference_poses(videos)
    results = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        BackgroundServer(bench_app(FrameServer(videos), node_modules)) as url,
    ):
        camera = write_y4m(DEMO_VIDEO, Path(tmp) / "camera.y4m")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=[*FLAGS, f"--use-file-for-fake-video-capture={camera}"]
            )
            try:
                for candidate in chosen:
                    result = BrowserPoseResult(candidate.model, candidate.runtime, candidate.backend)
                    if candidate.unsupported:
                        result.skipped = candidate.unsupported
                    elif candidate.needs_npm and not node_modules.is_dir():
                        result.skipped = (
                            f"not run: not vendored, needs {node_modules} (cd web-src && npm install)"
                        )
                    else:
                        # A fresh page each: nothing of one runtime (wasm heap, GL context) slows the next.
                        page = browser.new_page()
                        page.set_default_timeout(LOAD_TIMEOUT_MS + budget_s * 1000)
                        page.goto(f"{url}/bench")
                        try:
                            result = _measure(page, candidate, videos, reference, budget_s)
                        except PlaywrightError as error:
                            first_line = str(error).splitlines()[0].removeprefix("Page.evaluate: ")
                            result.skipped = f"failed: {first_line[:160]}"
                        finally:
                            page.close()
                    results.append(result)
                    if on_result is not None:
                        on_result(result)
            finally:
                browser.close()
    return results, sum(v.frames for v in videos)
