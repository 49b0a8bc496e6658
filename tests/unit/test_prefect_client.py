"""Unit tests of the Prefect API client (plugins/module_utils/prefect.py) with a scripted transport.

The transport (ansible's open_url) is replaced by a script of answers; sleeps are recorded instead
of slept. What the client does against the real server is covered by tests/integration.
"""
from __future__ import annotations

import base64
import io
import json
import socket
import urllib.error
from email.message import Message

import pytest

from ansible_collections.prefect_ops.ecs.plugins.module_utils import prefect as P

API = "http://prefect.test:4200/api"


class Resp:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self._raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.headers = Message()
        self.headers["Content-Type"] = "application/json"
        for key, value in (headers or {}).items():
            del self.headers[key]
            self.headers[key] = value

    def getcode(self):
        return self.status

    def read(self):
        return self._raw


class Transport:
    """Plays back answers in order; an answer is (status, body[, headers]) or an exception."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        self.requests.append({"url": url, "method": method, "headers": dict(headers or {}),
                              "body": json.loads(data) if data else None, "kwargs": kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, *rest = answer
        resp = Resp(status, body, rest[0] if rest else None)
        if status >= 400:
            raise urllib.error.HTTPError(url, status, "error", resp.headers, io.BytesIO(resp.read()))
        return resp


def client(transport, **kwargs):
    """A client on a scripted transport; the delays it would sleep are in `.sleeps`."""
    sleeps = []
    kwargs.setdefault("auth_string", "admin:s3cret")
    c = P.PrefectClient(API, opener=transport, sleep=sleeps.append, **kwargs)
    c.sleeps = sleeps
    return c


def test_auth_string_is_sent_as_basic_and_wins_over_api_key():
    t = Transport((200, {"ok": 1}))
    c = client(t, api_key="pnu_key")
    assert c.get("work_pools/x") == {"ok": 1}
    assert t.requests[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"admin:s3cret").decode()


def test_api_key_is_sent_as_bearer():
    t = Transport((200, {}))
    c = client(t, auth_string=None, api_key="pnu_key")
    c.get("work_pools/x")
    assert t.requests[0]["headers"]["Authorization"] == "Bearer pnu_key"


def test_extra_headers_and_tls_options_reach_the_transport():
    t = Transport((200, {}))
    c = client(t, headers={"X-Gateway": "abc"}, validate_certs=False, timeout=7)
    c.get("health")
    req = t.requests[0]
    assert req["headers"]["X-Gateway"] == "abc"
    assert req["kwargs"]["validate_certs"] is False and req["kwargs"]["timeout"] == 7
    assert req["kwargs"]["use_netrc"] is False  # ~/.netrc would otherwise replace the Authorization header


def test_429_honours_retry_after_then_succeeds():
    t = Transport((429, {"detail": "slow down"}, {"Retry-After": "3"}), (200, {"name": "p"}))
    c = client(t, retry_delay=0.5)
    sleeps = c.sleeps
    assert c.get("work_pools/p") == {"name": "p"}
    assert sleeps == [3.0]
    assert len(t.requests) == 2


def test_retry_after_as_http_date():
    assert P._retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)
    assert P._retry_after_seconds("soon") is None


def test_retry_after_is_bounded():
    warnings = []
    t = Transport((429, {}, {"Retry-After": "3600"}), (200, {}))
    c = P.PrefectClient(API, opener=t, sleep=lambda s: warnings.append(("sleep", s)), warn=warnings.append)
    c.get("x")
    assert ("sleep", P.MAX_RETRY_AFTER) in warnings
    assert any("retry after 3600" in w for w in warnings if isinstance(w, str))


def test_5xx_backoff_is_exponential_and_bounded_then_gives_up_with_a_clear_message():
    t = Transport(*[(503, {"detail": "busy"})] * 4)
    c = client(t, retries=3, retry_delay=0.5)
    sleeps = c.sleeps
    with pytest.raises(P.PrefectAPIError) as err:
        c.post("work_pools/", {"name": "p"})
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(t.requests) == 4
    assert err.value.status == 503
    assert "503" in str(err.value) and "Retried 3 time(s)" in str(err.value)


def test_backoff_is_capped():
    c = client(Transport(), retry_delay=10)
    assert c._backoff(10) == P.MAX_BACKOFF


def test_connection_errors_are_retried_then_reported_with_the_fix():
    t = Transport(urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
                  socket.timeout("timed out"), urllib.error.URLError("refused"))
    c = client(t, retries=2, retry_delay=0.1)
    sleeps = c.sleeps
    with pytest.raises(P.PrefectAPIError) as err:
        c.get("work_pools/p")
    msg = str(err.value)
    assert "unreachable" in msg and "after 3 attempt(s)" in msg and "api_url" in msg
    assert sleeps == [0.1, 0.2]


def test_401_says_which_credential_to_fix():
    c = client(Transport((401, {"exception_message": "Unauthorized"})))
    with pytest.raises(P.PrefectAPIError) as err:
        c.get("work_pools/p")
    assert "401" in str(err.value) and "auth_string" in str(err.value) and "api_key" in str(err.value)
    assert "s3cret" not in str(err.value)
    c = client(Transport((401, {})), auth_string=None)
    with pytest.raises(P.PrefectAPIError) as err:
        c.get("work_pools/p")
    assert "no credentials were given" in str(err.value)


def test_404_for_a_missing_object_is_none_when_allowed_but_a_missing_route_is_a_url_error():
    c = client(Transport((404, {"detail": 'Work pool "p" not found.'})))
    assert c.get("work_pools/p", missing_ok=True) is None
    c = client(Transport((404, {"detail": "Not Found"})))
    with pytest.raises(P.PrefectAPIError) as err:
        c.get("work_pools/p", missing_ok=True)
    assert "api_url is probably wrong" in str(err.value) and "/api" in str(err.value)


def test_409_and_403_carry_the_servers_detail():
    c = client(Transport((409, {"detail": "A work pool with this name already exists."})))
    with pytest.raises(P.PrefectAPIError) as err:
        c.post("work_pools/", {})
    assert err.value.status == 409 and "already exists" in str(err.value)
    c = client(Transport((403, {"detail": "Work pools starting with 'Prefect' are reserved"})))
    with pytest.raises(P.PrefectAPIError) as err:
        c.post("work_pools/", {})
    assert "reserved" in str(err.value) and "403" in str(err.value)


def test_422_shows_the_servers_validation_detail():
    body = {"exception_message": "Invalid request received.", "exception_detail": [
        {"loc": ["body", "concurrency_limit"], "msg": "Input should be greater than or equal to 0"}]}
    c = client(Transport((422, body)))
    with pytest.raises(P.PrefectAPIError) as err:
        c.post("work_pools/", {"concurrency_limit": -5})
    assert "concurrency_limit: Input should be greater than or equal to 0" in str(err.value)


def test_an_html_answer_means_api_url_points_at_the_ui():
    t = Transport((200, b"<!doctype html><html></html>", {"Content-Type": "text/html"}))
    c = client(t)
    with pytest.raises(P.PrefectAPIError) as err:
        c.get("work_pools/p")
    assert "HTML page" in str(err.value) and "api_url" in str(err.value)


def test_csrf_auto_fetches_a_token_when_the_server_asks_and_resends():
    t = Transport((403, {"detail": "Missing CSRF token."}),
                  (200, {"token": "tok", "client": "c", "expiration": "2099-01-01T00:00:00Z"}),
                  (201, {"name": "p"}),
                  (204, None))
    c = client(t)
    assert c.post("work_pools/", {"name": "p"}) == {"name": "p"}
    assert "csrf-token?client=" in t.requests[1]["url"]
    resent = t.requests[2]["headers"]
    assert resent["Prefect-Csrf-Token"] == "tok" and resent["Prefect-Csrf-Client"] == c._csrf_client
    c.patch("work_pools/p", {"is_paused": True})  # the token is reused
    assert t.requests[3]["headers"]["Prefect-Csrf-Token"] == "tok"
    assert not t.answers


def test_csrf_enabled_fetches_first_and_disabled_never():
    t = Transport((200, {"token": "tok"}), (201, {}))
    c = client(t, csrf_protection="enabled")
    c.post("work_pools/", {})
    assert "csrf-token" in t.requests[0]["url"] and t.requests[1]["headers"]["Prefect-Csrf-Token"] == "tok"
    t = Transport((403, {"detail": "Missing CSRF token."}))
    c = client(t, csrf_protection="disabled")
    with pytest.raises(P.PrefectAPIError) as err:
        c.post("work_pools/", {})
    assert len(t.requests) == 1 and "csrf_protection" in str(err.value)


def test_csrf_enabled_on_a_server_without_csrf_protection_carries_on():
    t = Transport((422, {"detail": "CSRF protection is disabled."}), (201, {"ok": True}))
    c = client(t, csrf_protection="enabled")
    assert c.post("work_pools/", {}) == {"ok": True}
    assert "Prefect-Csrf-Token" not in t.requests[1]["headers"]


def test_paginate_follows_offsets_until_a_short_page():
    t = Transport((200, [{"i": i} for i in range(3)]), (200, [{"i": i} for i in range(3, 6)]), (200, [{"i": 6}]))
    c = client(t)
    items = c.paginate("work_pools/filter", page_size=3)
    assert [i["i"] for i in items] == list(range(7))
    assert [r["body"]["offset"] for r in t.requests] == [0, 3, 6]
    assert all(r["body"]["limit"] == 3 for r in t.requests)


def test_names_are_quoted_in_paths():
    assert P.PrefectClient.quote("my pool?#1") == "my%20pool%3F%231"


@pytest.mark.parametrize("name,fragment", [
    ("a/b", "'/'"), ("50%", "'%'"), ("", "must not be empty"), ("  ", "must not be empty"),
    ("prefect-managed", "reserves"), ("Prefect-x", "reserves"),
])
def test_pool_names_prefect_refuses_are_caught_locally(name, fragment):
    msg = P.validate_name(name, "name", reserved_prefix=True)
    assert msg and fragment in msg


def test_valid_names_pass():
    assert P.validate_name("my-ecs-pool", "name", reserved_prefix=True) is None
    assert P.validate_name("prefect-queue", "name") is None  # queues may start with prefect
