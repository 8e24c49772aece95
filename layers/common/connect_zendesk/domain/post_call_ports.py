"""What the after-call steps need from the outside world; adapters implement these, tests fake them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connect_zendesk.domain.call_record import PostCallState, TranscriptSegment
from connect_zendesk.errors import AnalysisUnavailable, ServiceError

__all__ = ["AnalysisUnavailable"]  # re-exported: the post-call code names it with its other ports


class UnsupportedLanguage(ServiceError):
    """The analysis is not available for this language (Comprehend PII detection: en and es only)."""

    error_type = "UnsupportedLanguage"


@dataclass(frozen=True)
class NoteAttachment:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class TicketDraft:
    requester_id: int
    subject: str
    note: str
    tags: Sequence[str]
    external_id: str
    channel: str  # Zendesk via channel: "voice" for calls
    upload_tokens: Sequence[str] = ()


@dataclass(frozen=True)
class TextSpan:
    """Comprehend-shaped: an entity or PII span in a text, offsets in characters."""

    type: str
    score: float
    begin: int
    end: int


@dataclass(frozen=True)
class Recording:
    key: str
    size: int


@dataclass(frozen=True)
class PendingResolution:
    conversation_id: str
    due_at: datetime
    contact_ids: tuple[str, ...]
    caller_e164: str = ""
    first_contact_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ZendeskTickets(Protocol):
    """The Zendesk writes the after-call steps make."""

    def add_internal_note_once(
        self,
        ticket_id: int,
        body: str,
        *,
        marker: str,
        tags: Sequence[str],
        upload_tokens: Callable[[], Sequence[str]] = tuple,
        look_first: bool = True,
    ) -> bool:
        """Add the note unless a comment containing `marker` is there (False then), such that a
        write Zendesk applies late (after the client gave up on it) can never make a second one.
        `upload_tokens` is called only when the note is about to be written."""
        ...

    def create_ticket(self, draft: TicketDraft) -> int:
        """Create the ticket once per `draft.external_id`, even when an earlier request lands late."""
        ...

    def has_comment_containing(self, ticket_id: int, marker: str) -> bool:
        """Whether one of the ticket's newest comments contains `marker`."""
        ...

    def tickets_with_external_id(self, external_id: str) -> list[int]: ...

    def upload(self, attachment: NoteAttachment, token: str | None = None) -> str:
        """Upload a file; returns the upload token to reference in a comment."""
        ...

    def create_end_user(self, name: str, phone_e164: str) -> int: ...

    def add_tags(self, ticket_id: int, tags: Sequence[str]) -> None: ...


class CallRecords(Protocol):
    """The Contacts table, for the after-call steps (reads anything, writes only their attributes)."""

    def get(self, contact_id: str) -> dict[str, Any] | None: ...

    def record_call_end(
        self,
        contact_id: str,
        *,
        initial_contact_id: str,
        disconnected_at: datetime | None,
        agent_connected: bool,
        outcome: str,
    ) -> None: ...

    def record_post_call(self, contact_id: str, state: PostCallState) -> None: ...

    def record_agent_leg(self, contact_id: str, leg: Mapping[str, Any]) -> None:
        """Set `agentLeg` (agent_connected: the leg's ticket, Zendesk agent, pop result)."""
        ...

    def record_desk_action(self, contact_id: str, attribute: str, value: Any) -> None:
        """Set `outboundLink` or `recordingPauses` (the top bar's authenticated actions)."""
        ...

    def record_resolution(self, contact_id: str, resolution: Mapping[str, str]) -> bool:
        """Set `resolution` unless it is already set; True when this call set it."""
        ...

    def contacts_by_caller(self, caller_e164: str, after: datetime, until: datetime) -> list[dict[str, Any]]:
        """Contacts of this caller created in (after, until], oldest first (the ByCaller index)."""
        ...


class TranscriptReader(Protocol):
    def segments(self, contact_id: str) -> list[TranscriptSegment]: ...


class AnalyticsStore(Protocol):
    def put(self, key: str, document: Mapping[str, Any]) -> None: ...

    def get(self, key: str) -> dict[str, Any] | None: ...


class RecordingStore(Protocol):
    def find(self, contact_id: str, days: Sequence[datetime]) -> Recording | None: ...

    def read(self, recording: Recording) -> bytes: ...


class TextAnalyzer(Protocol):
    def detect_pii(self, text: str, language: str) -> list[TextSpan]: ...

    def detect_entities(self, text: str, language: str) -> list[tuple[TextSpan, str]]:
        """(span, entity text) pairs."""
        ...


class IdempotentRunner(Protocol):
    def run(self, key: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run `work` once per key; a repeat returns the first run's result (with `"replayed": True`)."""
        ...


class ResolutionQueue(Protocol):
    def enqueue(
        self, conversation_id: str, *, contact_id: str, caller_e164: str, ended_at: datetime, due_at: datetime
    ) -> None: ...

    def due(self, now: datetime) -> list[PendingResolution]: ...

    def remove(self, conversation_id: str) -> None: ...


class MessageQueue(Protocol):
    """The SQS queue the current message came from."""

    def delay(self, receipt_handle: str, seconds: int) -> None: ...

    def dead_letter(self, body: str, attributes: Mapping[str, str]) -> None: ...
