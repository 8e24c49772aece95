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
    endpoint_client.cache_clear()


@functools.cache
def endpoint_client(service: str, endpoint_url: str, max_pool_connections: int = 10) -> Any:
    """A client for one endpoint URL, e.g. the WebSocket API's @connections management endpoint."""
    config = Config(
        connect_timeout=2,
        read_timeout=3,
        retries={"max_attempts": 2, "mode": "standard"},
        max_pool_connections=max_pool_connections,
    )
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, endpoint_url=endpoint_url, config=config
    )
