"""Builds the zenpy client from settings and the token in Secrets Manager, once per token."""

from __future__ import annotations

import functools
from typing import Any

from connect_zendesk.adapters.secrets import forget_zendesk_api_token, zendesk_api_token
from connect_zendesk.adapters.zendesk.session import BudgetedSession
from connect_zendesk.settings import Settings

DEFAULT_TIMEOUT_SECONDS = 10.0


def zenpy_client(settings: Settings) -> Any:
    token = zendesk_api_token(settings.zendesk_secret_arn)
    # A rotated token (new cache key) builds a new client; the old one ages out of the LRU.
    return _build(
        settings.zendesk_subdomain,
        settings.zendesk_domain,
        settings.zendesk_email,
        settings.zendesk_secret_arn,
        token,
    )


@functools.lru_cache(maxsize=2)
def _build(subdomain: str, domain: str, email: str, secret_id: str, token: str) -> Any:
    from zenpy import Zenpy  # noqa: PLC0415 - zenpy and requests cost ~150 ms: load them only when Zendesk is called

    session = BudgetedSession(
        DEFAULT_TIMEOUT_SECONDS, on_auth_failure=lambda: forget_zendesk_api_token(secret_id)
    )
    return Zenpy(
        subdomain=subdomain,
        domain=domain,
        email=email,
        token=token,
        session=session,
        timeout=DEFAULT_TIMEOUT_SECONDS,
        ratelimit_budget=0,  # belt and braces: zenpy must never sleep on a 429
        disable_cache=True,  # our own cache has TTLs; zenpy's object cache would serve stale users
    )


def reset_clients() -> None:
    _build.cache_clear()
