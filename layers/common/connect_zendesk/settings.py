"""One place for configuration: environment variables read and validated once per container.

Every function declares the variables it cannot work without; they are checked at cold start so a
misconfigured stack fails loudly in its first log line instead of half-way through a call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION = re.compile(r"^[A-Z]{2}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_:./-]{0,79}$")
_ACCESS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~/-]*)?$")
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


class ConfigurationError(ValueError):
    """The function's environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True)
class CacheTtls:
    caller_seconds: int = 3600
    caller_not_found_seconds: int = 300
    tickets_seconds: int = 60


@dataclass(frozen=True)
class Settings:
    environment: str = "dev"
    zendesk_subdomain: str = ""
    zendesk_domain: str = "zendesk.com"
    zendesk_email: str = ""
    zendesk_secret_arn: str = ""
    contacts_table: str = ""
    cache_table: str = ""
    default_phone_region: str = "US"
    cache_ttls: CacheTtls = field(default_factory=CacheTtls)
    flow_time_budget_seconds: float = 3.0
    contact_retention_days: int = 90
    post_call: PostCallSettings = field(default_factory=lambda: PostCallSettings())  # noqa: PLW0108 - defined below
    metering: MeteringSettings = field(default_factory=lambda: MeteringSettings())  # noqa: PLW0108 - defined below

    @classmethod
    def from_env(cls, env: Mapping[str, str], required: Iterable[str] = ()) -> Settings:
        missing = sorted(name for name in required if not env.get(name, "").strip())
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        settings = cls(
            environment=env.get("ENVIRONMENT", "dev").strip() or "dev",
            zendesk_subdomain=env.get("ZENDESK_SUBDOMAIN", "").strip().lower(),
            zendesk_domain=env.get("ZENDESK_DOMAIN", "zendesk.com").strip().lower() or "zendesk.com",
            zendesk_email=env.get("ZENDESK_EMAIL", "").strip(),
            zendesk_secret_arn=env.get("ZENDESK_SECRET_ARN", "").strip(),
            contacts_table=env.get("CONTACTS_TABLE", "").strip(),
            cache_table=env.get("CACHE_TABLE", "").strip(),
            default_phone_region=env.get("DEFAULT_PHONE_REGION", "US").strip().upper() or "US",
            cache_ttls=CacheTtls(
                caller_seconds=_int(env, "CALLER_CACHE_TTL_SECONDS", 3600, low=0, high=7 * 86400),
                caller_not_found_seconds=_int(env, "CALLER_NOT_FOUND_TTL_SECONDS", 300, low=0, high=86400),
                tickets_seconds=_int(env, "TICKET_CACHE_TTL_SECONDS", 60, low=0, high=86400),
            ),
            flow_time_budget_seconds=_int(env, "FLOW_TIME_BUDGET_MS", 3000, low=200, high=7000) / 1000,
            contact_retention_days=_int(env, "CONTACT_RETENTION_DAYS", 90, low=1, high=3650),
            post_call=PostCallSettings.from_env(env),
            metering=MeteringSettings.from_env(env),
        )
        settings._validate()
        return settings

    def _validate(self) -> None:
        if self.zendesk_subdomain and not _SUBDOMAIN.match(self.zendesk_subdomain):
            raise ConfigurationError("ZENDESK_SUBDOMAIN must be the bare subdomain, e.g. 'acme'")
        if not _DOMAIN.match(self.zendesk_domain):
            raise ConfigurationError("ZENDESK_DOMAIN must be a host name such as zendesk.com")
        if self.zendesk_email and not _EMAIL.match(self.zendesk_email):
            raise ConfigurationError("ZENDESK_EMAIL must be the API user's email address")
        if not _REGION.match(self.default_phone_region):
            raise ConfigurationError("DEFAULT_PHONE_REGION must be an ISO 3166 alpha-2 code such as US")
        if self.cache_ttls.caller_not_found_seconds > self.cache_ttls.caller_seconds:
            raise ConfigurationError("CALLER_NOT_FOUND_TTL_SECONDS must not exceed CALLER_CACHE_TTL_SECONDS")


@dataclass(frozen=True)
class PostCallSettings:
    """post_call_update: where the call's data lives, how the note looks, how delivery retries."""

    transcripts_table: str = ""  # empty: no transcript step is deployed; notes go without one
    idempotency_table: str = ""
    analytics_bucket: str = ""
    queue_url: str = ""
    dead_letter_queue_url: str = ""
    max_receives: int = 12  # the queue's maxReceiveCount: the last attempt moves the message to the DLQ
    settle_seconds: int = 600  # longest wait for a transcript (or recording) to be complete
    connect_access_url: str = ""  # https://<alias>.my.connect.aws, for the link to the contact
    recordings_bucket: str = ""
    recordings_prefix: str = ""
    attach_recording: bool = False
    recording_max_bytes: int = 20 * 1024 * 1024
    tags: tuple[str, ...] = ("connect_call",)
    sentiment_tag_prefix: str = "sentiment_"
    bot_resolved_tag: str = "bot_resolved"
    create_unknown_callers: bool = True
    note_max_chars: int = 20_000
    redact_pii: bool = False
    analyze_entities: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PostCallSettings:
        settings = cls(
            transcripts_table=env.get("TRANSCRIPTS_TABLE", "").strip(),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", "").strip(),
            analytics_bucket=env.get("ANALYTICS_BUCKET", "").strip(),
            queue_url=env.get("POST_CALL_QUEUE_URL", "").strip(),
            dead_letter_queue_url=env.get("POST_CALL_DLQ_URL", "").strip(),
            max_receives=_int(env, "POST_CALL_MAX_RECEIVES", 12, low=2, high=1000),
            settle_seconds=_int(env, "TRANSCRIPT_SETTLE_SECONDS", 600, low=0, high=43200),
            connect_access_url=env.get("CONNECT_ACCESS_URL", "").strip().rstrip("/"),
            recordings_bucket=env.get("RECORDINGS_BUCKET", "").strip(),
            recordings_prefix=env.get("RECORDINGS_PREFIX", "").strip().strip("/"),
            attach_recording=_bool(env, "ATTACH_RECORDING_AUDIO", default=False),
            recording_max_bytes=_int(env, "RECORDING_ATTACHMENT_MAX_MB", 20, low=1, high=50) * 1024 * 1024,
            tags=_tags(env, "POST_CALL_TAGS", ("connect_call",)),
            sentiment_tag_prefix=env.get("SENTIMENT_TAG_PREFIX", "sentiment_").strip().lower(),
            bot_resolved_tag=env.get("BOT_RESOLVED_TAG", "bot_resolved").strip().lower(),
            create_unknown_callers=_bool(env, "CREATE_END_USER_FOR_UNKNOWN_CALLER", default=True),
            note_max_chars=_int(env, "NOTE_MAX_CHARS", 20_000, low=2_000, high=60_000),
            redact_pii=_bool(env, "REDACT_TRANSCRIPT_PII", default=False),
            analyze_entities=_bool(env, "ANALYZE_ENTITIES", default=False),
        )
        if settings.connect_access_url and not _ACCESS_URL.match(settings.connect_access_url):
            raise ConfigurationError("CONNECT_ACCESS_URL must be https://<alias>.my.connect.aws or similar")
        if settings.sentiment_tag_prefix and not _TAG.match(settings.sentiment_tag_prefix + "negative"):
            raise ConfigurationError(
                "SENTIMENT_TAG_PREFIX must make valid Zendesk tags (lower case, no spaces)"
            )
        if settings.bot_resolved_tag and not _TAG.match(settings.bot_resolved_tag):
            raise ConfigurationError("BOT_RESOLVED_TAG must be a Zendesk tag (lower case, no spaces)")
        if settings.attach_recording and not settings.recordings_bucket:
            raise ConfigurationError("ATTACH_RECORDING_AUDIO needs RECORDINGS_BUCKET")
        return settings


@dataclass(frozen=True)
class MeteringSettings:
    """Automated-resolution metering: the pending-verdict table, the window, the ticket tag."""

    queue_table: str = ""
    window_hours: int = 72
    automated_tag: str = "automated_resolution"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MeteringSettings:
        settings = cls(
            queue_table=env.get("RESOLUTION_QUEUE_TABLE", "").strip(),
            window_hours=_int(env, "RESOLUTION_WINDOW_HOURS", 72, low=1, high=24 * 90),
            automated_tag=env.get("AUTOMATED_RESOLUTION_TAG", "automated_resolution").strip().lower(),
        )
        if settings.automated_tag and not _TAG.match(settings.automated_tag):
            raise ConfigurationError("AUTOMATED_RESOLUTION_TAG must be a Zendesk tag (lower case, no spaces)")
        return settings


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False if value else default
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _tags(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    tags = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    invalid = [tag for tag in tags if not _TAG.match(tag)]
    if invalid:
        raise ConfigurationError(f"{name} holds invalid Zendesk tags: {', '.join(invalid)}")
    return tags


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, got {value}")
    return value


@cache
def get_settings(required: frozenset[str] = frozenset()) -> Settings:
    """Settings for this container, validated on first call (at cold start) and then reused."""
    return Settings.from_env(os.environ, required)
