"""BudgetedSession: every Zendesk request bounded by the deadline, every non-2xx a typed error.

A canned transport adapter is mounted on the session after it is built, so no test opens a socket
(and an autouse guard fails any test that tries).
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import requests
from connect_zendesk.adapters.zendesk.session import (
    CONNECT_TIMEOUT_SECONDS,
    MIN_USEFUL_SECONDS,
    BudgetedSession,
)
from connect_zendesk.deadline import Deadline, deadline_scope, run_within
from connect_zendesk.errors import (
    ZendeskAuthFailed,
    ZendeskConflict,
    ZendeskError,
    ZendeskIdempotencyMismatch,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskTimeout,
    ZendeskUnavailable,
)
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

BASE = "https://demo.zendesk.com/api/v2"
SEARCH_URL = f"{BASE}/search.json?query=role:end-user%20phone:*4155552671"
SEARCH_DIGITS = "4155552671"

Outcome = requests.Response | BaseException


class CannedAdapter(BaseAdapter):
    """Answers every request with a canned response or exception, and records what it was asked."""

    def __init__(self, answer: Callable[[requests.PreparedRequest], Outcome]) -> None:
        super().__init__()
        self._answer = answer
        self.sent: list[tuple[requests.PreparedRequest, Any]] = []

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.sent.append((request, timeout))
        outcome = self._answer(request)
        if isinstance(outcome, BaseException):
            raise outcome
        outcome.request = request
        outcome.url = str(request.url)
        return outcome

    def close(self) -> None:
        pass


def canned(
    status: int, body: bytes | str | Mapping[str, Any] = b"", headers: Mapping[str, str] | None = None
) -> Any:
    """A responder giving a fresh Response with that status, body and headers."""

    def answer(_request: requests.PreparedRequest) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        if isinstance(body, Mapping):
            response._content = json.dumps(body).encode()
        else:
            response._content = body.encode() if isinstance(body, str) else body
        response.headers = CaseInsensitiveDict(headers or {})
        response.encoding = "utf-8"
        return response

    return answer


def failing(error: BaseException) -> Callable[[requests.PreparedRequest], Outcome]:
    return lambda _request: error


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a unit test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


class Harness:
    def __init__(self, default_timeout: float = 5.0) -> None:
        self.auth_failures = 0
        self.session = BudgetedSession(default_timeout, on_auth_failure=self._auth_failed)
        self.adapter: CannedAdapter | None = None

    def _auth_failed(self) -> None:
        self.auth_failures += 1

    def answer_with(self, answer: Callable[[requests.PreparedRequest], Outcome]) -> CannedAdapter:
        self.adapter = CannedAdapter(answer)
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, self.adapter)
        return self.adapter


@pytest.fixture
def zendesk() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.session.close()


# ----------------------------------------------------------------------------- construction


def test_session_mounts_a_pooled_adapter_without_retries_and_names_itself() -> None:
    session = BudgetedSession(5.0)

    adapter = session.get_adapter(f"{BASE}/users/1.json")

    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter.max_retries.total == 0
    assert session.get_adapter("http://127.0.0.1:8765/api/v2") is adapter
    assert session.headers["User-Agent"] == "connect-zendesk"


# ----------------------------------------------------------------------------- status mapping


@pytest.mark.parametrize("status", [200, 201, 204])
def test_success_statuses_return_the_response(zendesk: Harness, status: int) -> None:
    adapter = zendesk.answer_with(canned(status, {"user": {"id": 1}} if status != 204 else b""))

    response = zendesk.session.get(f"{BASE}/users/1.json")

    assert response.status_code == status
    assert len(adapter.sent) == 1
    assert adapter.sent[0][0].headers["User-Agent"] == "connect-zendesk"


def test_success_body_is_readable(zendesk: Harness) -> None:
    zendesk.answer_with(canned(200, {"user": {"id": 42, "name": "Jane"}}))

    assert zendesk.session.get(f"{BASE}/users/42.json").json() == {"user": {"id": 42, "name": "Jane"}}


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({"Retry-After": ""}, None),
        ({}, None),
    ],
)
def test_429_raises_rate_limited_with_retry_after(
    zendesk: Harness, headers: dict[str, str], retry_after: float | None
) -> None:
    zendesk.answer_with(canned(429, "Too Many Requests", headers))  # Zendesk's 429 body may be plain text

    with pytest.raises(ZendeskRateLimited, match="rate limited") as raised:
        zendesk.session.get(f"{BASE}/users/1.json")

    assert raised.value.retry_after == retry_after
    assert raised.value.error_type == "RateLimited"


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_raise_auth_failed_and_drop_the_token(zendesk: Harness, status: int) -> None:
    zendesk.answer_with(canned(status, {"error": "Couldn't authenticate you"}))

    with pytest.raises(ZendeskAuthFailed, match=f"answered {status}"):
        zendesk.session.get(f"{BASE}/users/me.json")

    assert zendesk.auth_failures == 1


def test_default_auth_failure_callback_is_harmless() -> None:
    session = BudgetedSession(5.0)
    session.mount("https://", CannedAdapter(canned(401)))

    with pytest.raises(ZendeskAuthFailed):
        session.get(f"{BASE}/users/me.json")


def test_404_raises_not_found(zendesk: Harness) -> None:
    zendesk.answer_with(canned(404, {"error": "RecordNotFound", "description": "Not found"}))

    with pytest.raises(ZendeskNotFound) as raised:
        zendesk.session.get(f"{BASE}/users/9.json")

    assert str(raised.value) == "GET /api/v2/users/9.json answered 404"

    assert zendesk.auth_failures == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_raises_unavailable(zendesk: Harness, status: int) -> None:
    zendesk.answer_with(canned(status, "<html>maintenance</html>", {"Retry-After": "30"}))

    with pytest.raises(ZendeskUnavailable, match=f"answered {status}"):
        zendesk.session.get(f"{BASE}/users/1.json")


def test_422_raises_rejected_with_the_error_code_but_not_the_description(
    zendesk: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"email": [{"description": "Email: jane.doe@example.com is already being used"}]},
    }
    zendesk.answer_with(canned(422, body))

    with caplog.at_level(logging.WARNING), pytest.raises(ZendeskRejected) as raised:
        zendesk.session.put(f"{BASE}/users/1.json", json={"user": {"email": "jane.doe@example.com"}})

    message = str(raised.value)
    assert message == "PUT /api/v2/users/1.json answered 422: RecordInvalid"
    assert "validation errors" not in message
    assert "jane.doe" not in message
    (record,) = [r for r in caplog.records if r.getMessage() == "zendesk rejected a request"]
    assert record.levelno == logging.WARNING
    assert record.request == "PUT /api/v2/users/1.json"  # type: ignore[attr-defined]
    assert record.status == 422  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        (b"<html>Bad Request</html>", "non-JSON body"),
        (b'["a", "list"]', "unexpected body"),
        (b'{"description": "no code"}', "unknown"),
        (json.dumps({"error": "E" * 200}).encode(), "E" * 80),
        (
            json.dumps({"error": {"title": "Invalid", "message": "x"}}).encode(),
            "{'title': 'Invalid', 'message': 'x'}",
        ),
    ],
)
def test_other_4xx_summarise_the_body_safely(zendesk: Harness, body: bytes, summary: str) -> None:
    zendesk.answer_with(canned(400, body))

    with pytest.raises(ZendeskRejected) as raised:
        zendesk.session.post(f"{BASE}/tickets.json", json={})

    assert str(raised.value) == f"POST /api/v2/tickets.json answered 400: {summary}"


def test_a_safe_update_collision_is_a_retryable_conflict_not_a_rejection(zendesk: Harness) -> None:
    zendesk.answer_with(canned(409, {"error": "UpdateConflict", "description": "Safe Update prevented..."}))

    with pytest.raises(ZendeskConflict) as raised:
        zendesk.session.put(f"{BASE}/tickets/1.json", json={})

    assert not isinstance(raised.value, ZendeskRejected)  # SQS retries it; it is never dead-lettered at once
    assert str(raised.value) == "PUT /api/v2/tickets/1.json answered 409: UpdateConflict"


def test_a_reused_idempotency_key_is_told_apart_from_other_400s(zendesk: Harness) -> None:
    body = {"error": "IdempotentRequestError", "description": "Request parameters don't match"}
    zendesk.answer_with(canned(400, body))

    with pytest.raises(ZendeskIdempotencyMismatch):
        zendesk.session.post(f"{BASE}/tickets.json", json={})


@pytest.mark.parametrize("status", [304, 400, 413, 422])
def test_non_success_statuses_without_a_special_case_are_rejected(zendesk: Harness, status: int) -> None:
    zendesk.answer_with(canned(status))

    with pytest.raises(ZendeskRejected):
        zendesk.session.get(f"{BASE}/tickets/1.json")


# ----------------------------------------------------------------------------- transport failures


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.Timeout("timed out"),
    ],
)
def test_timeouts_raise_zendesk_timeout(zendesk: Harness, error: Exception) -> None:
    zendesk.answer_with(failing(error))

    with pytest.raises(ZendeskTimeout) as raised:
        zendesk.session.get(f"{BASE}/users/1.json")

    assert str(raised.value) == "GET /api/v2/users/1.json timed out"

    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__  # the transport's text (with the URL) is not chained


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectionError("connection refused"),
        requests.exceptions.SSLError("bad handshake"),
        requests.exceptions.ChunkedEncodingError("truncated"),
    ],
)
def test_connection_errors_raise_unavailable(zendesk: Harness, error: Exception) -> None:
    zendesk.answer_with(failing(error))

    with pytest.raises(ZendeskUnavailable) as raised:
        zendesk.session.get(f"{BASE}/users/1.json")

    assert str(raised.value) == f"GET /api/v2/users/1.json failed: {type(error).__name__}"
    assert raised.value.__suppress_context__


def test_non_transport_exceptions_are_not_hidden(zendesk: Harness) -> None:
    zendesk.answer_with(failing(RuntimeError("a bug")))

    with pytest.raises(RuntimeError, match="a bug"):
        zendesk.session.get(f"{BASE}/users/1.json")


# ----------------------------------------------------------------------------- timeouts and deadlines


@pytest.mark.parametrize(
    ("default_timeout", "expected"),
    [(5.0, (CONNECT_TIMEOUT_SECONDS, 5.0)), (2.0, (2.0, 2.0)), (60.0, (CONNECT_TIMEOUT_SECONDS, 60.0))],
)
def test_outside_a_deadline_the_default_timeout_is_used(
    default_timeout: float, expected: tuple[float, float]
) -> None:
    harness = Harness(default_timeout)
    adapter = harness.answer_with(canned(200, {}))

    harness.session.get(f"{BASE}/users/1.json", timeout=999)  # the caller's own timeout is overridden

    assert adapter.sent[0][1] == expected


@pytest.mark.parametrize("budget", [0.8, 2.0])
def test_inside_a_deadline_the_timeout_is_the_remaining_budget(zendesk: Harness, budget: float) -> None:
    adapter = zendesk.answer_with(canned(200, {}))
    deadline = Deadline.after(budget)

    with deadline_scope(deadline):
        zendesk.session.get(f"{BASE}/users/1.json")

    connect, read = adapter.sent[0][1]
    assert budget - 0.5 < read <= budget
    assert connect == read  # both shorter than the usual connect timeout


def test_inside_a_long_deadline_the_connect_timeout_is_capped(zendesk: Harness) -> None:
    adapter = zendesk.answer_with(canned(200, {}))

    with deadline_scope(Deadline.after(7.0)):
        zendesk.session.get(f"{BASE}/users/1.json")

    connect, read = adapter.sent[0][1]
    assert connect == CONNECT_TIMEOUT_SECONDS
    assert 6.5 < read <= 7.0


def test_deadline_reaches_the_session_through_run_within(zendesk: Harness) -> None:
    adapter = zendesk.answer_with(canned(200, {}))

    run_within(Deadline.after(1.0), lambda: zendesk.session.get(f"{BASE}/users/1.json"))

    assert 0.5 < adapter.sent[0][1][1] <= 1.0


@pytest.mark.parametrize("left", [0.0, MIN_USEFUL_SECONDS / 2])
def test_almost_expired_deadline_raises_timeout_without_sending(zendesk: Harness, left: float) -> None:
    adapter = zendesk.answer_with(canned(200, {}))

    with (
        deadline_scope(Deadline.after(left)),
        pytest.raises(ZendeskTimeout, match="no time left in the budget"),
    ):
        zendesk.session.get(SEARCH_URL)

    assert adapter.sent == []


# ----------------------------------------------------------------------------- no query strings in errors


@pytest.mark.parametrize(
    "answer",
    [
        canned(400, {"error": "InvalidQuery"}),
        canned(401),
        canned(404),
        canned(422, {"error": "Invalid"}),
        canned(429, headers={"Retry-After": "3"}),
        canned(503),
        failing(requests.exceptions.ReadTimeout(f"HTTPSConnectionPool: Read timed out. url: {SEARCH_URL}")),
        failing(requests.exceptions.ConnectionError(f"Max retries exceeded with url: {SEARCH_URL}")),
    ],
)
def test_error_messages_never_contain_the_query_string(
    zendesk: Harness, answer: Callable[[requests.PreparedRequest], Outcome]
) -> None:
    zendesk.answer_with(answer)

    with pytest.raises(ZendeskError) as raised:
        zendesk.session.get(SEARCH_URL)

    text = str(raised.value)
    assert "/api/v2/search.json" in text
    assert SEARCH_DIGITS not in text
    assert "query" not in text
    assert raised.value.__cause__ is None


def test_expired_budget_message_has_no_query_string(zendesk: Harness) -> None:
    zendesk.answer_with(canned(200, {}))

    with deadline_scope(Deadline.after(0)), pytest.raises(ZendeskTimeout) as raised:
        zendesk.session.get(SEARCH_URL)

    assert SEARCH_DIGITS not in str(raised.value)
