"""Unit-test doubles: an in-memory Zendesk directory that counts its calls, and sample users."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_zendesk.domain.models import TicketSummary, ZendeskUser
from connect_zendesk.kvs.errors import MediaNotFound
from connect_zendesk.kvs.ports import FinalSegment, PartialSegment, Progress
from connect_zendesk_local.kvs_fixtures import StreamFragment

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

JANE = ZendeskUser(id=1001, name="Jane Doe", phone="+14155552671", locale="en-US")
CARLOS = ZendeskUser(id=1002, name="Carlos Ruiz", phone="(415) 555-0134")
AGENT = ZendeskUser(id=9001, name="Alex Agent", phone="+1 646-555-2671", role="agent")


def ticket(
    ticket_id: int, requester: int, status: str = "open", hours_ago: float = 1, subject: str = ""
) -> TicketSummary:
    return TicketSummary(
        id=ticket_id,
        subject=subject or f"Ticket {ticket_id}",
        status=status,
        requester_id=requester,
        updated_at=NOW - timedelta(hours=hours_ago),
    )


class FakeZendesk:
    """ZendeskDirectory double: suffix search like Zendesk's `phone:*digits`, calls counted."""

    def __init__(
        self,
        users: list[ZendeskUser] | None = None,
        identities: dict[int, list[str]] | None = None,
        tickets: dict[int, list[TicketSummary]] | None = None,
    ) -> None:
        self.users = users or []
        self.identities = identities or {}
        self.tickets = tickets or {}
        self.calls: Counter[str] = Counter()
        self.fail_with: Exception | None = None
        self.block: threading.Event | None = None  # when set by a test, calls wait on it

    def _enter(self, name: str) -> None:
        self.calls[name] += 1
        if self.block is not None:
            self.block.wait(5)
        if self.fail_with is not None:
            raise self.fail_with

    def end_users_by_phone(self, national_digits: str) -> list[ZendeskUser]:
        self._enter("search")
        digits = lambda text: "".join(ch for ch in text if ch.isdigit())  # noqa: E731
        return [
            u
            for u in self.users
            if u.role == "end-user"
            and (
                digits(u.phone).endswith(national_digits)
                or any(digits(p).endswith(national_digits) for p in self.identities.get(u.id, []))
            )
        ]

    def phone_identities(self, user_id: int) -> list[str]:
        self._enter("identities")
        return list(self.identities.get(user_id, []))

    def requested_tickets(self, user_id: int) -> list[TicketSummary]:
        self._enter("tickets")
        return sorted(self.tickets.get(user_id, []), key=lambda t: t.updated_at, reverse=True)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


# ---------------------------------------------------------------------------- the KVS audio path
class RecordingInvoker:
    """AsyncInvoker double: records what would be queued; `fail_with` makes it raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: Exception | None = None
        self.fail_times: int | None = None  # with fail_with: fail this many times (None: every time)

    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        if self.fail_with is not None and (self.fail_times is None or self.fail_times > 0):
            if self.fail_times is not None:
                self.fail_times -= 1
            raise self.fail_with
        self.calls.append((function, payload))


class MemorySink:
    """TranscriptSink double keyed like the Transcripts table: a replayed segment is one item."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], FinalSegment] = {}
        self.writes = 0
        self.partials: list[PartialSegment] = []
        self.fail_next = 0

    def write_final(self, segments: Sequence[FinalSegment]) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("ProvisionedThroughputExceededException")
        self.writes += 1
        for segment in segments:
            self.items[(segment.contact_id, segment.position)] = segment

    def push_partial(self, contact_id: str, partial: PartialSegment) -> None:
        assert contact_id == partial.contact_id
        self.partials.append(partial)

    def transcript(self, contact_id: str) -> list[FinalSegment]:
        return [segment for (contact, _), segment in sorted(self.items.items()) if contact == contact_id]


class BytesStream:
    """MediaStream double over bytes, read in the sizes the reader asks for."""

    def __init__(self, data: bytes, *, fail_after: int | None = None) -> None:
        self._data = data
        self._position = 0
        self._fail_after = fail_after
        self.closed = False

    def read(self, size: int) -> bytes:
        if self.closed:
            raise ValueError("read from a closed stream")
        if self._fail_after is not None and self._position >= self._fail_after:
            raise ConnectionResetError("connection reset by peer")
        end = len(self._data) if self._fail_after is None else min(len(self._data), self._fail_after)
        chunk = self._data[self._position : min(self._position + size, end)]
        self._position += len(chunk)
        return chunk

    def close(self) -> None:
        self.closed = True


class FragmentMedia:
    """MediaSource double: GetMedia from a fragment number (inclusive) over a list of fragments."""

    def __init__(self, fragments: Sequence[StreamFragment], *, stream_arn: str = "") -> None:
        self.fragments = list(fragments)
        self.stream_arn = stream_arn
        self.opened: list[str] = []
        self.fail_open: list[Exception] = []  # raised by the next open() calls, in order
        self.cut_first_at: int | None = None  # the first stream drops after this many bytes

    def open(self, stream_arn: str, start_fragment_number: str) -> BytesStream:
        if self.stream_arn and stream_arn != self.stream_arn:
            raise MediaNotFound("ResourceNotFoundException")
        self.opened.append(start_fragment_number)
        if self.fail_open:
            raise self.fail_open.pop(0)
        numbers = [fragment.number for fragment in self.fragments]
        if start_fragment_number not in numbers:
            raise MediaNotFound("InvalidArgumentException: fragment not found")
        data = b"".join(fragment.data for fragment in self.fragments[numbers.index(start_fragment_number) :])
        cut, self.cut_first_at = self.cut_first_at, None
        return BytesStream(data, fail_after=cut)


class MemoryProgress:
    """TranscriptionProgress double with the DynamoDB adapter's conditions, on a settable clock."""

    def __init__(self, clock: Callable[[], float] = lambda: 1_700_000_000.0) -> None:
        self.clock = clock
        self.records: dict[str, dict[str, Any]] = {}
        self.checkpoints: list[tuple[str, str, int]] = []

    def claim(
        self, contact_id: str, run_id: str, owner: str, token: str, lease_seconds: float
    ) -> Progress | None:
        record = self.records.setdefault(contact_id, {})
        now = self.clock()
        if record.get("owner") and record.get("until", 0) >= now and record["owner"] != token:
            return None
        old_run, _, rest = str(record.get("checkpoint", "")).partition("#")
        fragment, _, sample = rest.partition("#")
        record.update(owner=owner, until=now + lease_seconds, status="STARTED")
        same = old_run == run_id
        return Progress(
            old_run,
            fragment if same else "",
            owner,
            now + lease_seconds,
            "STARTED",
            int(sample) if same and sample else 0,
        )

    def checkpoint(
        self,
        contact_id: str,
        *,
        owner: str,
        run_id: str,
        fragment_number: str,
        resume_at_sample: int,
        lease_seconds: float,
        handover: str = "",
    ) -> bool:
        record = self.records.setdefault(contact_id, {})
        if record.get("owner") != owner:
            return False
        record.update(owner=handover or owner, until=self.clock() + lease_seconds)
        if fragment_number:
            record["checkpoint"] = f"{run_id}#{fragment_number}#{resume_at_sample}"
            self.checkpoints.append((contact_id, fragment_number, resume_at_sample))
        return True

    def release(self, contact_id: str, owner: str, status: str) -> None:
        record = self.records.setdefault(contact_id, {})
        if record.get("owner") == owner:
            record.update(status=status, until=0)
