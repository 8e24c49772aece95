"""The HTTP session under zenpy: every request bounded by the caller's deadline, no hidden waits.

zenpy sleeps on 429 for as long as Retry-After says and retries 5xx never or forever depending on
settings; a contact flow can afford neither. This session answers every non-2xx itself with a typed
error before zenpy sees the response, so the rules live in one place:
- 429 -> ZendeskRateLimited carrying Retry-After (queue consumers delay the message by it);
- 401/403 -> ZendeskAuthFailed (and the cached token is dropped: it may have been rotated);
- 404 -> ZendeskNotFound, other 4xx -> ZendeskRejected, 5xx/connection -> ZendeskUnavailable;
- 409 (safe-update collision, idempotency key in progress) -> ZendeskConflict, and 400
  IdempotentRequestError (key reused with other parameters) -> ZendeskIdempotencyMismatch: both retryable;
- timeouts -> ZendeskTimeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from aws_lambda_powertools.metrics import MetricUnit
from requests.adapters import HTTPAdapter

from connect_zendesk.deadline import current_deadline
from connect_zendesk.errors import (
    ZendeskAuthFailed,
    ZendeskConflict,
    ZendeskIdempotencyMismatch,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskTimeout,
    ZendeskUnavailable,
)
from connect_zendesk.observability import logger, metrics

MIN_USEFUL_SECONDS = 0.05
CONNECT_TIMEOUT_SECONDS = 3.05
IDEMPOTENCY_MISMATCH_ERROR = "IdempotentRequestError"  # Zendesk's error code for a reused key


class BudgetedSession(requests.Session):
    def __init__(self, default_timeout: float, on_auth_failure: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self._default_timeout = default_timeout
        self._on_auth_failure = on_auth_failure
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=16)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.headers["User-Agent"] = "connect-zendesk"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        path = urlsplit(str(url)).path  # never the query: search queries hold phone digits
        kwargs["timeout"] = self._timeout(f"{method!s} {path}")
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.Timeout:
            raise ZendeskTimeout(f"{method!s} {path} timed out") from None
        except requests.RequestException as exc:
            raise ZendeskUnavailable(f"{method!s} {path} failed: {type(exc).__name__}") from None
        finally:
            metrics.add_metric(name="ZendeskApiCalls", unit=MetricUnit.Count, value=1)
            metrics.add_metric(
                name="ZendeskLatency", unit=MetricUnit.Milliseconds, value=(time.monotonic() - started) * 1000
            )
        self._raise_for_status(response, f"{method!s} {path}")
        return response

    def _timeout(self, what: str) -> tuple[float, float]:
        deadline = current_deadline()
        if deadline is None:
            return (min(CONNECT_TIMEOUT_SECONDS, self._default_timeout), self._default_timeout)
        remaining = deadline.remaining()
        if remaining < MIN_USEFUL_SECONDS:
            raise ZendeskTimeout(f"{what}: no time left in the budget")
        return (min(CONNECT_TIMEOUT_SECONDS, remaining), remaining)

    def _raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 300:
            return
        if status == 429:
            metrics.add_metric(name="ZendeskRateLimited", unit=MetricUnit.Count, value=1)
            raise ZendeskRateLimited(f"{what} rate limited", retry_after=_retry_after(response))
        if status in (401, 403):
            self._on_auth_failure()
            raise ZendeskAuthFailed(f"{what} answered {status}")
        if status == 404:
            raise ZendeskNotFound(f"{what} answered 404")
        if status >= 500:
            raise ZendeskUnavailable(f"{what} answered {status}")
        error = _error_summary(response)
        if status == 409:
            raise ZendeskConflict(f"{what} answered 409: {error}")
        if status == 400 and error == IDEMPOTENCY_MISMATCH_ERROR:
            raise ZendeskIdempotencyMismatch(f"{what} answered 400: {error}")
        logger.warning("zendesk rejected a request", extra={"request": what, "status": status})
        raise ZendeskRejected(f"{what} answered {status}: {error}")


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        return None


def _error_summary(response: requests.Response) -> str:
    """Zendesk's error code only: descriptions can echo submitted values (emails, names)."""
    try:
        body = response.json()
    except ValueError:
        return "non-JSON body"
    return str(body.get("error", "unknown"))[:80] if isinstance(body, dict) else "unexpected body"
