"""What the domain needs from the outside world; adapters implement these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from connect_zendesk.domain.models import (
    BotTurnRecord,
    CallbackBooking,
    NewTicket,
    Order,
    TicketDetail,
    TicketSummary,
    ZendeskUser,
)


class ZendeskDirectory(Protocol):
    def end_users_by_phone(self, national_digits: str) -> list[ZendeskUser]:
        """End-users whose phone (any stored format) ends with these digits."""
        ...

    def phone_identities(self, user_id: int) -> list[str]: ...

    def requested_tickets(self, user_id: int) -> list[TicketSummary]:
        """Up to 100 tickets the user requested, most recently updated first."""
        ...


class LookupCache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any, ttl_seconds: int) -> None: ...


class ContactLog(Protocol):
    def record_caller(
        self,
        contact_id: str,
        *,
        caller_e164: str,
        zendesk_user_id: int | None,
        match_count: int,
        channel: str,
        language: str,
        instance_arn: str,
        lookup_result: str,
    ) -> None: ...

    def record_offered_tickets(
        self, contact_id: str, *, zendesk_user_id: int, ticket_ids: Sequence[int]
    ) -> None: ...

    def get(self, contact_id: str, attributes: Sequence[str] = ()) -> dict[str, Any] | None: ...

    def record_bot_turn(self, contact_id: str, turn: BotTurnRecord) -> None:
        """Append the turn's conversation entries (keeping the newest MAX) and its outcome."""
        ...


# ---------------------------------------------------------------- self-service bot
class ZendeskTickets(Protocol):
    """Ticket reads and writes of the self-service bot."""

    def ticket_for_requester(self, ticket_id: int, requester_id: int) -> TicketDetail | None:
        """The ticket with its latest public reply, or None when it does not exist or another user
        requested it: the two cases must be indistinguishable to the caller."""
        ...

    def tickets_by_external_id(self, external_id: str) -> list[TicketSummary]: ...

    def create_ticket(self, ticket: NewTicket) -> TicketSummary:
        """With an external id: once per external id, even when an earlier request lands late."""
        ...

    def add_comment(
        self, ticket_id: int, body: str, *, public: bool, author_id: int | None = None
    ) -> None: ...

    def add_comment_once(
        self, ticket_id: int, body: str, *, marker: str, public: bool, look_first: bool = True
    ) -> bool:
        """Add the comment unless one containing `marker` is on the ticket (False then); a write
        Zendesk applies late, after the client gave up on it, can never make a second one."""
        ...

    def create_end_user(
        self, name: str, *, phone: str = "", email: str = "", locale: str = ""
    ) -> ZendeskUser: ...


class ZendeskService(ZendeskDirectory, ZendeskTickets, Protocol):
    """Everything the functions ask of Zendesk."""


class SlotFull(Exception):
    """Every place in the callback slot is taken."""


class CallbackChanged(Exception):
    """The caller's callback changed (booked, moved or cancelled) since it was read."""


class OrderNotChangeable(Exception):
    """The order shipped, was delivered or cancelled since it was read."""


class SelfServiceStore(Protocol):
    """Orders and callback bookings, keyed by the caller's phone (the SelfService table)."""

    def orders_for(self, phone: str) -> list[Order]: ...

    def order(self, phone: str, order_id: int) -> Order | None: ...

    def reschedule_order(self, order: Order, ship_date: date) -> Order: ...

    def cancel_order(self, order: Order) -> Order: ...

    def callback_for(self, phone: str) -> CallbackBooking | None: ...

    def slot_bookings(self, starts: Sequence[datetime]) -> Mapping[datetime, int]: ...

    def book_callback(
        self, booking: CallbackBooking, *, capacity: int, replacing: CallbackBooking | None, now: datetime
    ) -> None: ...

    def cancel_callback(self, booking: CallbackBooking, *, now: datetime) -> None: ...


class SmsSender(Protocol):
    def send(self, e164: str, text: str) -> bool:
        """True when the message was handed to the carrier network; failures are logged, never raised."""
        ...
