"""boto3 clients, made on first use and reused by the container.

Two latency profiles: `interactive` for callers that wait (a contact flow's 8 s), `batch` for
queue and stream consumers that can afford patience.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import boto3
from botocore.config import Config

Profile = Literal["interactive", "batch"]

_CONFIGS: dict[Profile, Config] = {
    "interactive": Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
    "batch": Config(connect_timeout=3, read_timeout=15, retries={"max_attempts": 5, "mode": "standard"}),
}


@functools.cache
def aws_client(service: str, profile: Profile = "interactive") -> Any:
    # AWS_ENDPOINT_URL (honoured by botocore) points every client at the local stack.
    return boto3.session.Session().client(service, config=_CONFIGS[profile])  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests start a new moto backend per test)."""
    aws_client.cache_clear()
