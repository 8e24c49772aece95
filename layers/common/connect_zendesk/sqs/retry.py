"""How a failed message comes back: after a delay set on the message (never a sleep), or not at all.

SQS redelivers a failed message when its visibility timeout ends, so a consumer delays a message by
changing its visibility: Retry-After for a rate-limited Zendesk, exponential backoff with jitter for
outages and timeouts, a short poll interval while a transcript settles. Requests that can never
succeed (Zendesk rejected them, the input is invalid) go to the dead-letter queue at once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from connect_zendesk.errors import (
    InvalidInput,
    ZendeskNotFound,
    ZendeskRateLimited,
    ZendeskRejected,
)
from connect_zendesk.sqs.message import InvalidMessage
from connect_zendesk.untrusted import UntrustedInput

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit for one visibility timeout
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 900
DEFAULT_RETRY_AFTER_SECONDS = 60  # a 429 without Retry-After
JITTER = 0.2


class RetryLater(Exception):
    """Not a failure: the message should come back after `delay_seconds` (e.g. a transcript settling)."""

    def __init__(self, reason: str, delay_seconds: float, error_type: str = "NotReady") -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds
        self.error_type = error_type


@dataclass(frozen=True)
class RetryDecision:
    delay_seconds: int
    error_type: str
    reason: str
    permanent: bool = False  # retrying cannot help: dead-letter now
    expected: bool = False  # a planned wait (RetryLater), not an error


# UntrustedInput: a body or event the bounded decoder refused refuses the same way on every receive.
PERMANENT = (ZendeskRejected, ZendeskNotFound, InvalidInput, InvalidMessage, UntrustedInput)


def decide(exc: BaseException, receive_count: int, rng: Callable[[], float] = random.random) -> RetryDecision:
    reason = str(exc) or type(exc).__name__
    error_type = str(getattr(exc, "error_type", type(exc).__name__))
    if isinstance(exc, RetryLater):
        return RetryDecision(_bounded(exc.delay_seconds), exc.error_type, reason, expected=True)
    if isinstance(exc, ZendeskRateLimited):
        wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER_SECONDS
        # Retry-After is the earliest useful moment; a little spread keeps retries from bunching.
        return RetryDecision(_bounded(math.ceil(wait) + 1 + rng() * JITTER * wait), error_type, reason)
    if isinstance(exc, PERMANENT):
        return RetryDecision(0, error_type, reason, permanent=True)
    return RetryDecision(backoff_seconds(receive_count, rng), error_type, reason)


def backoff_seconds(receive_count: int, rng: Callable[[], float] = random.random) -> int:
    """30 s, 60 s, 120 s ... capped at 15 minutes, each within +-20 %."""
    exponent = min(max(receive_count, 1) - 1, 16)
    base = min(BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_CAP_SECONDS)
    return _bounded(base * (1 - JITTER + 2 * JITTER * rng()))


def _bounded(seconds: float) -> int:
    return max(0, min(math.ceil(round(seconds, 6)), MAX_VISIBILITY_SECONDS))
