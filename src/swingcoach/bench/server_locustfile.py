"""Locust scenario of `swingcoach bench server`: golfers practising against the service.

Run by the bench in its own process (Locust patches the standard library with gevent, so it never
shares a process with the server). Each simulated golfer uses the token of an account the bench
logged in before the run, then every `interval` seconds sends a swing (device path: the keypoint
payload; video path: the clip), fetches the result, and every few swings opens the statistics page.
The golfer keeps swinging while a video is analysed (the result is polled in the background), so
the load offered does not drop when the server lags.

Configured by environment variables (SWINGCOACH_BENCH_*); writes a JSON summary of the measured
window (after spawning and warm-up) to SWINGCOACH_BENCH_OUT.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

PATH = os.environ["SWINGCOACH_BENCH_PATH"]  # "device" or "video"
INTERVAL_S = float(os.environ.get("SWINGCOACH_BENCH_INTERVAL_S", "5"))
WARMUP_S = float(os.environ.get("SWINGCOACH_BENCH_WARMUP_S", "5"))
WINDOW_S = float(os.environ["SWINGCOACH_BENCH_WINDOW_S"])
# [{access_token, refresh_token, access_until}, ...]: shared by the golfers of each account
ACCOUNTS = json.loads(os.environ["SWINGCOACH_BENCH_ACCOUNTS"])
SWING_BODY = Path(os.environ["SWINGCOACH_BENCH_SWING"]).read_bytes()  # payload JSON or video bytes
OUT = Path(os.environ["SWINGCOACH_BENCH_OUT"])
# Saturation runs: each golfer waits for the video's result before the next (a full, bounded queue).
WAIT_FOR_RESULT = bool(os.environ.get("SWINGCOACH_BENCH_WAIT_RESULT"))
# Attackers guessing passwords during the run (`--login-flood`): their requests carry this name and
# are left out of the golfers' figures.
FLOODERS = int(os.environ.get("SWINGCOACH_BENCH_FLOODERS", "0"))
FLOOD_NAME = "login flood"
STATS_EVERY = 5  # swings between two visits of the statistics page
POLL_S = 1.0
RESULT_TIMEOUT_S = 600.0
ID_PLACEHOLDER = b"00000000-0000-0000-0000-000000000000"
# The clip as a multipart form, made once (FastHttpUser has no `files=`).
BOUNDARY = uuid.uuid4().hex
VIDEO_FORM = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="swing.mp4"\r\n'
    "Content-Type: video/mp4\r\n\r\n".encode()
    + SWING_BODY
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)

account_numbers = itertools.count()
# The measured window: from the end of the warm-up to the end of the run.
window: dict[str, Any] = {"start": None, "swings": 0, "result_ms": [], "flood_statuses": Counter()}
runners: list[Any] = []


@events.init.add_listener
def _remember_runner(environment: Environment, **_: Any) -> None:
    runners.append(environment.runner)


@events.spawning_complete.add_listener
def _measure(user_count: int, **_: Any) -> None:
    def window_after_warmup() -> None:
        gevent.sleep(WARMUP_S)
        runner = runners[0]
        runner.stats.reset_all()
        window.update(start=time.time(), swings=0, result_ms=[], flood_statuses=Counter())
        gevent.sleep(WINDOW_S)
        # The figures are taken while every golfer is still busy, then the run stops.
        write_summary(runner.stats)
        runner.quit()

    gevent.spawn(window_after_warmup)


def write_summary(stats: Any) -> None:
    requests = {
        entry.name: {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for entry in stats.entries.values()
    }
    total = stats.total
    OUT.write_text(
        json.dumps(
            {
                "start": window["start"],
                "end": time.time(),
                "swings": window["swings"],
                "result_ms": window["result_ms"],
                "flood_statuses": {str(code): n for code, n in window["flood_statuses"].items()},
                "requests": requests,
                "total": {
                    "count": total.num_requests,
                    "failures": total.num_failures,
                    "p50_ms": total.get_response_time_percentile(0.5),
                    "p99_ms": total.get_response_time_percentile(0.99),
                },
                "errors": [
                    {"name": e.name, "error": str(e.error), "count": e.occurrences}
                    for e in stats.errors.values()
                ],
            }
        )
    )


class Golfer(FastHttpUser):
    # FastHttpUser (geventhttpclient): a fraction of the requests library's CPU, which the load
    # generator takes from the server on a shared machine.
    connection_timeout = 60.0
    network_timeout = 60.0
    swing_started = 0.0

    def wait_time(self) -> float:
        """A swing every `interval` seconds on average, each gap drawn from 0.5 to 1.5 intervals. With
        fixed pacing the golfers fall into step: a slow answer ends many swings at once, and their
        next swings all start together, a burst no real range of golfers sends."""
        if INTERVAL_S <= 0:
            return 0.0
        return max(0.0, self.swing_started + INTERVAL_S * random.uniform(0.5, 1.5) - time.time())

    def on_start(self) -> None:
        self.account = ACCOUNTS[next(account_numbers) % len(ACCOUNTS)]
        self.swings = 0
        # Golfers do not swing in step: each starts at a random point of the interval.
        gevent.sleep(random.uniform(0, INTERVAL_S))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account['access_token']}"}

    def refresh_if_due(self) -> None:
        """Access tokens live minutes: the first golfer of an account to see it expire refreshes it
        for all of them (a refresh token works once; a second use would end the login)."""
        account = self.account
        if time.time() < account["access_until"] or account.get("refreshing"):
            return
        account["refreshing"] = True
        try:
            response = self.client.post("/v1/auth/refresh", json={"refresh_token": account["refresh_token"]})
            response.raise_for_status()
            tokens = response.json()
            account.update(
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                access_until=datetime.fromisoformat(tokens["expires_at"]).timestamp() - 60,
            )
        finally:
            account["refreshing"] = False

    @task
    def practice(self) -> None:
        self.swing_started = time.time()
        self.refresh_if_due()
        if PATH == "device":
            self.send_keypoints()
        else:
            self.send_video()
        self.swings += 1
        if self.swings % STATS_EVERY == 0:
            self.client.get("/v1/stats?range=week", name="GET /v1/stats", headers=self.auth)

    def send_keypoints(self) -> None:
        swing_id = str(uuid.uuid4())
        body = SWING_BODY.replace(ID_PLACEHOLDER, swing_id.encode())
        with self.client.post(
            "/v1/swings",
            data=body,
            headers={"Content-Type": "application/json", **self.auth},
            name="POST /v1/swings",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
        window["swings"] += 1
        self.client.get(f"/v1/swings/{swing_id}", name="GET /v1/swings/{id}", headers=self.auth)

    def send_video(self) -> None:
        sent = time.time()
        with self.client.post(
            "/v1/swings/video",
            data=VIDEO_FORM,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **self.auth},
            name="POST /v1/swings/video",
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return
        accepted = response.json()
        if WAIT_FOR_RESULT:
            self.await_result(accepted["job_id"], accepted["swing_id"], sent)
        else:
            gevent.spawn(self.await_result, accepted["job_id"], accepted["swing_id"], sent)

    def await_result(self, job_id: str, swing_id: str, sent: float) -> None:
        deadline = sent + RESULT_TIMEOUT_S
        while time.time() < deadline:
            gevent.sleep(POLL_S)
            job = self.client.get(f"/v1/jobs/{job_id}", name="GET /v1/jobs/{id}", headers=self.auth).json()
            if job["status"] == "done":
                self.client.get(f"/v1/swings/{swing_id}", name="GET /v1/swings/{id}", headers=self.auth)
                if window["start"] is not None:  # results completed inside the window
                    window["swings"] += 1
                    window["result_ms"].append(1000 * (time.time() - sent))
                return
            if job["status"] in ("failed", "dead", "cancelled"):
                events.request.fire(
                    request_type="RESULT",
                    name="video analysis",
                    response_time=1000 * (time.time() - sent),
                    response_length=0,
                    exception=RuntimeError(f"job {job['status']}: {job['error']}"),
                )
                return


class LoginFlooder(FastHttpUser):
    """An attacker guessing one account's password from one address, each guess sent as soon as
    the last one is answered (so a server that answers refusals at once gets them as fast as it can)."""

    fixed_count = FLOODERS
    wait_time = constant(0)
    connection_timeout = 60.0
    network_timeout = 60.0

    @task
    def guess(self) -> None:
        guess = {"email": "victim@bench.example", "password": secrets.token_hex(8)}
        with self.client.post("/v1/auth/login", json=guess, name=FLOOD_NAME, catch_response=True) as response:
            window["flood_statuses"][response.status_code] += 1
            if response.status_code in (401, 429):
                response.success()  # refused, as it must be
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
