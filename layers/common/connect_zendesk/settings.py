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
from typing import TypedDict

from connect_zendesk.business_hours import BusinessHours, InvalidBusinessHours

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGION = re.compile(r"^[A-Z]{2}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
_TRUE, _FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off"})
_TAG = re.compile(r"^[a-z0-9][a-z0-9_:./-]{0,79}$")
_ACCESS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~/-]*)?$")


class ConfigurationError(ValueError):
    """The function's environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True)
class CacheTtls:
    caller_seconds: int = 3600
    caller_not_found_seconds: int = 300
    tickets_seconds: int = 60


@dataclass(frozen=True)
class CallbackPolicy:
    """When callbacks can be booked: opening hours cut into slots, and how many callers per slot."""

    hours: BusinessHours = field(default_factory=BusinessHours)
    capacity: int = 2
    max_days_ahead: int = 14
    min_lead_minutes: int = 15


@dataclass(frozen=True)
class SmsSettings:
    enabled: bool = True
    sender_id: str = ""  # alphanumeric sender ID where the destination country allows one
    origination_number: str = ""  # E.164 number (toll-free, 10DLC, short code) SNS sends from


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
    # ---- agent side panel (issue 4)
    transcripts_table: str = ""
    connections_table: str = ""
    transcript_retention_days: int = 90
    panel_socket_endpoint: str = ""  # the WebSocket API's ApiEndpoint (wss://...)
    panel_socket_stage: str = ""
    panel_token_secret_arn: str = ""
    zendesk_app_secret_arn: str = ""
    panel_token_ttl_seconds: int = 300
    sentiment_backend: str = "comprehend"
    negative_alert_streak: int = 3
    supervisor_alert_topic_arn: str = ""
    zendesk_app_issuer: str = ""  # the `iss` the Zendesk app signs: https://<subdomain>.zendesk.com
    # ---- KVS audio path (issue 7)
    kvs: KvsSettings = field(default_factory=lambda: KvsSettings())  # noqa: PLW0108 - defined below
    # ---- self-service bot (lex_fulfillment)
    self_service_table: str = ""
    lex_time_budget_seconds: float = 4.0
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    order_reschedule_max_days: int = 30
    sms: SmsSettings = field(default_factory=SmsSettings)
    max_bot_fallbacks: int = 2
    self_service_retention_days: int = 30
    post_call: PostCallSettings = field(default_factory=lambda: PostCallSettings())  # noqa: PLW0108 - defined below
    metering: MeteringSettings = field(default_factory=lambda: MeteringSettings())  # noqa: PLW0108 - defined below
    reconciliation: ReconcileSettings = field(default_factory=lambda: ReconcileSettings())  # noqa: PLW0108 - defined below
    agent_connected: AgentConnectedSettings = field(default_factory=lambda: AgentConnectedSettings())  # noqa: PLW0108 - defined below

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
            transcripts_table=env.get("TRANSCRIPTS_TABLE", "").strip(),
            connections_table=env.get("CONNECTIONS_TABLE", "").strip(),
            transcript_retention_days=_int(env, "TRANSCRIPT_RETENTION_DAYS", 90, low=1, high=3650),
            panel_socket_endpoint=env.get("PANEL_SOCKET_ENDPOINT", "").strip(),
            panel_socket_stage=env.get("PANEL_SOCKET_STAGE", "").strip(),
            panel_token_secret_arn=env.get("PANEL_TOKEN_SECRET_ARN", "").strip(),
            zendesk_app_secret_arn=env.get("ZENDESK_APP_SECRET_ARN", "").strip(),
            panel_token_ttl_seconds=_int(env, "PANEL_ACCESS_TTL_SECONDS", 300, low=60, high=3600),
            sentiment_backend=env.get("SENTIMENT_BACKEND", "comprehend").strip().lower() or "comprehend",
            negative_alert_streak=_int(env, "NEGATIVE_SENTIMENT_ALERT_STREAK", 3, low=1, high=20),
            supervisor_alert_topic_arn=env.get("SUPERVISOR_ALERT_TOPIC_ARN", "").strip(),
            zendesk_app_issuer=env.get("ZENDESK_APP_ISSUER", "").strip().rstrip("/"),
            kvs=KvsSettings.from_env(env),
            **_self_service(env),
            post_call=PostCallSettings.from_env(env),
            metering=MeteringSettings.from_env(env),
            reconciliation=ReconcileSettings.from_env(env),
            agent_connected=AgentConnectedSettings.from_env(env),
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
        if self.sentiment_backend not in {"comprehend", "local"}:
            raise ConfigurationError("SENTIMENT_BACKEND must be 'comprehend' or 'local'")
        if self.zendesk_app_issuer and not self.zendesk_app_issuer.startswith("https://"):
            raise ConfigurationError("ZENDESK_APP_ISSUER must be https://<subdomain>.zendesk.com")
        if self.panel_socket_endpoint and not self.panel_socket_endpoint.startswith(("wss://", "ws://")):
            raise ConfigurationError("PANEL_SOCKET_ENDPOINT must be the WebSocket API endpoint (wss://...)")


class _SelfServiceFields(TypedDict):
    self_service_table: str
    lex_time_budget_seconds: float
    callbacks: CallbackPolicy
    order_reschedule_max_days: int
    sms: SmsSettings
    max_bot_fallbacks: int
    self_service_retention_days: int


def _self_service(env: Mapping[str, str]) -> _SelfServiceFields:
    """The self-service bot's settings: callback hours and capacity, orders, SMS, its time budget."""
    try:
        hours = BusinessHours.parse(
            env.get("CALLBACK_BUSINESS_HOURS", "").strip() or "Mon-Fri 09:00-17:00",
            env.get("CALLBACK_TIME_ZONE", "").strip() or "America/New_York",
            _int(env, "CALLBACK_SLOT_MINUTES", 30, low=5, high=240),
        )
    except InvalidBusinessHours as exc:
        raise ConfigurationError(f"CALLBACK_BUSINESS_HOURS / CALLBACK_TIME_ZONE: {exc}") from None
    sender_id = env.get("SMS_SENDER_ID", "").strip()
    if sender_id and not _SENDER_ID.match(sender_id):
        raise ConfigurationError("SMS_SENDER_ID must be 1-11 letters and digits, with at least one letter")
    origination = env.get("SMS_ORIGINATION_NUMBER", "").strip()
    if origination and not _E164.match(origination):
        raise ConfigurationError("SMS_ORIGINATION_NUMBER must be an E.164 number such as +18005550100")
    return {
        "self_service_table": env.get("SELF_SERVICE_TABLE", "").strip(),
        "lex_time_budget_seconds": _int(env, "LEX_TIME_BUDGET_MS", 4000, low=500, high=7000) / 1000,
        "callbacks": CallbackPolicy(
            hours=hours,
            capacity=_int(env, "CALLBACK_SLOT_CAPACITY", 2, low=1, high=1000),
            max_days_ahead=_int(env, "CALLBACK_MAX_DAYS_AHEAD", 14, low=1, high=90),
            min_lead_minutes=_int(env, "CALLBACK_MIN_LEAD_MINUTES", 15, low=0, high=1440),
        ),
        "order_reschedule_max_days": _int(env, "ORDER_RESCHEDULE_MAX_DAYS", 30, low=1, high=365),
        "sms": SmsSettings(
            enabled=_bool(env, "SMS_ENABLED", default=True),
            sender_id=sender_id,
            origination_number=origination,
        ),
        "max_bot_fallbacks": _int(env, "MAX_BOT_FALLBACKS", 2, low=1, high=5),
        "self_service_retention_days": _int(env, "SELF_SERVICE_RETENTION_DAYS", 30, low=1, high=3650),
    }


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE | _FALSE:
        raise ConfigurationError(f"{name} must be true or false, got {raw!r}")
    return raw in _TRUE


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


@dataclass(frozen=True)
class ReconcileSettings:
    """The reconciliation sweep for contacts whose DISCONNECTED event never arrived (issue 20)."""

    connect_instance_arn: str = ""  # the instance to ask when a contact's record names none
    grace_minutes: int = 30  # after a contact's last activity (and after its end) before it is looked at
    max_contacts_per_run: int = 100  # DescribeContact calls per run (Connect API quotas are per account)
    max_resends: int = 3  # reconciled messages per contact before it is closed as unreconcilable

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReconcileSettings:
        settings = cls(
            connect_instance_arn=env.get("CONNECT_INSTANCE_ARN", "").strip(),
            grace_minutes=_int(env, "RECONCILE_GRACE_MINUTES", 30, low=5, high=24 * 60),
            max_contacts_per_run=_int(env, "RECONCILE_MAX_CONTACTS_PER_RUN", 100, low=1, high=5000),
            max_resends=_int(env, "RECONCILE_MAX_RESENDS", 3, low=1, high=20),
        )
        if settings.connect_instance_arn and not _CONNECT_INSTANCE.match(settings.connect_instance_arn):
            raise ConfigurationError("CONNECT_INSTANCE_ARN must be an Amazon Connect instance ARN")
        return settings


_CONNECT_INSTANCE = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[0-9a-f-]{36}$")
SCREEN_POP_TARGETS = ("ticket", "user", "off")


@dataclass(frozen=True)
class AgentConnectedSettings:
    """agent_connected: its queue, the ticket field for the contact id, the screen pop, the agent cache."""

    queue_url: str = ""
    dead_letter_queue_url: str = ""
    max_receives: int = 5  # a connect-time step is useless after a few minutes: give up early
    connect_instance_id: str = ""
    contact_id_field_id: int = 0  # 0: no custom field is written
    contact_tag_prefix: str = "connect_contact_"  # the tag is the prefix + the contact id
    screen_pop: str = "ticket"  # ticket | user | off (Talk Partner Edition display API)
    agent_cache_seconds: int = 3600
    agent_not_found_cache_seconds: int = 300
    supervisor_group_ids: tuple[int, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AgentConnectedSettings:
        settings = cls(
            queue_url=env.get("AGENT_CONNECTED_QUEUE_URL", "").strip(),
            dead_letter_queue_url=env.get("AGENT_CONNECTED_DLQ_URL", "").strip(),
            max_receives=_int(env, "AGENT_CONNECTED_MAX_RECEIVES", 5, low=2, high=100),
            connect_instance_id=env.get("CONNECT_INSTANCE_ID", "").strip(),
            contact_id_field_id=_int(env, "CONTACT_ID_TICKET_FIELD_ID", 0, low=0, high=2**53),
            contact_tag_prefix=env.get("CONTACT_ID_TAG_PREFIX", "connect_contact_").strip().lower(),
            screen_pop=env.get("SCREEN_POP", "ticket").strip().lower() or "ticket",
            agent_cache_seconds=_int(env, "AGENT_MAPPING_TTL_SECONDS", 3600, low=0, high=7 * 86400),
            agent_not_found_cache_seconds=_int(env, "AGENT_NOT_FOUND_TTL_SECONDS", 300, low=0, high=86400),
            supervisor_group_ids=_group_ids(env.get("PANEL_SUPERVISOR_GROUP_IDS", "")),
        )
        if settings.screen_pop not in SCREEN_POP_TARGETS:
            raise ConfigurationError(f"SCREEN_POP must be one of {', '.join(SCREEN_POP_TARGETS)}")
        if settings.contact_tag_prefix and not _TAG.match(settings.contact_tag_prefix + "x"):
            raise ConfigurationError("CONTACT_ID_TAG_PREFIX must make valid Zendesk tags (lower case)")
        return settings


def _group_ids(raw: str) -> tuple[int, ...]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if any(not (part.isascii() and part.isdigit() and len(part) <= 16) for part in parts):
        raise ConfigurationError("PANEL_SUPERVISOR_GROUP_IDS must be Zendesk group ids separated by commas")
    return tuple(dict.fromkeys(int(part) for part in parts))


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


_LANGUAGE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_VOCABULARY = re.compile(r"^[0-9A-Za-z._-]{1,200}$")
_PII_TYPES = re.compile(r"^(?:ALL|[A-Z_]+(?:,[A-Z_]+)*)?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_LOOPBACK = re.compile(r"^https?://(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::\d+)?(?:/|$)")


@dataclass(frozen=True)
class KvsSettings:
    """The KVS audio path (start_streaming, kvs_transcriber)."""

    transcriber_function: str = ""
    default_language: str = "en-US"
    vocabularies: tuple[tuple[str, str], ...] = ()  # (language, vocabulary name)
    pii_redaction: bool = False
    pii_entity_types: str = ""
    transcribe_backend: str = "aws"  # "scripted" replays a script; only with a loopback AWS_ENDPOINT_URL
    transcribe_script: str = ""
    recordings_bucket: str = ""
    recordings_prefix: str = "kvs-recordings/"
    max_invocation_seconds: int = 900
    continuation_margin_seconds: int = 45
    seam_window_seconds: int = 20
    idle_timeout_seconds: int = 30
    checkpoint_seconds: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KvsSettings:
        vocabularies: list[tuple[str, str]] = []
        for entry in env.get("TRANSCRIBE_VOCABULARIES", "").split(","):
            if not entry.strip():
                continue
            language, _, name = entry.strip().partition("=")
            if not (_LANGUAGE.match(language.strip()) and _VOCABULARY.match(name.strip())):
                raise ConfigurationError(
                    "TRANSCRIBE_VOCABULARIES must read like en-US=my-vocabulary,ja-JP=other"
                )
            vocabularies.append((language.strip(), name.strip()))
        backend = env.get("TRANSCRIBE_BACKEND", "").strip().lower() or "aws"
        settings = cls(
            transcriber_function=env.get("KVS_TRANSCRIBER_FUNCTION", "").strip(),
            default_language=env.get("TRANSCRIBE_DEFAULT_LANGUAGE", "").strip() or "en-US",
            vocabularies=tuple(vocabularies),
            pii_redaction=env.get("TRANSCRIBE_PII_REDACTION", "").strip().lower() in ("true", "1", "yes"),
            pii_entity_types=env.get("TRANSCRIBE_PII_ENTITY_TYPES", "").strip().upper(),
            transcribe_backend=backend,
            transcribe_script=env.get("TRANSCRIBE_SCRIPT", "").strip(),
            recordings_bucket=env.get("RECORDINGS_BUCKET", "").strip(),
            recordings_prefix=env.get("RECORDINGS_PREFIX", "").strip() or "kvs-recordings/",
            max_invocation_seconds=_int(env, "KVS_MAX_INVOCATION_SECONDS", 900, low=5, high=900),
            continuation_margin_seconds=_int(env, "KVS_CONTINUATION_MARGIN_SECONDS", 45, low=1, high=300),
            seam_window_seconds=_int(env, "KVS_SEAM_WINDOW_SECONDS", 20, low=0, high=300),
            idle_timeout_seconds=_int(env, "KVS_IDLE_TIMEOUT_SECONDS", 30, low=1, high=600),
            checkpoint_seconds=_int(env, "KVS_CHECKPOINT_SECONDS", 20, low=1, high=300),
        )
        if not _LANGUAGE.match(settings.default_language):
            raise ConfigurationError("TRANSCRIBE_DEFAULT_LANGUAGE must be a language code such as en-US")
        if not _PII_TYPES.match(settings.pii_entity_types.replace(" ", "")):
            raise ConfigurationError(
                "TRANSCRIBE_PII_ENTITY_TYPES must be a comma-separated list such as NAME,SSN"
            )
        if backend not in ("aws", "scripted"):
            raise ConfigurationError("TRANSCRIBE_BACKEND must be aws (or scripted on the local stack)")
        if backend == "scripted" and not _LOOPBACK.match(env.get("AWS_ENDPOINT_URL", "")):
            raise ConfigurationError(
                "TRANSCRIBE_BACKEND=scripted is for the local stack only (loopback AWS_ENDPOINT_URL)"
            )
        if settings.recordings_bucket and not _BUCKET.match(settings.recordings_bucket):
            raise ConfigurationError("RECORDINGS_BUCKET must be an S3 bucket name")
        if (
            settings.continuation_margin_seconds + settings.seam_window_seconds
            >= settings.max_invocation_seconds
        ):
            raise ConfigurationError(
                "KVS_CONTINUATION_MARGIN_SECONDS + KVS_SEAM_WINDOW_SECONDS must be below "
                "KVS_MAX_INVOCATION_SECONDS"
            )
        return settings


@cache
def get_settings(required: frozenset[str] = frozenset()) -> Settings:
    """Settings for this container, validated on first call (at cold start) and then reused."""
    return Settings.from_env(os.environ, required)
