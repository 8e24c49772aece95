"""A fake Zendesk desk for the bot: the directory of unit_doubles plus tickets with comments and the
writes the bot makes, all recorded so tests can see exactly what reached Zendesk."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import boto3
from connect_zendesk.adapters.dynamo import from_item
from connect_zendesk.domain.models import NewTicket, TicketComment, TicketDetail, TicketSummary, ZendeskUser
from connect_zendesk.errors import ZendeskNotFound
from connect_zendesk.phone import CallerNumber, normalise
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from moto.sns.models import sns_backends
from unit_doubles import AGENT, CARLOS, JANE, NOW, FakeZendesk, ticket

PRIYA = ZendeskUser(id=1009, name="Priya Patel", phone="+13125550199")


@dataclasses.dataclass
class WrittenComment:
    ticket_id: int
    body: str
    public: bool
    author_id: int | None


class FakeDesk(FakeZendesk):
    def __init__(self) -> None:
        super().__init__(
            users=[JANE, CARLOS, AGENT, PRIYA],
            tickets={
                JANE.id: [
                    ticket(1001, JANE.id, "open", hours_ago=49, subject="Printer offline"),
                    ticket(1002, JANE.id, "pending", hours_ago=120, subject="Invoice copy"),
                    ticket(1003, JANE.id, "solved", hours_ago=1, subject="Password reset"),
                ],
                CARLOS.id: [ticket(1006, CARLOS.id, "new", hours_ago=3, subject="Order arrived damaged")],
            },
        )
        self.comments: dict[int, list[TicketComment]] = {
            1001: [
                TicketComment(JANE.id, "The printer is offline again.", True, NOW - timedelta(hours=60)),
                TicketComment(
                    AGENT.id,
                    "Please restart it. Did that help? Thanks, Alex.",
                    True,
                    NOW - timedelta(hours=55),
                ),
                TicketComment(JANE.id, "Still offline.", True, NOW - timedelta(hours=52)),
                TicketComment(AGENT.id, "Internal: DHCP lease expired.", False, NOW - timedelta(hours=49)),
            ],
            1006: [TicketComment(CARLOS.id, "The box arrived crushed.", True, NOW - timedelta(hours=3))],
        }
        self.created: list[NewTicket] = []
        self.written: list[WrittenComment] = []
        self.created_users: list[ZendeskUser] = []
        self.detail_reads: Counter[int] = Counter()  # ticket id -> reads of its comments
        self.external_ids: dict[str, int] = {}
        self._next_id = 2000

    def all_tickets(self) -> list[TicketSummary]:
        return [t for tickets in self.tickets.values() for t in tickets]

    def ticket_for_requester(self, ticket_id: int, requester_id: int) -> TicketDetail | None:
        self._enter("ticket_for_requester")
        found = next((t for t in self.all_tickets() if t.id == ticket_id), None)
        if found is None or found.requester_id != requester_id:
            return None
        self.detail_reads[ticket_id] += 1
        replies = [c for c in self.comments.get(ticket_id, []) if c.public and c.author_id != requester_id]
        return TicketDetail(found, max(replies, key=lambda c: c.created_at) if replies else None)

    def tickets_by_external_id(self, external_id: str) -> list[TicketSummary]:
        self._enter("tickets_by_external_id")
        ids = {ticket_id for marker, ticket_id in self.external_ids.items() if marker == external_id}
        return [t for t in self.all_tickets() if t.id in ids]

    def create_ticket(self, new: NewTicket) -> TicketSummary:
        self._enter("create_ticket")
        requester = new.requester_id
        if requester is None:
            existing = next((u for u in self.users if u.name == new.requester_email), None)
            user = existing or ZendeskUser(id=9000 + len(self.users), name=new.requester_email)
            if existing is None:
                self.users.append(user)
            requester = user.id
        self._next_id += 1
        created = TicketSummary(self._next_id, new.subject, "new", requester, NOW)
        self.tickets.setdefault(requester, []).append(created)
        self.created.append(new)
        if new.external_id:
            self.external_ids[new.external_id] = created.id
        self.comments[created.id] = [TicketComment(new.author_id or AGENT.id, new.body, new.public, NOW)]
        return created

    def add_comment(self, ticket_id: int, body: str, *, public: bool, author_id: int | None = None) -> None:
        self._enter("add_comment")
        if not any(t.id == ticket_id for t in self.all_tickets()):
            raise ZendeskNotFound(f"ticket {ticket_id}")
        self.written.append(WrittenComment(ticket_id, body, public, author_id))
        self.comments.setdefault(ticket_id, []).append(
            TicketComment(author_id or AGENT.id, body, public, datetime.now(NOW.tzinfo))
        )

    def add_comment_once(
        self, ticket_id: int, body: str, *, marker: str, public: bool, look_first: bool = True
    ) -> bool:
        if look_first and any(marker in c.body for c in self.comments.get(ticket_id, [])):
            return False
        self.add_comment(ticket_id, body, public=public)
        return True

    def create_end_user(
        self, name: str, *, phone: str = "", email: str = "", locale: str = ""
    ) -> ZendeskUser:
        self._enter("create_end_user")
        user = ZendeskUser(id=9000 + len(self.users), name=name, phone=phone, locale=locale)
        self.users.append(user)
        self.created_users.append(user)
        return user


def sent_sms() -> list[tuple[str, str]]:
    """The SMS moto's SNS recorded: (number, text)."""
    backend = sns_backends["123456789012"]["us-east-1"]
    return [(str(number), str(text)) for number, text, *_ in backend.sms_messages.values()]


def contact(template: Template, contact_id: str) -> dict[str, Any]:
    """The contact's Contacts item, deserialised (numbers are Decimals)."""
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=template.physical["ContactsTable"].ref, Key={"contactId": {"S": contact_id}}
    )
    return from_item(item.get("Item", {}))


def record_call(services: Services, contact_id: str, phone: str, *, channel: str = "VOICE") -> str:
    """The Contacts record caller_lookup writes for a call from `phone` (its telephone endpoint)."""
    number = normalise(phone, "US")
    services.contacts.record_caller(
        contact_id,
        caller_e164=number.e164 if isinstance(number, CallerNumber) else "",
        zendesk_user_id=None,
        match_count=0,
        channel=channel,
        language="en-US",
        instance_arn="",
        lookup_result="NotFound",
    )
    return contact_id
