"""AWS-side faults and a faster clock for the chaos run, installed as botocore event hooks.

Nothing in the functions changes: the hooks sit in botocore's list of built-in handlers, which every
botocore session registers when it is made, so every client a function process creates afterwards
(its lazily made adapters' clients, Powertools' idempotency client) carries them.

- DynamoDB throttling: a share of DynamoDB HTTP attempts is answered 400
  ProvisionedThroughputExceededException or ThrottlingException, exactly as DynamoDB words them, at
  `before-send`: botocore's retry rules (the clients' own retry configuration) see them first, and
  what is left after the last attempt reaches the adapter as a ClientError.
- SQS time compression: a consumer's ChangeMessageVisibility delay (Retry-After, 30 s ... 15 min
  backoff, transcript settle polls) is capped at `max_visibility_seconds`, so a run that would take
  hours of backoff takes a minute. The consumer's decisions are unchanged; only the wait is shorter.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore import handlers
from botocore.awsrequest import AWSResponse, HTTPHeaders

THROTTLE_ERRORS = (
    (
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    (
        "com.amazon.coral.availability#ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    ),
)


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_kwargs: Any) -> list[bytes]:
        return [self._content]


@dataclass(frozen=True)
class AwsFaultConfig:
    dynamodb_throttle_ratio: float = 0.0
    max_visibility_seconds: int | None = None  # None: SQS delays as the consumer asked
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.dynamodb_throttle_ratio <= 1:
            raise ValueError("dynamodb_throttle_ratio must be between 0 and 1")
        if self.max_visibility_seconds is not None and self.max_visibility_seconds < 0:
            raise ValueError("max_visibility_seconds must not be negative")


class AwsFaults:
    """The installed hooks of one process and what they did (counts by operation)."""

    def __init__(self, config: AwsFaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self.throttled: Counter[str] = Counter()  # operation -> attempts answered with a throttle
        self.attempts: Counter[str] = Counter()  # operation -> DynamoDB attempts seen
        self.visibility_capped = 0
        self._handlers: list[tuple[str, Any]] = [
            ("before-send.dynamodb", self._maybe_throttle),
            ("before-parameter-build.sqs.ChangeMessageVisibility", self._cap_visibility),
        ]

    def install(self) -> AwsFaults:
        """Hook every botocore session made from now on (clients made before are not affected)."""
        handlers.BUILTIN_HANDLERS.extend(self._handlers)
        return self

    def uninstall(self) -> None:
        for entry in self._handlers:
            while entry in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(entry)

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {
                "dynamodb_attempts": dict(self.attempts),
                "dynamodb_throttled": dict(self.throttled),
                "visibility_capped": self.visibility_capped,
            }

    # ------------------------------------------------------------------ hooks
    def _maybe_throttle(self, request: Any, **_kwargs: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode("ascii", "replace")
        operation = str(target).rsplit(".", 1)[-1]  # DynamoDB_20120810.GetItem -> GetItem
        with self._lock:
            self.attempts[operation] += 1
            if self._rng.random() >= self.config.dynamodb_throttle_ratio:
                return None
            self.throttled[operation] += 1
            error_type, message = self._rng.choice(THROTTLE_ERRORS)
        body = json.dumps({"__type": error_type, "message": message}).encode()
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-RequestId"] = "chaos-throttle"
        return AWSResponse(request.url, 400, headers, _Body(body))

    def _cap_visibility(self, params: dict[str, Any], **_kwargs: Any) -> None:
        cap = self.config.max_visibility_seconds
        if cap is None:
            return
        requested = int(params.get("VisibilityTimeout", 0))
        if requested > cap:
            params["VisibilityTimeout"] = cap
            with self._lock:
                self.visibility_capped += 1
