"""The emulator's ticket list (`GET /api/v2/tickets`), which the bot uses to find the ticket it already
created for a contact by its external id before creating one."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pytest
from connect_zendesk_local.zendesk_emulator import ZendeskEmulator
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket


@pytest.fixture
def zenpy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Zenpy]:
    emulator = ZendeskEmulator()
    emulator.start()
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", emulator.netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    yield Zenpy(
        subdomain="demo", email=emulator.email, token=emulator.api_token, disable_cache=True, timeout=5
    )
    emulator.stop()


def test_tickets_are_listed_by_external_id(zenpy: Zenpy) -> None:
    for marker in ("cz-contact-1-CreateTicket", "cz-contact-1-CreateTicket", "cz-contact-2-handoff"):
        zenpy.tickets.create(Ticket(subject="s", comment=Comment(body="b"), external_id=marker))

    listed = list(zenpy.tickets(external_id="cz-contact-1-CreateTicket"))
    nothing = list(zenpy.tickets(external_id="cz-nobody"))

    assert [t.external_id for t in listed] == ["cz-contact-1-CreateTicket"] * 2
    assert nothing == []


def test_without_a_filter_every_ticket_is_listed_in_cursor_pages(zenpy: Zenpy) -> None:
    tickets = list(islice(zenpy.tickets(), 50))

    assert [t.id for t in tickets][:3] == [1001, 1002, 1003]
    assert len(tickets) == 12  # the seeded tickets
