"""Tolerant parsing of Amazon Connect contact events (EventBridge `Amazon Connect Contact Event`).

Real events vary (CONTRACTS.md E): delivery is best effort and unordered, key casing differs between
AWS samples (`agentInfo`/`AgentInfo`, `eventType`/`EventType`), `channel` is "VOICE" or "Voice",
`queueInfo` is absent for outbound calls, `agentInfo` for abandoned ones, and a real DISCONNECTED
event may carry no timestamp at all. Placeholder timestamps (`1970-01-01T00:00:00.001Z`) mean "not
happened". Everything unusable becomes an empty value (an unusable contact id too: whether that
matters depends on the event type); only something that is not a contact event at all is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DETAIL_TYPE = "Amazon Connect Contact Event"
SOURCE = "aws.connect"
_CONTACT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}$")
_EARLIEST_REAL_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)  # earlier values are placeholders


class InvalidContactEvent(ValueError):
    error_type = "InvalidEvent"


@dataclass(frozen=True)
class ContactEvent:
    contact_id: str  # "" when missing or not a Connect contact id
    event_type: str = ""  # DISCONNECTED, CONNECTED_TO_AGENT, ... upper case; unknown types are kept
    channel: str = ""  # VOICE, CHAT, TASK, EMAIL (upper case), "" when absent
    instance_arn: str = ""
    initiation_method: str = ""
    initial_contact_id: str = ""
    previous_contact_id: str = ""
    initiated_at: datetime | None = None
    connected_to_system_at: datetime | None = None
    disconnected_at: datetime | None = None
    enqueued_at: datetime | None = None
    connected_to_agent_at: datetime | None = None
    queue_arn: str = ""
    agent_arn: str = ""
    event_id: str = ""
    event_time: datetime | None = None  # the envelope's `time`: when Connect emitted the event
    tags: Mapping[str, str] = field(default_factory=dict)
    # An agent took the contact: agent info with a real connection time, or with no time at all
    # (a placeholder time means the agent never connected).
    agent_connected: bool = False

    @property
    def conversation_id(self) -> str:
        """Transfers create new contacts that share the first one's id as `initialContactId`."""
        return self.initial_contact_id or self.contact_id

    @property
    def queue_id(self) -> str:
        return _resource_id(self.queue_arn, "queue")

    @property
    def agent_id(self) -> str:
        return _resource_id(self.agent_arn, "agent")

    @property
    def instance_id(self) -> str:
        return _resource_id(self.instance_arn, "instance") or str(self.tags.get("aws:connect:instanceId", ""))


def parse_contact_event(event: Any) -> ContactEvent:
    """An EventBridge envelope (or just its `detail`, as some AWS samples show it) to a ContactEvent."""
    if not isinstance(event, Mapping):
        raise InvalidContactEvent("contact event is not a JSON object")
    envelope = _Caseless(event)
    detail_value = envelope.get("detail")
    if isinstance(detail_value, Mapping):
        detail_type = _text(envelope.get("detail-type"))
        if detail_type and detail_type != DETAIL_TYPE:
            raise InvalidContactEvent(f"not a contact event: detail-type {detail_type!r}")
        detail = _Caseless(detail_value)
    elif envelope.get("contactId") is not None:
        detail, envelope = envelope, _Caseless({})
    else:
        raise InvalidContactEvent("contact event has no detail object")
    contact_id = _contact_id(detail.get("contactId"))  # "" when unusable: the caller decides
    queue = _Caseless(detail.get("queueInfo"))
    agent = _Caseless(detail.get("agentInfo"))
    raw_agent_time = agent.get("connectedToAgentTimestamp")
    agent_time = _timestamp(raw_agent_time)
    tags = detail.get("tags")
    agent_arn = _text(agent.get("agentArn"))
    return ContactEvent(
        contact_id=contact_id,
        event_type=_text(detail.get("eventType")).upper(),
        channel=_text(detail.get("channel")).upper(),
        instance_arn=_text(detail.get("instanceArn")),
        initiation_method=_text(detail.get("initiationMethod")).upper(),
        initial_contact_id=_contact_id(detail.get("initialContactId")),
        previous_contact_id=_contact_id(detail.get("previousContactId")),
        initiated_at=_timestamp(detail.get("initiationTimestamp")),
        connected_to_system_at=_timestamp(detail.get("connectedToSystemTimestamp")),
        disconnected_at=_timestamp(detail.get("disconnectTimestamp")),
        enqueued_at=_timestamp(queue.get("enqueueTimestamp")),
        connected_to_agent_at=agent_time,
        queue_arn=_text(queue.get("queueArn")),
        agent_arn=agent_arn,
        event_id=_text(envelope.get("id")),
        event_time=_timestamp(envelope.get("time")),
        tags={str(k): str(v) for k, v in tags.items() if isinstance(v, str)}
        if isinstance(tags, Mapping)
        else {},
        agent_connected=bool(agent_arn) and (agent_time is not None or raw_agent_time is None),
    )


class _Caseless:
    """Read access to a mapping by key, ignoring the key's case (AWS samples disagree on it)."""

    def __init__(self, value: Any) -> None:
        self._items = {str(k).lower(): v for k, v in value.items()} if isinstance(value, Mapping) else {}

    def get(self, key: str) -> Any:
        return self._items.get(key.lower())


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _contact_id(value: Any) -> str:
    text = _text(value)
    return text if _CONTACT_ID.match(text) else ""


def _timestamp(value: Any) -> datetime | None:
    """ISO-8601 text (or epoch milliseconds); placeholders and garbage are None."""
    moment: datetime | None = None
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if moment is None or moment < _EARLIEST_REAL_TIMESTAMP:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # "9999-12-31T23:59:59-01:00" is past the last representable instant
        return None


def _resource_id(arn: str, kind: str) -> str:
    """The id after `/<kind>/` in a Connect ARN ("" for placeholders such as "arn")."""
    marker = f"/{kind}/"
    if marker not in arn:
        return ""
    return arn.split(marker, 1)[1].split("/", 1)[0]
