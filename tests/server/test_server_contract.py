"""The API's contract at its edges, against the running service (embedded and on Postgres): inputs
that used to end in a 500 (NUL characters, 64-bit integers, extreme datetimes), webhooks that must
not reach private addresses (SSRF), and an OpenAPI document that says what the service answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from server.live_service import PASSWORD, Service
from swingcoach.schemas import ModelVersions, SwingPayload

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
