"""Exactly one note when Zendesk commits a write after the client gave up on it (pure, no sockets).

`LateZendesk` is the Zendesk side of the writer's HTTP session in memory: tickets with `updated_at`,
the safe-update check (409 when the stamp is stale, checked when the write is *applied*), and
Idempotency-Key on ticket creation. A held write times out for the client and is applied only when
the test says so, so "the retry looks, then the late write lands" is forced, not hoped for.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from connect_zendesk.adapters.zendesk.ticket_writes import ZendeskTicketWriter
from connect_zendesk.domain.post_call_ports import TicketDraft
from connect_zendesk.errors import (
    ZendeskConflict,
    ZendeskIdempotencyMismatch,
    ZendeskNotFound,
    ZendeskTimeout,
)

TICKET = 1001
MARKER = "[connect-contact:c-1]"


@dataclass
class Answer:
    content: bytes


@dataclass
class HeldWrite:
    apply: Callable[[], None]


@dataclass
class LateZendesk:
    """Answers the writer's requests like Zendesk; `hold` makes the next N writes late commits."""

    clock: int = 1_000
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    hold: int = 0
    held: list[HeldWrite] = field(default_factory=list)
    refused: int = 0
    keys: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # key -> (body, ticket id)
    before_write: Callable[[], None] = lambda: None
    base_url = "example.zendesk.com"

    def __post_init__(self) -> None:
        self.tickets.setdefault(TICKET, {"updated_at": self.clock, "comments": [], "external_id": None})

    @property
    def session(self) -> LateZendesk:
        return self

    def land_late_writes(self) -> None:
        self.clock += 120  # up to two minutes late
        for write in self.held:
            # A refused late write answers a client that is no longer listening.
            with contextlib.suppress(ZendeskConflict):
                write.apply()
        self.held.clear()

    def request(self, method: str, url: str, **kwargs: Any) -> Answer:
        path = url.split("/api/v2/", 1)[1]
        body = kwargs.get("json")
        if method == "GET" and path == f"tickets/{TICKET}.json":
            return self._json({"ticket": {"id": TICKET, "updated_at": self._iso(self.tickets[TICKET])}})
        if method == "GET" and path.startswith("tickets/") and path.endswith(".json") and "/" not in path[8:]:
            raise ZendeskNotFound("GET answered 404")
        if method == "GET" and path == f"tickets/{TICKET}/comments.json":
            return self._json({"comments": [{"body": c} for c in self.tickets[TICKET]["comments"]]})
        if method == "GET" and path == "tickets.json":
            wanted = kwargs["params"]["external_id"]
            found = [{"id": i} for i, t in self.tickets.items() if t["external_id"] == wanted]
            return self._json({"tickets": found})
        if method == "PUT" and path == f"tickets/{TICKET}.json":
            self.before_write()
            return self._write(lambda: self._safe_update(body["ticket"]), {"ticket": {"id": TICKET}})
        if method == "POST" and path == "tickets.json":
            self.before_write()
            return self._create(body["ticket"], kwargs["headers"]["Idempotency-Key"])
        raise AssertionError(f"unexpected {method} {path}")

    def _write(self, apply: Callable[[], None], answer: dict[str, Any]) -> Answer:
        if self.hold:
            self.hold -= 1
            self.held.append(HeldWrite(apply))
            raise ZendeskTimeout("PUT timed out")  # the client gave up; Zendesk still has the request
        apply()
        return self._json(answer)

    def _safe_update(self, ticket: dict[str, Any]) -> None:
        current = self.tickets[TICKET]
        assert ticket["safe_update"] is True
        if ticket["updated_stamp"] != self._iso(current):
            self.refused += 1
            raise ZendeskConflict("PUT answered 409: UpdateConflict")
        self.clock += 1
        current["comments"].append(ticket["comment"]["body"])
        current["updated_at"] = self.clock

    def _create(self, ticket: dict[str, Any], key: str) -> Answer:
        fingerprint = json.dumps(ticket, sort_keys=True)
        if key in self.keys:
            earlier, ticket_id = self.keys[key]
            if earlier != fingerprint:
                raise ZendeskIdempotencyMismatch("POST answered 400: IdempotentRequestError")
            if ticket_id is None:
                raise ZendeskConflict("POST answered 409: in progress")
            return self._json({"ticket": {"id": ticket_id}})
        self.keys[key] = (fingerprint, None)
        new_id = 2000 + len(self.tickets)

        def apply() -> None:
            self.tickets[new_id] = {
                "updated_at": self.clock,
                "comments": [ticket["comment"]["body"]],
                "external_id": ticket["external_id"],
            }
            self.keys[key] = (fingerprint, new_id)

        return self._write(apply, {"ticket": {"id": new_id}})

    @staticmethod
    def _iso(ticket: dict[str, Any]) -> str:
        return f"2026-12-04T00:00:00Z+{ticket['updated_at']}"

    @staticmethod
    def _json(payload: dict[str, Any]) -> Answer:
        return Answer(json.dumps(payload).encode())


@pytest.fixture
def zendesk() -> LateZendesk:
    return LateZendesk()


@pytest.fixture
def writer(zendesk: LateZendesk) -> ZendeskTicketWriter:
    client = type("Client", (), {"tickets": zendesk})()
    return ZendeskTicketWriter(lambda: client)


def note(writer: ZendeskTicketWriter, *, look_first: bool = True) -> bool:
    return writer.add_internal_note_once(
        TICKET, f"the call {MARKER}", marker=MARKER, tags=["connect_call"], look_first=look_first
    )


def notes(zendesk: LateZendesk) -> list[str]:
    return [c for c in zendesk.tickets[TICKET]["comments"] if MARKER in c]


def test_a_late_note_landing_after_the_retry_looked_gets_the_retry_refused(
    zendesk: LateZendesk, writer: ZendeskTicketWriter
) -> None:
    # Given the first attempt's PUT times out and Zendesk still holds it
    zendesk.hold = 1
    with pytest.raises(ZendeskTimeout):
        note(writer, look_first=False)
    assert notes(zendesk) == []

    # When the retry has looked (no note yet) and the held write lands just before the retry's PUT
    zendesk.before_write = zendesk.land_late_writes

    # Then the retry's PUT is refused (stale stamp), it looks again, finds the note and stops
    assert note(writer) is False
    assert len(notes(zendesk)) == 1
    assert zendesk.refused == 1


def test_a_late_note_landing_after_the_retry_wrote_is_refused(
    zendesk: LateZendesk, writer: ZendeskTicketWriter
) -> None:
    zendesk.hold = 1
    with pytest.raises(ZendeskTimeout):
        note(writer, look_first=False)

    assert note(writer) is True  # the retry finds nothing and writes
    zendesk.land_late_writes()  # two minutes later Zendesk applies the first PUT: its stamp is stale

    assert len(notes(zendesk)) == 1
    assert zendesk.refused == 1


def test_a_ticket_that_keeps_changing_is_a_retryable_conflict_not_a_second_note(
    zendesk: LateZendesk, writer: ZendeskTicketWriter
) -> None:
    def agent_edits() -> None:
        zendesk.clock += 1
        zendesk.tickets[TICKET]["updated_at"] = zendesk.clock

    zendesk.before_write = agent_edits
    with pytest.raises(ZendeskConflict):
        note(writer)
    assert notes(zendesk) == []
    assert zendesk.refused == 3


def test_a_deleted_ticket_is_not_found_before_anything_is_written(zendesk: LateZendesk) -> None:
    client = type("Client", (), {"tickets": zendesk})()
    writer = ZendeskTicketWriter(lambda: client)
    with pytest.raises(ZendeskNotFound):
        writer.add_internal_note_once(77, "x", marker=MARKER, tags=[])


def draft(note_text: str = f"the call {MARKER}") -> TicketDraft:
    return TicketDraft(
        requester_id=5,
        subject="Call",
        note=note_text,
        tags=(),
        external_id="connect-contact:c-1",
        channel="voice",
    )


def test_a_late_ticket_creation_is_answered_by_its_idempotency_key(
    zendesk: LateZendesk, writer: ZendeskTicketWriter
) -> None:
    # Given the first create times out and is still in progress at Zendesk
    zendesk.hold = 1
    with pytest.raises(ZendeskTimeout):
        writer.create_ticket(draft())

    # When the retry sends the same request while the first is in flight: refused, retryable
    with pytest.raises(ZendeskConflict):
        writer.create_ticket(draft())

    # Then once the late write lands, the next retry gets the same ticket back
    zendesk.land_late_writes()
    created = [i for i, t in zendesk.tickets.items() if t["external_id"] == "connect-contact:c-1"]
    assert writer.create_ticket(draft()) == created[0]
    assert len(created) == 1


def test_a_retry_with_other_parameters_finds_the_ticket_the_late_create_made(
    zendesk: LateZendesk, writer: ZendeskTicketWriter
) -> None:
    zendesk.hold = 1
    with pytest.raises(ZendeskTimeout):
        writer.create_ticket(draft())
    # Other parameters (a new upload token, say) while the first is in flight: no ticket yet, retry later
    with pytest.raises(ZendeskIdempotencyMismatch):
        writer.create_ticket(draft("another body"))

    zendesk.land_late_writes()
    found = writer.create_ticket(draft("another body"))

    created = [i for i, t in zendesk.tickets.items() if t["external_id"] == "connect-contact:c-1"]
    assert created == [found]
