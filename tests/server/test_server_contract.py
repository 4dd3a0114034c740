"""The API's contract at its edges, against the running service (embedded and on Postgres): inputs
that used to end in a 500 (NUL characters, 64-bit integers, extreme datetimes), webhooks that must
not reach private addresses (SSRF), and an OpenAPI document that says what the service answers."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from ipaddress import ip_address, ip_network
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from server.live_service import PASSWORD, Service
from swingcoach.schemas import ModelVersions, SwingPayload
from swingcoach.server.api.schemas import ErrorBody
from swingcoach.server.models import User
from swingcoach.server.notify import WebhookRefused, WebhookSender, permitted, resolve_webhook

MakePayload = Callable[..., SwingPayload]
NUL = "\x00"


def _refuses_nul(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert "NUL" in body["detail"] and field in body["detail"], body


# --- 1. No 500s: NUL characters (Postgres refuses them in text and JSONB) ---------------------------


def test_nul_in_login_and_register_is_refused(service: Service) -> None:
    url = service.url
    for path in ("/v1/auth/login", "/v1/auth/register"):
        _refuses_nul(
            httpx.post(url + path, json={"email": f"a{NUL}b@example.com", "password": PASSWORD}), "email"
        )
        _refuses_nul(
            httpx.post(url + path, json={"email": "ab@example.com", "password": PASSWORD + NUL}), "password"
        )
    form = httpx.post(url + "/v1/auth/login", data={"username": f"a{NUL}@example.com", "password": PASSWORD})
    _refuses_nul(form, "email")


def test_nul_in_note_webhook_secret_and_payload_strings_is_refused(
    service: Service, make_payload: MakePayload
) -> None:
    client = service.client()
    payload = make_payload()
    assert client.post_swing(payload).status_code == 201
    note = client.http.patch(f"/v1/swings/{payload.swing_id}", json={"note": f"good{NUL}swing"})
    _refuses_nul(note, "note")
    secret = client.http.put(
        "/v1/users/me/webhook", json={"url": "http://127.0.0.1:9/hook", "secret": "s" * 20 + NUL}
    )
    _refuses_nul(secret, "secret")
    for field, value in (("device", f"phone{NUL}"), ("models", {"pose": f"rtm{NUL}"})):
        body = make_payload().model_dump(mode="json") | {field: value}
        _refuses_nul(client.http.post("/v1/swings", json=body), field)
    assert client.http.get(f"/v1/swings/{payload.swing_id}").json()["note"] is None


# --- 1. No 500s: integers past 63 bits and datetimes past the calendar ------------------------------


def test_pagination_and_last_event_id_are_bounded_to_63_bits(service: Service) -> None:
    client = service.client()
    for params in ({"offset": 2**63}, {"limit": 2**63}, {"offset": -1}):
        answer = client.http.get("/v1/swings", params=params)
        assert answer.status_code == 422, (params, answer.text)
    last = client.http.get("/v1/swings", params={"offset": 2**63 - 1})
    assert last.status_code == 200 and last.json()["items"] == []
    for header in (str(2**63), "-1", "not-a-number"):
        answer = client.http.get("/v1/events", headers={"Last-Event-ID": header})
        assert answer.status_code == 422, (header, answer.text)
        assert "Last-Event-ID" in answer.json()["detail"] or "last-event-id" in answer.json()["detail"]


def test_a_query_parameter_given_twice_is_refused(embedded: Service) -> None:
    """The fuzzer's find: `?limit=[]&limit=1390` was answered 200 with the last value."""
    client = embedded.client()
    answer = client.http.get("/v1/jobs?limit=%5B%5D&limit=1390")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["query", "limit"]
    assert "given more than once" in answer.json()["detail"]
    assert client.http.get("/v1/jobs?limit=5").status_code == 200


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:59.999999-23:59",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_extreme_datetimes_in_queries_are_refused(service: Service, when: str) -> None:
    client = service.client()
    for name in ("since", "until"):
        answer = client.http.get("/v1/swings", params={name: when})
        assert answer.status_code == 422, (name, when, answer.text)
        assert name in answer.json()["detail"]


def test_ordinary_datetimes_still_filter(service: Service) -> None:
    client = service.client()
    answer = client.http.get(
        "/v1/swings", params={"since": "2020-01-01T00:00:00+14:00", "until": "2100-01-01T00:00:00-12:00"}
    )
    assert answer.status_code == 200 and answer.json()["total"] == 0


def test_model_versions_refuse_nul_in_process() -> None:
    with pytest.raises(ValueError, match="NUL"):
        ModelVersions(pose=f"a{NUL}")


# --- 2. Webhooks reach public addresses only (SSRF) -------------------------------------------------

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.0.0.2", "0.0.0.0", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "224.0.0.1", "255.255.255.255", "::", "::1", "fc00::1", "fd12:3456::1",
    "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
    "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:0:4136:e378:8000:63bf:80ff:fffe",
]  # fmt: skip
# The test services allow 127.0.0.1 (their receivers listen there): these reach the rest of loopback.
REFUSED_URLS = [
    "http://127.2/hook",
    "http://2130706434/hook",
    "http://0x7f.0.0.2/hook",
    "http://[::1]:8000/hook",
    "http://[::ffff:127.0.0.2]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://10.1.2.3/hook",
    "https://192.168.0.1/hook",
]


@pytest.mark.parametrize("text", REFUSED_ADDRESSES)
def test_non_public_addresses_are_not_permitted(text: str) -> None:
    assert not permitted(ip_address(text))


def test_public_and_allowed_addresses_are_permitted() -> None:
    for text in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"):
        assert permitted(ip_address(text)), text
    allow = [ip_network("10.0.0.0/8"), ip_network("::1/128")]
    assert permitted(ip_address("10.1.2.3"), allow) and permitted(ip_address("::1"), allow)
    assert permitted(ip_address("::ffff:10.1.2.3"), allow)
    assert not permitted(ip_address("192.168.1.1"), allow)


@pytest.mark.parametrize("url", ["http://localhost:8000/hook", "http://127.0.0.1/hook", *REFUSED_URLS])
def test_webhook_urls_to_private_hosts_are_refused(url: str) -> None:
    with pytest.raises(WebhookRefused):
        resolve_webhook(url)


class Rebinding:
    """A DNS answer for hook.example that changes: public when checked at PUT, loopback later."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.calls = 0

    def __call__(self, host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        assert host == "hook.example"
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def _deliver(dns: Rebinding, monkeypatch: pytest.MonkeyPatch, status: int = 204) -> list[httpx.Request]:
    """What one delivery to https://hook.example:8443/in sends, with `dns` answering."""
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    monkeypatch.setattr(time, "sleep", lambda _s: None)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, headers={"Location": "http://127.0.0.1/"})

    sender = WebhookSender(1.0, attempts=2, transport=httpx.MockTransport(answer))
    sender._deliver("https://hook.example:8443/in", "a-webhook-secret-of-some-length", b"{}")
    return sent


def test_delivery_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _deliver(Rebinding(["93.184.216.34"]), monkeypatch)
    assert len(sent) == 1
    request = sent[0]
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.headers["Host"] == "hook.example:8443"
    assert request.extensions["sni_hostname"] == "hook.example"


def test_delivery_refuses_a_host_that_rebinds_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    dns = Rebinding(["93.184.216.34", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    assert resolve_webhook("https://hook.example:8443/in") == ip_address("93.184.216.34")  # at PUT
    assert _deliver(dns, monkeypatch) == []
    assert dns.calls == 2  # one resolution per check: the connection uses the checked address


def test_delivery_follows_no_redirect(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _deliver(Rebinding(["93.184.216.34"]), monkeypatch, status=302)
    assert [r.url.host for r in sent] == ["93.184.216.34", "93.184.216.34"]  # two attempts, no hop


def test_put_webhook_refuses_private_hosts(service: Service) -> None:
    client = service.client()
    for url in REFUSED_URLS:
        answer = client.http.put("/v1/users/me/webhook", json={"url": url})
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["body", "url"]
    assert client.http.get("/v1/users/me/webhook").json()["url"] is None
    unknown = client.http.put("/v1/users/me/webhook", json={"url": "http://no-such-host.invalid/hook"})
    assert unknown.status_code == 422 and "does not resolve" in unknown.json()["detail"]


def test_delivery_to_a_private_address_is_refused_at_send_time(
    service: Service, make_payload: MakePayload
) -> None:
    """A webhook stored while its name was public (DNS rebinding, or a row from before this
    check): delivery checks the address again and sends nothing to loopback."""
    receiver = HTTPServer(("127.0.0.2", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    Receiver.deliveries.clear()
    try:
        client = service.client()
        url = f"http://127.0.0.2:{receiver.server_port}/hook"
        with Session(service.engine) as session, session.begin():
            session.execute(update(User).where(User.id == uuid.UUID(client.user_id)).values(webhook_url=url))
        assert client.http.get("/v1/users/me/webhook").json()["url"] == url
        assert client.post_swing(make_payload()).status_code == 201
        deadline = time.monotonic() + 15
        while "webhook refused" not in service.api.tail() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "webhook refused" in service.api.tail()
        assert Receiver.deliveries == []
    finally:
        receiver.shutdown()


class Receiver(BaseHTTPRequestHandler):
    deliveries: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Receiver.deliveries.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


# --- 3. The OpenAPI document says what the service answers -----------------------------------------


def test_openapi_documents_our_error_bodies(embedded: Service) -> None:
    schema = httpx.get(f"{embedded.url}/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(schema)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in schema["paths"].items():
        assert path.startswith("/v1/") or path in ("/healthz", "/readyz"), f"{path}: a web page in the API"
        for method, operation in item.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            if operation.get("parameters") or "requestBody" in operation:
                assert responses["422"]["content"]["application/json"]["schema"] == error_ref, where
            if operation.get("security"):
                assert "401" in responses, where
            if "{" in path:
                assert "404" in responses, where
            if "requestBody" in operation:
                assert "413" in responses, where
    paths = schema["paths"]
    assert "409" in paths["/v1/swings"]["post"]["responses"]
    assert {"400", "409", "413", "415"} <= set(paths["/v1/swings/video"]["post"]["responses"])
    assert {"401", "422"} <= set(paths["/v1/auth/login"]["post"]["responses"])
    assert "409" in paths["/v1/jobs/{job_id}/retry"]["post"]["responses"]
    assert "503" in paths["/readyz"]["get"]["responses"]


def test_error_answers_are_error_bodies(embedded: Service) -> None:
    client = embedded.client()
    answers = [
        client.http.get("/v1/swings", params={"limit": 0}),  # 422 from a query
        client.http.post("/v1/swings", json={"fps": "fast"}),  # 422 from a body
        httpx.post(f"{embedded.url}/v1/auth/login", json={"email": "nope"}),  # 422 from the login
        client.http.get(f"/v1/swings/{uuid.uuid4()}"),  # 404
        httpx.get(f"{embedded.url}/v1/swings"),  # 401
        client.http.put("/v1/swings"),  # 405
    ]
    for answer in answers:
        assert answer.status_code >= 400 and ErrorBody.model_validate(answer.json()).detail, answer.text
    assert [a.status_code for a in answers] == [422, 422, 422, 404, 401, 405]
    assert all(ErrorBody.model_validate(a.json()).errors for a in answers[:3])


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/swings/{id}", "DELETE, GET, PATCH"),
        ("POST", "/v1/swings/{id}", "DELETE, GET, PATCH"),
        ("DELETE", "/v1/swings", "GET, POST"),
        ("GET", "/v1/users/me/webhook", None),
        ("POST", "/v1/users/me/webhook", "GET, PUT"),
        ("GET", "/v1/auth/login", "POST"),
        ("POST", "/login", "GET"),
        ("POST", "/static/css/app.css", "GET, HEAD"),
    ],
)
def test_405_names_every_method_of_the_path(
    embedded: Service, method: str, path: str, allowed: str | None
) -> None:
    client = embedded.client()
    answer = client.http.request(method, path.replace("{id}", str(uuid.uuid4())))
    if allowed is None:
        assert answer.status_code != 405
        return
    assert answer.status_code == 405, answer.text
    assert answer.headers["Allow"] == allowed
