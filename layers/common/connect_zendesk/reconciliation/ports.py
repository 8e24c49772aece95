"""What the sweep needs from Amazon Connect, the Contacts table and the post-call queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from connect_zendesk.errors import ServiceError


class ContactNotFound(ServiceError):
    """Connect does not know the contact (ResourceNotFoundException), e.g. older than 24 months."""

    error_type = "ContactNotFound"


class ConnectThrottled(ServiceError):
    """Connect answered ThrottlingException after the client's retries: stop the run, resume later."""

    error_type = "ConnectThrottled"


@dataclass(frozen=True)
class ConnectContact:
    """The parts of DescribeContact's `Contact` a DISCONNECTED event carries."""

    contact_id: str
    arn: str = ""
    channel: str = ""  # VOICE, CHAT, TASK, EMAIL
    initiation_method: str = ""
    initial_contact_id: str = ""
    previous_contact_id: str = ""
    initiated_at: datetime | None = None
    connected_to_system_at: datetime | None = None
    disconnected_at: datetime | None = None  # None while the contact is live
    agent_id: str = ""
    connected_to_agent_at: datetime | None = None
    queue_id: str = ""
    enqueued_at: datetime | None = None
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True)
class PendingContact:
    """One entry of the pending index: a contact the flow functions recorded."""

    contact_id: str
    updated_at: str  # the index's sort key (ISO-8601 UTC, milliseconds)
    instance_arn: str = ""
    post_call_status: str = ""  # set once post_call_update worked on it
    outcome: str = ""  # set by post_call_update when the real event arrived
    resends: int = 0  # reconciled messages already sent for it


@dataclass(frozen=True)
class Cursor:
    """Where the last run stopped: the index position after which the next one starts."""

    updated_at: str = ""
    contact_ids: tuple[str, ...] = ()  # those at exactly `updated_at` already examined

    @property
    def at_start(self) -> bool:
        return not self.updated_at


class ConnectContacts(Protocol):
    def describe(self, instance_arn: str, contact_id: str) -> ConnectContact: ...


class PendingContacts(Protocol):
    def pending(self, after: Cursor, until: str, limit: int) -> list[PendingContact]:
        """Pending contacts by last activity, oldest first, from the cursor (inclusive) to `until`."""
        ...

    def cursor(self) -> Cursor: ...

    def save_cursor(self, cursor: Cursor) -> None: ...

    def mark_sent(self, contact_id: str, resends: int) -> None:
        """Record the send; it also moves the contact's last activity to now (next look: a grace later)."""
        ...

    def close(self, contact_id: str, reason: str) -> None:
        """Take the contact out of the index, keeping why on its record."""
        ...


class PostCallSender(Protocol):
    def send(self, event: Mapping[str, Any]) -> None: ...
