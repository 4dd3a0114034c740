"""`swingcoach bench server`: what one server costs per swing on the device path (keypoints in,
analysed in the request) and on the video path (the clip in, a worker runs the whole pipeline).

The server is `swingcoach serve` with its embedded defaults (SQLite, local files, in-process job
threads) on loopback; Locust (headless, in its own process) plays golfers who log in, send a swing
every `interval` seconds, fetch the result and every fifth swing open their statistics.

Figures, per path:
- server CPU-seconds per swing: CPU time of the server process (all threads: API and job workers)
  over the measured window, divided by the swings completed in it;
- swings/s at saturation: golfers sending back to back (device) or, for videos, each waiting for
  its result before sending the next (so the job queue stays full but bounded);
- the most golfers held: stepping up the paced golfers until a step fails; a step holds when every
  request type has p99 < 300 ms, no request fails and the swings completed reach 90% of those sent.

Every window starts after the golfers have spawned, logged in and warmed up. The load generator
runs on the same machine and takes CPU from the server; the figures are for the machine named.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from swingcoach.bench.machine import cpu_model
from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload

REPO_FIXTURE = Path(__file__).parents[3] / "tests" / "fixtures" / "golfdb_demo_poses.npz"
REPO_VIDEO = Path(__file__).parents[3] / "examples" / "golfdb_demo.mp4"
LOCUSTFILE = Path(__file__).with_name("server_locustfile.py")
P99_LIMIT_MS = 300.0
KEEP_UP = 0.9  # share of the offered swings that must complete within the window
MAX_ACCOUNTS = 100
# Golfers start at once: they were logged in before the run (a token per account, shared by the
# golfers of that account), so no login costs fall into a measured window.
SPAWN_RATE = 1000.0
FLOOD_NAME = "login flood"  # the flooders' request name in the Locust scenario
DEVICE_POST = "POST /v1/swings"
# A p99 over fewer requests than this is a step's few worst requests, not a percentile.
MIN_SWINGS = 1000


@dataclass(frozen=True)
class Plan:
    device_warmup_s: float  # after the first interval, in which every golfer has started swinging
    video_warmup_s: float  # longer than one analysis: the window starts with results flowing
    device_window_s: tuple[float, float]  # shortest, longest: long enough for MIN_SWINGS swings
    video_window_s: float
    device_steps: tuple[float, ...]  # swings/s offered; golfers = rate x interval
    video_steps: tuple[int, ...]  # golfers
    device_saturation_users: int
    video_saturation_users: int


QUICK = Plan(5, 20, (15, 45), 45, (10, 33.3, 66.7, 100), (1, 2), 16, 3)
FULL = Plan(10, 30, (30, 120), 120, (5, 10, 20, 33.3, 50, 66.7, 83.3, 100, 133.3), (1, 2, 3, 4), 32, 4)


@dataclass
class Step:
    users: int
    interval_s: float
    window_s: float
    swings: int
    swings_per_s: float
    offered_per_s: float | None
    cpu_s: float
    cpu_s_per_swing: float | None
    server_cores: float
    p50_ms: float
    p99_ms: float  # the worst p99 over the request types
    failures: int
    requests: int
    result_p50_ms: float | None
    result_p99_ms: float | None
    held: bool | None
    load_average: float
    errors: list[str]
    by_request: dict[str, dict[str, float]]  # request type -> count, failures, p50_ms, p99_ms
    client_cores: float  # the load generator's CPU over its run (it shares the machine)
    flood_statuses: dict[str, int]  # answers to the login flood, by HTTP status


class CpuMeter:
    """Samples the CPU time of a process (with its children) so any window can be read later."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.gone = psutil.Error
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.every_s = every_s

    def _cpu(self) -> float:
        """The server, its live API processes (`serve --processes`) and those it has reaped."""
        own = self.process.cpu_times()
        total = own.children_user + own.children_system
        for process in [self.process, *self.process.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except self.gone:  # exited between listing and reading
                continue
            total += times.user + times.system
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self._cpu()))
            self._stop.wait(self.every_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, when: float) -> float:
        """CPU seconds used up to `when`, interpolated between samples."""
        before = [s for s in self.samples if s[0] <= when]
        after = [s for s in self.samples if s[0] >= when]
        if not before or not after:
            return (before or after)[-1 if before else 0][1]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (when - t0) / (t1 - t0)


class BenchServer:
    """`swingcoach serve` with a fresh data folder on a free loopback port: embedded (SQLite), or on
    a Postgres database (`database_url`) in a schema of its own, dropped afterwards."""

    def __init__(
        self,
        workdir: Path,
        pose_backend: str,
        video_workers: int,
        processes: int = 1,
        database_url: str | None = None,
    ) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWINGCOACH_")}
        for name in ("DATABASE_URL", "STORAGE_URL", "BROKER_URL"):
            env.pop(name, None)
        env |= {
            "SWINGCOACH_DATA_DIR": str(workdir / "data"),
            "SWINGCOACH_POSE_BACKEND": pose_backend,
            "SWINGCOACH_EMBEDDED_WORKERS": str(video_workers),
        }
        self.admin_url, self.schema = database_url, None
        if database_url is not None:
            env["DATABASE_URL"] = self._own_schema(database_url)
        command = [sys.executable, "-m", "swingcoach", "serve", "--port", str(self.port)]
        command += ["--processes", str(processes)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not become ready in 120 s")

    def _own_schema(self, url: str) -> str:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.schema = f"swingcoach_bench_{uuid.uuid4().hex[:10]}"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        engine.dispose()
        own = make_url(url).update_query_dict({"options": f"-csearch_path={self.schema}"})
        return own.render_as_string(hide_password=False)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.admin_url is not None and self.schema is not None:
            from sqlalchemy import create_engine, text

            engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
            engine.dispose()

    def pending_jobs(self) -> int:
        metrics = httpx.get(f"{self.url}/metrics", timeout=10).text
        return sum(
            int(float(line.rsplit(" ", 1)[1]))
            for line in metrics.splitlines()
            if line.startswith("swingcoach_jobs{") and 'status="dead"' not in line
        )

    def wait_idle(self, timeout_s: float = 900) -> None:
        deadline = time.monotonic() + timeout_s
        while self.pending_jobs() and time.monotonic() < deadline:
            time.sleep(1)


def signed_in_accounts(url: str, count: int) -> list[dict[str, Any]]:
    """New accounts, each logged in once: the golfers of the run share their tokens."""
    accounts = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(count):
            email, password = f"golfer-{uuid.uuid4().hex[:12]}@bench.example", "Bench practice 4 swings"
            client.post("/v1/auth/register", json={"email": email, "password": password}).raise_for_status()
            login = client.post("/v1/auth/login", json={"email": email, "password": password})
            login.raise_for_status()
            tokens = login.json()
            expires = datetime.fromisoformat(tokens["expires_at"]).timestamp()
            accounts.append(
                {
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "access_until": expires - 60,
                }
            )
    return accounts


def swing_file(path: str, workdir: Path) -> Path:
    """The swing every golfer sends: the demo payload (a placeholder id, replaced per send) or clip."""
    if path == "video":
        return REPO_VIDEO
    placeholder = uuid.UUID(int=0)
    payload = SwingPayload.from_sequence(placeholder, PoseSequence.load(REPO_FIXTURE), device="bench")
    target = workdir / "payload.json"
    target.write_text(payload.model_dump_json())
    return target


def run_step(
    server: BenchServer,
    meter: CpuMeter,
    workdir: Path,
    path: str,
    users: int,
    interval_s: float,
    window_s: float,
    warmup_s: float,
    wait_for_result: bool = False,
    flooders: int = 0,
) -> Step:
    accounts = signed_in_accounts(server.url, min(users, MAX_ACCOUNTS))
    out = workdir / f"{path}-{users}-{interval_s:g}-{flooders}.json"
    spawn_s = users / SPAWN_RATE
    env = os.environ | {
        "SWINGCOACH_BENCH_PATH": path,
        "SWINGCOACH_BENCH_INTERVAL_S": str(interval_s),
        "SWINGCOACH_BENCH_WARMUP_S": str(warmup_s),
        "SWINGCOACH_BENCH_WINDOW_S": str(window_s),
        "SWINGCOACH_BENCH_ACCOUNTS": json.dumps(accounts),
        "SWINGCOACH_BENCH_SWING": str(swing_file(path, workdir)),
        "SWINGCOACH_BENCH_WAIT_RESULT": "1" if wait_for_result else "",
        "SWINGCOACH_BENCH_OUT": str(out),
        "SWINGCOACH_BENCH_FLOODERS": str(flooders),
    }
    user_classes = ["Golfer", "LoginFlooder"] if flooders else ["Golfer"]
    run_s = int(spawn_s + warmup_s + window_s + 60)  # a bound only: the scenario stops itself
    load_average = os.getloadavg()[0]
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        *user_classes, "--users", str(users + flooders), "--spawn-rate", str(SPAWN_RATE),
        "--run-time", f"{run_s}s",
        "--host", server.url, "--loglevel", "WARNING", "--stop-timeout", "0",
    ]  # fmt: skip
    finished = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=run_s + 120, check=False
    )
    if not out.exists():
        raise RuntimeError(f"locust wrote no summary: {finished.stderr[-2000:]}")
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_s = sum(getattr(client_after, f) - getattr(client_before, f) for f in ("ru_utime", "ru_stime"))
    summary = json.loads(out.read_text())
    window = summary["end"] - summary["start"]
    cpu = meter.at(summary["end"]) - meter.at(summary["start"])
    swings = summary["swings"]
    requests = summary["requests"]
    offered = users / interval_s if interval_s > 0 else None
    golfers = {name: r for name, r in requests.items() if name != FLOOD_NAME}
    worst_p99 = max((r["p99_ms"] for r in golfers.values() if r["count"]), default=0.0)
    failures = summary["total"]["failures"]
    results = sorted(summary["result_ms"])
    step = Step(
        users=users,
        interval_s=interval_s,
        window_s=round(window, 1),
        swings=swings,
        swings_per_s=round(swings / window, 3),
        offered_per_s=None if offered is None else round(offered, 3),
        cpu_s=round(cpu, 2),
        cpu_s_per_swing=round(cpu / swings, 5) if swings else None,
        server_cores=round(cpu / window, 2),
        p50_ms=summary["total"]["p50_ms"],
        p99_ms=worst_p99,
        failures=failures,
        requests=summary["total"]["count"],
        result_p50_ms=round(results[len(results) // 2]) if results else None,
        result_p99_ms=round(results[min(len(results) - 1, int(0.99 * len(results)))]) if results else None,
        held=None,
        load_average=round(load_average, 2),
        errors=[f"{e['name']}: {e['error']} (x{e['count']})" for e in summary["errors"]],
        by_request=requests,
        flood_statuses=summary["flood_statuses"],
        client_cores=round(client_s / (time.monotonic() - started), 2),
    )
    if offered is not None:
        step.held = worst_p99 < P99_LIMIT_MS and failures == 0 and step.swings_per_s >= KEEP_UP * offered
    return step


def device_window_s(plan: Plan, offered_per_s: float) -> float:
    shortest, longest = plan.device_window_s
    return min(longest, max(shortest, MIN_SWINGS / offered_per_s))


def bench_path(
    server: BenchServer, meter: CpuMeter, workdir: Path, path: str, plan: Plan, interval_s: float
) -> dict[str, Any]:
    device = path == "device"
    users = plan.device_saturation_users if device else plan.video_saturation_users
    if device:
        saturation = run_step(
            server, meter, workdir, path, users, 0, plan.device_window_s[1], plan.device_warmup_s
        )
    else:
        saturation = run_step(
            server, meter, workdir, path, users, 0, plan.video_window_s, plan.video_warmup_s, True
        )
    server.wait_idle()
    steps = []
    loads = (
        [(round(rate * interval_s), rate) for rate in plan.device_steps]
        if device
        else [(golfers, golfers / interval_s) for golfers in plan.video_steps]
    )
    for golfers, rate in loads:
        if device:
            # Every golfer has swung once (their starts are spread over one interval) before it counts.
            window, warmup = device_window_s(plan, rate), interval_s + plan.device_warmup_s
        else:
            window, warmup = plan.video_window_s, plan.video_warmup_s
        step = run_step(server, meter, workdir, path, golfers, interval_s, window, warmup)
        steps.append(step)
        server.wait_idle()
        if not step.held:
            break
    held = [s.users for s in steps if s.held]
    return {
        "saturation": asdict(saturation),
        "steps": [asdict(s) for s in steps],
        "max_users_held": max(held) if held else 0,
        "cpu_s_per_swing": saturation.cpu_s_per_swing,
        "swings_per_s": saturation.swings_per_s,
    }


def bench_login_flood(
    server: BenchServer,
    meter: CpuMeter,
    workdir: Path,
    plan: Plan,
    interval_s: float,
    rate: float,
    flooders: int,
) -> dict[str, Any]:
    """The device path at `rate` swings/s, then the same with `flooders` clients guessing a password
    as fast as they are answered: the golfers' p99 with the flood against without. Run last: the
    flood locks the loopback address out of logins for the limiter's window."""
    golfers = round(rate * interval_s)
    window, warmup = device_window_s(plan, rate), interval_s + plan.device_warmup_s
    idle = run_step(server, meter, workdir, "device", golfers, interval_s, window, warmup)
    server.wait_idle()
    flooded = run_step(
        server, meter, workdir, "device", golfers, interval_s, window, warmup, flooders=flooders
    )
    idle_p99, flood_p99 = idle.by_request[DEVICE_POST]["p99_ms"], flooded.by_request[DEVICE_POST]["p99_ms"]
    return {
        "offered_per_s": rate,
        "flooders": flooders,
        "idle": asdict(idle),
        "flood": asdict(flooded),
        "device_p99_ms": {"idle": idle_p99, "flood": flood_p99},
        "p99_ratio": round(flood_p99 / idle_p99, 2) if idle_p99 else None,
    }


def machine() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def bench_server(
    quick: bool,
    paths: list[str],
    interval_s: float,
    pose_backend: str,
    video_workers: int,
    processes: int = 1,
    database_url: str | None = None,
    login_flood: int = 0,
    flood_rate: float = 10.0,
) -> dict[str, Any]:
    """The plan for each path; with `login_flood` clients, the login-flood comparison instead."""
    plan = QUICK if quick else FULL
    result: dict[str, Any] = {
        "machine": machine(),
        "plan": asdict(plan) | {"quick": quick, "interval_s": interval_s},
        "server": {
            "mode": "embedded" if database_url is None else "postgres",
            "processes": processes,
            "pose_backend": pose_backend,
            "video_workers": video_workers,
        },
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory(prefix="swingcoach-bench-") as folder:
        workdir = Path(folder)
        server = BenchServer(workdir, pose_backend, video_workers, processes, database_url)
        meter = CpuMeter(server.process.pid)
        meter.start()
        try:
            if login_flood:
                result["login_flood"] = bench_login_flood(
                    server, meter, workdir, plan, interval_s, flood_rate, login_flood
                )
            else:
                for path in paths:
                    result[path] = bench_path(server, meter, workdir, path, plan, interval_s)
        finally:
            meter.stop()
            server.stop()
    if "device" in result and "video" in result:
        device, video = result["device"]["cpu_s_per_swing"], result["video"]["cpu_s_per_swing"]
        result["video_to_device_cpu_ratio"] = round(video / device, 1) if device and video else None
    return result
