"""Accounts, tokens and abuse limits against the real service (embedded, and scaled out with Redis):
login lockout per account and per address, the password policy, refresh-token rotation and reuse,
logout, http-only cookies with CSRF, register without enumeration, security headers, account
deletion and export, production mode, and private file modes. Each test replays an attack or input
of issue #16 that the service before it let through."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from server.live_service import (
    PASSWORD,
    REFUSAL_DELAY_S,
    SECRET,
    Client,
    Process,
    Service,
    free_port,
    job_finished,
    serve_command,
)
from swingcoach.schemas import SwingPayload
from swingcoach.server.app import create_app
from swingcoach.server.core.config import Settings

MakePayload = Callable[..., SwingPayload]
ACCOUNT_FAILURES = 5  # the default login_account_failures
IP_FAILURES = 50  # the default login_ip_failures
USER_TABLES = ("swings", "jobs", "notifications", "refresh_tokens")


def login(url: str, email: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/auth/login", json={"email": email, "password": password}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_300_wrong_passwords_lock_the_account_not_the_others(service: Service) -> None:
    victim, bystander = service.client(), service.client()
    statuses = [login(service.url, victim.email, "not the password").status_code for _ in range(10)]
    assert statuses[:ACCOUNT_FAILURES] == [401] * ACCOUNT_FAILURES
    assert set(statuses[ACCOUNT_FAILURES:]) == {429}
    # The other 290 from 16 clients at once, each sending its next guess when answered: every one
    # refused, and each refusal held for the delay (16 clients get ~16 answers per delay, not a core).
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        flood = list(
            pool.map(lambda _: login(service.url, victim.email, "a longer guess").status_code, range(290))
        )
    assert set(flood) == {429}
    assert time.monotonic() - started >= (290 / 16 - 1) * REFUSAL_DELAY_S
    locked = login(service.url, victim.email)  # the right password, during the lockout
    assert locked.status_code == 429 and "too many failed logins" in locked.json()["detail"]
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert login(service.url, bystander.email).status_code == 200  # same client, other account
    assert victim.http.get("/v1/auth/me").status_code == 200  # a token held already keeps working


def test_one_address_trying_many_accounts_is_refused(service: Service) -> None:
    # The test service trusts X-Forwarded-For from loopback (uvicorn's default), like nginx's.
    sprayer, other = f"203.0.113.{uuid.uuid4().int % 250}", f"198.51.100.{uuid.uuid4().int % 250}"
    emails = [f"nobody-{uuid.uuid4().hex[:8]}@example.com" for _ in range(IP_FAILURES + 5)]
    statuses = [login(service.url, e, **{"X-Forwarded-For": sprayer}).status_code for e in emails]
    assert statuses[:IP_FAILURES] == [401] * IP_FAILURES and set(statuses[IP_FAILURES:]) == {429}
    client = service.client()
    assert login(service.url, client.email, **{"X-Forwarded-For": sprayer}).status_code == 429
    assert login(service.url, client.email, **{"X-Forwarded-For": other}).status_code == 200


@pytest.mark.parametrize("weak", ["12345678", "password", "Password", "iloveyou1", "aaaaaaaaaa"])
def test_common_passwords_are_refused(service: Service, weak: str) -> None:
    email = f"weak-{uuid.uuid4().hex[:8]}@example.com"
    response = httpx.post(f"{service.url}/v1/auth/register", json={"email": email, "password": weak})
    assert response.status_code == 422 and "most common" in response.json()["detail"], response.text
    assert login(service.url, email, weak).status_code == 401  # no account was made


def test_register_answers_the_same_for_a_taken_email_and_changes_nothing(service: Service) -> None:
    client = service.client()
    fresh = httpx.post(
        f"{service.url}/v1/auth/register",
        json={"email": f"new-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD},
    )
    taken = httpx.post(
        f"{service.url}/v1/auth/register", json={"email": client.email, "password": "another long password"}
    )
    assert fresh.status_code == taken.status_code == 202
    assert fresh.json() == taken.json() and client.email not in taken.text
    assert login(service.url, client.email).status_code == 200  # the old password still works
    assert login(service.url, client.email, "another long password").status_code == 401


def test_access_tokens_are_short_lived_and_refresh_rotates(service: Service) -> None:
    client = service.client()
    first = login(service.url, client.email).json()
    assert first["expires_at"] < first["refresh_expires_at"]
    lifetime = httpx.get(f"{service.url}/v1/auth/me", headers=bearer(first["access_token"]))
    assert lifetime.status_code == 200
    rotated = httpx.post(f"{service.url}/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert httpx.get(f"{service.url}/v1/auth/me", headers=bearer(second["access_token"])).status_code == 200
    # The spent token shown again: stolen. The whole login ends, the thief's and the owner's copies.
    reused = httpx.post(f"{service.url}/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    after = httpx.post(f"{service.url}/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    for token in (first["access_token"], second["access_token"]):
        assert httpx.get(f"{service.url}/v1/swings", headers=bearer(token)).status_code == 401
    assert client.http.get("/v1/swings").status_code == 200  # another login of the same account
    garbage = httpx.post(f"{service.url}/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert garbage.status_code == 401


def test_logout_ends_the_access_token_at_once(service: Service) -> None:
    client = service.client()
    tokens = login(service.url, client.email).json()
    headers = bearer(tokens["access_token"])
    assert httpx.get(f"{service.url}/v1/swings", headers=headers).status_code == 200
    out = httpx.post(f"{service.url}/v1/auth/logout", headers=headers)
    assert out.status_code == 204
    refused = httpx.get(f"{service.url}/v1/swings", headers=headers)
    assert refused.status_code == 401 and "log in again" in refused.json()["detail"]
    again = httpx.post(f"{service.url}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401
    assert client.http.get("/v1/swings").status_code == 200  # only that login ended


def test_browsers_get_http_only_strict_cookies_and_writes_need_the_csrf_header(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    browser = httpx.Client(base_url=service.url, timeout=30)
    answer = browser.post("/v1/auth/login", json={"email": client.email, "password": PASSWORD})
    cookies = answer.headers.get_list("set-cookie")
    access = next(c for c in cookies if c.startswith("swingcoach_access="))
    refresh = next(c for c in cookies if c.startswith("swingcoach_refresh="))
    for cookie in (access, refresh):
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie  # http
    assert "Path=/v1;" in access and "Path=/v1/auth" in refresh
    assert answer.headers["cache-control"] == "no-store"
    # EventSource and <video> send the cookie only: no token in the URL.
    assert browser.get("/v1/auth/me").json()["email"] == client.email
    with browser.stream("GET", "/v1/events", headers={"Accept": "text/event-stream"}) as events:
        assert events.status_code == 200
    body = make_payload().model_dump_json()
    forged = browser.post("/v1/swings", content=body, headers={"Content-Type": "application/json"})
    assert forged.status_code == 403 and "X-Requested-With" in forged.json()["detail"]
    headers = {"Content-Type": "application/json", "X-Requested-With": "swingcoach"}
    assert browser.post("/v1/swings", content=body, headers=headers).status_code == 201
    assert browser.post("/v1/auth/refresh").status_code == 403  # the refresh cookie needs it too
    refreshed = browser.post("/v1/auth/refresh", headers={"X-Requested-With": "swingcoach"})
    assert refreshed.status_code == 200 and browser.cookies["swingcoach_access"]
    assert browser.post("/v1/auth/logout", headers={"X-Requested-With": "swingcoach"}).status_code == 204
    assert "swingcoach_access" not in browser.cookies
    assert browser.get("/v1/auth/me").status_code == 401
    # The token of the URL is not read anywhere.
    token = refreshed.json()["access_token"]
    assert httpx.get(f"{service.url}/v1/swings", params={"access_token": token}).status_code == 401


def test_security_headers_on_every_response(service: Service) -> None:
    responses = [
        httpx.get(f"{service.url}/"),
        httpx.get(f"{service.url}/practice"),
        httpx.get(f"{service.url}/static/js/api.mjs"),
        httpx.get(f"{service.url}/v1/swings"),
        httpx.get(f"{service.url}/no-such-page"),
        login(service.url, "nobody@example.com", "whatever password"),
    ]
    for response in responses:
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'wasm-unsafe-eval'" in csp, csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    assert all(r.headers["cache-control"] == "no-store" for r in responses[3:4] + responses[5:])


def _storage_root(service: Service) -> Path:
    env = service.api.env
    return Path(env.get("STORAGE_URL") or Path(env["SWINGCOACH_DATA_DIR"]) / "storage")


def _rows(service: Service, user_id: str) -> dict[str, int]:
    db_id = uuid.UUID(user_id).hex if service.name == "embedded" else user_id
    counts = {
        t: service.count(f"SELECT count(*) FROM {t} WHERE user_id = :id", id=db_id) for t in USER_TABLES
    }
    return counts | {"users": service.count("SELECT count(*) FROM users WHERE id = :id", id=db_id)}


def _swing_with_clip(client: Client, make_payload: MakePayload, video: bytes) -> SwingPayload:
    payload = make_payload()
    assert client.post_swing(payload).status_code == 201
    attached = client.upload(video, swing_id=str(payload.swing_id))
    assert attached.status_code == 202, attached.text
    client.wait_job(attached.json()["job_id"], job_finished)
    return payload


@pytest.fixture
def owner_with_data(service: Service, make_payload: MakePayload, demo_video: Path) -> Iterator[Any]:
    owner = service.client()
    video = demo_video.read_bytes()
    payloads = [_swing_with_clip(owner, make_payload, video), make_payload()]
    assert owner.post_swing(payloads[1]).status_code == 201
    yield owner, payloads, video


def test_export_is_one_archive_of_every_swing_and_only_yours(service: Service, owner_with_data: Any) -> None:
    owner, payloads, video = owner_with_data
    stranger = service.client()
    with owner.http.stream("GET", "/v1/users/me/export") as response:
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        assert "content-length" not in response.headers  # streamed, not built in memory first
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    names = set(archive.namelist())
    assert json.loads(archive.read("account.json"))["email"] == owner.email
    for payload in payloads:
        folder = f"swings/{payload.swing_id}"
        assert {f"{folder}/swing.json", f"{folder}/payload.json", f"{folder}/report.json"} <= names
        stored = owner.http.get(f"/v1/swings/{payload.swing_id}").json()
        assert json.loads(archive.read(f"{folder}/report.json")) == stored["report"]
        kept = SwingPayload.model_validate_json(archive.read(f"{folder}/payload.json"))
        assert kept.swing_id == payload.swing_id
    assert archive.read(f"swings/{payloads[0].swing_id}/video.mp4") == video
    theirs = zipfile.ZipFile(io.BytesIO(stranger.http.get("/v1/users/me/export").content))
    assert not [name for name in theirs.namelist() if name.startswith("swings/")]


def test_deleting_the_account_removes_every_row_clip_and_token(
    service: Service, owner_with_data: Any, make_payload: MakePayload
) -> None:
    owner, payloads, video = owner_with_data
    owner.http.put("/v1/users/me/webhook", json={"url": "http://127.0.0.1:9/hook", "secret": "s" * 20})
    assert owner.put_chunk(str(payloads[1].swing_id), video[:1000], 0, len(video)).status_code == 200
    staged = Path(service.api.env["SWINGCOACH_DATA_DIR"]) / "upload-staging" / owner.user_id
    assert any(staged.iterdir()), "an unfinished clip upload"
    stranger = service.client()
    assert stranger.post_swing(make_payload()).status_code == 201
    folder = _storage_root(service) / "videos" / owner.user_id
    assert any(folder.rglob("*.mp4"))
    tokens = login(service.url, owner.email).json()
    before = _rows(service, owner.user_id)
    assert before["swings"] == 2 and before["jobs"] >= 1 and before["notifications"] >= 2
    assert before["refresh_tokens"] == 2

    wrong = owner.http.request("DELETE", "/v1/users/me", json={"password": "not the password"})
    assert wrong.status_code == 403 and _rows(service, owner.user_id) == before
    # The stranger deletes their own account: the owner's data is not theirs to touch.
    assert stranger.http.request("DELETE", "/v1/users/me", json={"password": PASSWORD}).status_code == 204
    assert _rows(service, owner.user_id) == before
    assert owner.http.get(f"/v1/swings/{payloads[0].swing_id}").status_code == 200

    gone = owner.http.request("DELETE", "/v1/users/me", json={"password": PASSWORD})
    assert gone.status_code == 204, gone.text
    assert _rows(service, owner.user_id) == dict.fromkeys((*USER_TABLES, "users"), 0)
    assert not folder.exists() or not any(folder.rglob("*"))
    assert not staged.exists(), "the unfinished upload went too"
    for token in (owner.http.headers["Authorization"].removeprefix("Bearer "), tokens["access_token"]):
        refused = httpx.get(f"{service.url}/v1/swings", headers=bearer(token))
        assert refused.status_code == 401  # not an empty list of swings
    assert (
        httpx.post(
            f"{service.url}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )
    assert login(service.url, owner.email).status_code == 401
    assert _rows(service, stranger.user_id)["users"] == 0


def test_files_of_the_embedded_service_are_private(embedded: Service, make_payload: MakePayload) -> None:
    client = embedded.client()
    payload = make_payload()
    assert client.post_swing(payload).status_code == 201
    assert client.put_chunk(str(payload.swing_id), bytes(10), 0, 100).status_code == 200  # staged
    data = Path(embedded.api.env["SWINGCOACH_DATA_DIR"])
    created = [data, *data.rglob("*")]
    assert any(p.name == "swingcoach.db" for p in created)
    assert any(p.name == f"{payload.swing_id}.part" for p in created)
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_replicas_share_lockouts_and_logouts_through_redis(scaleout: Service) -> None:
    port = free_port()
    second = Process(serve_command(port), scaleout.api.env, scaleout.api.log.with_name("api2.log"))
    second.start()
    replica = Service("replica", f"http://127.0.0.1:{port}", scaleout.database_url, second)
    try:
        replica.wait_ready()
        client = scaleout.client()
        tokens = login(scaleout.url, client.email).json()
        assert (
            httpx.get(f"{replica.url}/v1/swings", headers=bearer(tokens["access_token"])).status_code == 200
        )
        assert (
            httpx.post(f"{scaleout.url}/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code
            == 204
        )
        assert (
            httpx.get(f"{replica.url}/v1/swings", headers=bearer(tokens["access_token"])).status_code == 401
        )
        for _ in range(ACCOUNT_FAILURES):
            assert login(scaleout.url, client.email, "not the password").status_code == 401
        assert login(replica.url, client.email).status_code == 429
    finally:
        second.stop()
        replica.engine.dispose()


def test_production_needs_a_strong_shared_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="shorter than 32 bytes"):
        Settings(data_dir=tmp_path, secret_key="x")  # in development too
    with pytest.raises(ValidationError, match="production needs SECRET_KEY"):
        Settings(data_dir=tmp_path, env="production")
    env = {"PATH": "/usr/bin:/bin", "SWINGCOACH_ENV": "production", "SWINGCOACH_DATA_DIR": str(tmp_path)}
    started = subprocess.run(
        [sys.executable, "-m", "swingcoach", "serve", "--port", str(free_port())],
        env=env | {"PYTHONPATH": ":".join(sys.path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0 and "production needs SECRET_KEY" in started.stdout + started.stderr


def test_production_hides_docs_and_guards_metrics(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, env="production", metrics_token="m" * 32)
    with TestClient(create_app(settings)) as app:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert app.get(path).status_code == 404, path
        assert app.get("/metrics").status_code == 401
        assert app.get("/metrics", headers=bearer("wrong")).status_code == 401
        assert app.get("/metrics", headers=bearer("m" * 32)).status_code == 200
    closed = Settings(data_dir=tmp_path / "closed", secret_key=SECRET, env="production")
    with TestClient(create_app(closed)) as app:
        assert app.get("/metrics").status_code == 404


def test_development_without_a_key_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as app:
        assert app.get("/docs").status_code == 200
    assert "each process writes its own" in capsys.readouterr().out
    for name in ("secret_key", "swingcoach.db"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "storage").stat().st_mode) == 0o700


def test_nginx_logs_no_query_strings() -> None:
    config = (Path(__file__).parents[2] / "deploy" / "nginx.conf").read_text()
    log_format = config[config.index("log_format") : config.index("access_log")]
    assert '"uri":"$uri"' in log_format and "$request_uri" not in log_format
