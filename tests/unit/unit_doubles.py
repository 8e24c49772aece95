"""Unit-test doubles: an in-memory Zendesk directory that counts its calls, and sample users."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from connect_zendesk.domain.models import TicketSummary, ZendeskUser

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
