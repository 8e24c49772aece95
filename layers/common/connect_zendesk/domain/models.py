"""Zendesk records as the domain sees them: only the fields the steps use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

OPEN_STATUSES = ("new", "open", "pending", "hold")


@dataclass(frozen=True)
class ZendeskUser:
    id: int
    name: str
    phone: str = ""
    role: str = "end-user"
    shared_phone_number: bool = False
    active: bool = True
    locale: str = ""

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "phone": self.phone,
            "role": self.role,
            "shared_phone_number": self.shared_phone_number,
            "active": self.active,
            "locale": self.locale,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> ZendeskUser:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            phone=str(data.get("phone", "")),
            role=str(data.get("role", "end-user")),
            shared_phone_number=bool(data.get("shared_phone_number", False)),
            active=bool(data.get("active", True)),
            locale=str(data.get("locale", "")),
        )


@dataclass(frozen=True)
class TicketSummary:
    id: int
    subject: str
    status: str
    requester_id: int
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "status": self.status,
            "requester_id": self.requester_id,
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> TicketSummary:
        return cls(
            id=int(data["id"]),
            subject=str(data.get("subject", "")),
            status=str(data.get("status", "")),
            requester_id=int(data.get("requester_id", 0)),
            updated_at=datetime.fromisoformat(str(data["updated_at"])),
        )


# ---------------------------------------------------------------- self-service bot
@dataclass(frozen=True)
class TicketComment:
    author_id: int
    body: str
    public: bool
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    """A ticket with the newest public comment someone other than the requester wrote (a reply)."""

    ticket: TicketSummary
    latest_reply: TicketComment | None = None


@dataclass(frozen=True)
class NewTicket:
    subject: str
    body: str  # the first comment
    requester_id: int | None = None
    requester_email: str = ""  # without requester_id: Zendesk finds this end-user or creates one
    requester_name: str = ""
    public: bool = True
    author_id: int | None = None  # None: the requester (with requester_id) or the API user
    tags: tuple[str, ...] = ()
    external_id: str = ""


ORDER_STATUSES = ("processing", "scheduled", "shipped", "delivered", "cancelled")
CHANGEABLE_ORDER_STATUSES = ("processing", "scheduled")


@dataclass(frozen=True)
class Order:
    order_id: int
    phone: str  # E.164 of the customer who placed it: the only number that may hear about it
    status: str
    items: str
    ship_date: date | None = None
    delivered_date: date | None = None

    @property
    def changeable(self) -> bool:
        return self.status in CHANGEABLE_ORDER_STATUSES


@dataclass(frozen=True)
class CallbackBooking:
    phone: str  # E.164: the number to call back, and the booking's owner
    slot_start: datetime  # aware, UTC
    slot_end: datetime
    time_zone: str  # the business time zone the slot was offered in
    contact_id: str = ""
    zendesk_user_id: int | None = None
    ticket_id: int | None = None
    locale: str = "en_US"
    sms_opt_in: bool = False


@dataclass(frozen=True)
class ConversationEntry:
    """One line of the bot conversation, as stored in the Contacts record and noted on the ticket."""

    at: str  # ISO-8601 UTC
    role: str  # "caller" or "bot"
    text: str
    intent: str = ""
    slots: tuple[tuple[str, str], ...] = ()

    def to_item(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "role": self.role,
            "text": self.text,
            "intent": self.intent,
            "slots": dict(self.slots),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> ConversationEntry:
        slots = item.get("slots") if isinstance(item.get("slots"), dict) else {}
        return cls(
            at=str(item.get("at", "")),
            role=str(item.get("role", "")),
            text=str(item.get("text", "")),
            intent=str(item.get("intent", "")),
            slots=tuple((str(k), str(v)) for k, v in (slots or {}).items()),
        )


@dataclass(frozen=True)
class BotTurnRecord:
    """What one bot turn writes to the contact's record (only the non-empty parts are written)."""

    entries: tuple[ConversationEntry, ...]
    seen_turns: int  # conversationTurns as read at the start of the turn: is the log full?
    caller_e164: str = ""
    zendesk_user_id: int | None = None
    selected_ticket_id: int | None = None
    fulfilled_intent: str = ""
    handoff: dict[str, Any] | None = None
