"""Doubles and builders for the after-call tests: an in-memory Zendesk writer, a text analyzer, events."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_zendesk.adapters.sqs_queue import SqsMessageQueue
from connect_zendesk.domain.post_call_ports import (
    AnalysisUnavailable,
    NoteAttachment,
    TextSpan,
    TicketDraft,
    UnsupportedLanguage,
)
from connect_zendesk.errors import ZendeskConflict, ZendeskNotFound, ZendeskRejected, ZendeskTimeout

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
QUEUE_ARN = INSTANCE_ARN + "/queue/5c5b7e2a-0000-4000-8000-000000000001"
AGENT_ARN = INSTANCE_ARN + "/agent/9a1c0e7b-0000-4000-8000-000000000002"
JANE_ID = 1001  # FakeZendesk's Jane (unit_doubles)


class Crash(BaseException):
    """Stands in for the Lambda process dying (timeout, out of memory): no `except Exception` sees it."""


@dataclass
class FakeTicket:
    id: int
    requester_id: int
    subject: str = ""
    status: str = "open"
    external_id: str | None = None
    via: str = "web"
    tags: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0  # stands in for updated_at: every applied update moves it


@dataclass
class _HeldWrite:
    apply: Callable[[], bool]

    def land(self) -> bool:
        return self.apply()


class _SafeNote:
    """A note PUT with safe_update: applied only if the ticket is still at the stamp it carries."""

    def __init__(
        self, owner: FakeZendeskTickets, ticket_id: int, stamp: int, comment: dict[str, Any], tags: list[str]
    ) -> None:
        self._owner, self._ticket_id, self._stamp = owner, ticket_id, stamp
        self._comment, self._tags = comment, tags

    def land(self) -> bool:
        ticket = self._owner.tickets[self._ticket_id]
        if ticket.version != self._stamp:
            self._owner.calls["safe_update_refused"] += 1
            return False
        ticket.comments.append(self._comment)
        ticket.tags = list(dict.fromkeys([*ticket.tags, *self._tags]))
        ticket.version += 1
        return True


class FakeZendeskTickets:
    """ZendeskTickets double: tickets in memory, calls counted, failures and crashes on demand."""

    def __init__(self, tickets: Sequence[FakeTicket] = ()) -> None:
        self.tickets = {t.id: t for t in tickets}
        self.users: dict[int, dict[str, str]] = {}
        self.uploads: dict[str, list[NoteAttachment]] = {}
        self.calls: Counter[str] = Counter()
        self.fail: dict[str, list[BaseException]] = {}  # operation -> errors raised on its next calls
        self.crash_after: set[str] = set()  # operations that succeed, then "kill the process"
        # operation -> how many of its next writes Zendesk holds past the client's timeout and
        # applies only at land_late_writes() (a late commit)
        self.late: dict[str, int] = {}
        self.held: list[_HeldWrite | _SafeNote] = []
        self.idempotency: dict[str, int] = {}  # Idempotency-Key -> ticket id (0 while in progress)
        self.after_look: Callable[[], object] = lambda: None  # e.g. land_late_writes: "lands right after"
        self._next_id = 5000

    def _enter(self, operation: str) -> None:
        self.calls[operation] += 1
        pending = self.fail.get(operation)
        if pending:
            raise pending.pop(0)

    def _leave(self, operation: str) -> None:
        if operation in self.crash_after:
            self.crash_after.discard(operation)
            raise Crash(f"process died right after {operation}")

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

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
        """Like the adapter: stamp first, then the look, then a PUT Zendesk refuses if the stamp is stale."""
        look = look_first
        for _ in range(3):
            ticket = self._ticket(ticket_id)
            stamp = ticket.version
            if look and self.has_comment_containing(ticket_id, marker):
                return False
            self._enter("add_internal_note_once")
            if ticket.status == "closed":
                raise ZendeskRejected(f"PUT /api/v2/tickets/{ticket_id}.json answered 422: RecordInvalid")
            tokens = list(upload_tokens())
            late = self._hold("add_internal_note_once")
            write = _SafeNote(self, ticket_id, stamp, self._comment(body, tokens), list(tags))
            if late:
                self.held.append(write)
                raise ZendeskTimeout(f"PUT /api/v2/tickets/{ticket_id}.json timed out")
            if not write.land():
                look = True
                continue
            self._leave("add_internal_note_once")
            return True
        raise ZendeskConflict("the ticket kept changing")

    def create_ticket(self, draft: TicketDraft) -> int:
        self._enter("create_ticket")
        earlier = self.idempotency.get(draft.external_id)
        if earlier == 0:
            raise ZendeskConflict("POST /api/v2/tickets.json answered 409: IdempotentRequestInProgress")
        if earlier:
            return earlier
        late = self._hold("create_ticket")
        self.idempotency[draft.external_id] = 0  # in progress
        ticket = FakeTicket(
            id=self._id(),
            requester_id=draft.requester_id,
            subject=draft.subject,
            status="new",
            external_id=draft.external_id,
            via=draft.channel,
            tags=list(draft.tags),
            comments=[self._comment(draft.note, draft.upload_tokens)],
        )

        def land() -> bool:
            self.tickets[ticket.id] = ticket
            self.idempotency[draft.external_id] = ticket.id
            return True

        if late:
            self.held.append(_HeldWrite(land))
            raise ZendeskTimeout("POST /api/v2/tickets.json timed out")
        land()
        self._leave("create_ticket")
        return ticket.id

    def has_comment_containing(self, ticket_id: int, marker: str) -> bool:
        self._enter("has_comment_containing")
        ticket = self._ticket(ticket_id)
        found = any(marker in c["body"] for c in ticket.comments[-100:])
        self.after_look()
        return found

    def land_late_writes(self) -> list[bool]:
        """Zendesk applies the held writes now; True for each it applied, False for each it refused."""
        landed = [write.land() for write in self.held]
        self.held.clear()
        return landed

    def _hold(self, operation: str) -> bool:
        if self.late.get(operation, 0) > 0:
            self.late[operation] -= 1
            return True
        return False

    def _ticket(self, ticket_id: int) -> FakeTicket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise ZendeskNotFound(f"GET /api/v2/tickets/{ticket_id}.json answered 404")
        return ticket

    def tickets_with_external_id(self, external_id: str) -> list[int]:
        self._enter("tickets_with_external_id")
        return [t.id for t in self.tickets.values() if t.external_id == external_id]

    def upload(self, attachment: NoteAttachment, token: str | None = None) -> str:
        self._enter("upload")
        token = token or uuid.uuid4().hex
        self.uploads.setdefault(token, []).append(attachment)
        return token

    def create_end_user(self, name: str, phone_e164: str) -> int:
        self._enter("create_end_user")
        user_id = self._id()
        self.users[user_id] = {"name": name, "phone": phone_e164}
        self._leave("create_end_user")
        return user_id

    def add_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        self._enter("add_tags")
        ticket = self.tickets[ticket_id]
        ticket.tags = list(dict.fromkeys([*ticket.tags, *tags]))

    def _comment(self, body: str, tokens: Sequence[str]) -> dict[str, Any]:
        files = [a for token in tokens for a in self.uploads.get(token, [])]
        return {"body": body, "public": False, "attachments": files}

    def notes(self, ticket_id: int) -> list[str]:
        return [c["body"] for c in self.tickets[ticket_id].comments]

    @property
    def writes(self) -> int:
        return self.calls["add_internal_note_once"] + self.calls["create_ticket"]


class FakeTextAnalyzer:
    """TextAnalyzer double: finds names it knows, e-mail addresses and digit runs, like Comprehend would."""

    NAMES = ("Jane Doe", "Jane")

    def __init__(self, *, unsupported: Sequence[str] = ("ja", "ko", "zh"), fail: bool = False) -> None:
        self.unsupported = tuple(unsupported)
        self.fail = fail
        self.calls: Counter[str] = Counter()

    def detect_pii(self, text: str, language: str) -> list[TextSpan]:
        self.calls["detect_pii"] += 1
        if self.fail:
            raise AnalysisUnavailable("Comprehend DetectPiiEntities failed: ThrottlingException")
        if language.split("-", maxsplit=1)[0] in self.unsupported:
            raise UnsupportedLanguage(f"Comprehend PII detection does not support {language}")
        spans = []
        for pattern, kind in ((r"[\w.+-]+@[\w-]+\.[\w.]+", "EMAIL"), (r"\+?\d[\d -]{6,}\d", "PHONE")):
            spans += [TextSpan(kind, 0.99, m.start(), m.end()) for m in re.finditer(pattern, text)]
        for name in self.NAMES:
            spans += [
                TextSpan("NAME", 0.98, m.start(), m.end())
                for m in re.finditer(re.escape(name), text)
                if not any(s.begin <= m.start() < s.end for s in spans)
            ]
        return spans

    def detect_entities(self, text: str, language: str) -> list[tuple[TextSpan, str]]:
        self.calls["detect_entities"] += 1
        found = []
        for word, kind in (("printer", "COMMERCIAL_ITEM"), ("Seattle", "LOCATION")):
            found += [(TextSpan(kind, 0.9, m.start(), m.end()), m.group(0)) for m in re.finditer(word, text)]
        return found


class RecordingQueue(SqsMessageQueue):
    """The real SQS adapter, recording every delay; `fast` makes delayed messages visible again at once."""

    def __init__(self, queue_url: str, dead_letter_queue_url: str, *, fast: bool = True) -> None:
        super().__init__(queue_url, dead_letter_queue_url)
        self.delays: list[int] = []
        self.dead_letters: list[dict[str, str]] = []
        self.fast = fast

    def delay(self, receipt_handle: str, seconds: int) -> None:
        self.delays.append(seconds)
        super().delay(receipt_handle, 0 if self.fast else seconds)

    def dead_letter(self, body: str, attributes: Any) -> None:
        self.dead_letters.append(dict(attributes))
        super().dead_letter(body, attributes)


# ------------------------------------------------------------------------------------------ events
def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def contact_event(
    contact_id: str,
    *,
    event_type: str = "DISCONNECTED",
    channel: str = "VOICE",
    started: datetime | None = None,
    ended: datetime | None = None,
    agent: bool = False,
    queue: bool = True,
    initial_contact_id: str | None = None,
    instance_arn: str = INSTANCE_ARN,
    **detail: Any,
) -> dict[str, Any]:
    """An EventBridge envelope as Amazon Connect emits it (current documented shape)."""
    started = started or NOW - timedelta(minutes=7)
    ended = ended or NOW - timedelta(minutes=1)
    body: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact_id,
        "initialContactId": initial_contact_id or contact_id,
        "channel": channel,
        "instanceArn": instance_arn,
        "initiationMethod": "INBOUND",
        "initiationTimestamp": iso(started),
        "connectedToSystemTimestamp": iso(started + timedelta(seconds=2)),
        "disconnectTimestamp": iso(ended),
        "tags": {"aws:connect:instanceId": instance_arn.rsplit("/", 1)[-1]},
    }
    if queue:
        body["queueInfo"] = {"queueArn": QUEUE_ARN, "queueType": "STANDARD", "enqueueTimestamp": iso(started)}
    if agent:
        body["agentInfo"] = {
            "agentArn": AGENT_ARN,
            "connectedToAgentTimestamp": iso(started + timedelta(minutes=1)),
        }
    body.update(detail)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "123456789012",
        "time": iso(ended),
        "region": "us-east-1",
        "resources": [instance_arn, f"{instance_arn}/contact/{contact_id}"],
        "detail": body,
    }


def sqs_event(*bodies: Any, receive_count: int = 1) -> dict[str, Any]:
    """A Lambda SQS batch with fake receipt handles (for tests that never touch the queue)."""
    return {
        "Records": [
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": str(int(NOW.timestamp() * 1000)),
                },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:post-call",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def transcript_items(
    contact_id: str, lines: Sequence[tuple[str, str, str]], *, step_ms: int = 4000
) -> list[dict[str, Any]]:
    """Transcripts table items (data-model.md) for (speaker, sentiment, text) lines."""
    items = []
    for index, (speaker, sentiment, text) in enumerate(lines):
        begin = 5000 + index * step_ms
        item: dict[str, Any] = {
            "contactId": contact_id,
            "position": f"{begin:010d}#seg-{index}",
            "segmentId": f"seg-{index}",
            "speaker": speaker,
            "text": text,
            "beginOffsetMs": begin,
            "endOffsetMs": begin + step_ms - 500,
            "language": "en-US",
            "source": "contact_lens",
        }
        if sentiment:
            item["sentiment"] = sentiment
            item["sentimentSource"] = "contact_lens"
        items.append(item)
    return items
