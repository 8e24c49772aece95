"""Zendesk requests of the connect-time step: agent search, the assignment, the screen pop.

Same transport as the after-call writes (ZendeskTicketWriter: the BudgetedSession, typed errors, no
sleeps). Documented bodies:
- `GET /api/v2/users/search.json?query=email:<address>` (search syntax) for the agent's Zendesk user;
- `PUT /api/v2/tickets/{id}.json` with `assignee_id`, `custom_fields: [{"id", "value"}]` and
  `additional_tags` (adds, removes none): one request;
- `POST /api/v2/tickets.json` with the same fields, `via: {"channel": "voice"}` and an Idempotency-Key;
- Talk Partner Edition `POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display.json`
  and `.../users/{user_id}/display.json`: 200 when delivered, 404 for an unknown agent or record.
"""

from __future__ import annotations

import re
from typing import Any

from connect_zendesk.adapters.zendesk.ticket_writes import (
    IDEMPOTENCY_KEY_HEADER,
    ZendeskTicketWriter,
    _id,
    _id_of,
    _require,
)
from connect_zendesk.domain.agent_connected_ports import ConnectedTicket, NewConnectedTicket
from connect_zendesk.errors import InvalidInput, ZendeskIdempotencyMismatch

AGENT_ROLES = frozenset({"agent", "admin"})
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


class ZendeskAgentDesk(ZendeskTicketWriter):
    def agent_id_by_email(self, email: str) -> int | None:
        # Only a plain address reaches the query: nothing from Connect can inject search syntax.
        if not _EMAIL.match(email):
            raise InvalidInput("not a plain email address")
        answer = self._request("GET", "users/search.json", params={"query": f"email:{email}"})
        users = answer.get("users")
        if not isinstance(users, list):
            return None
        for user in users:
            if (
                isinstance(user, dict)
                and user.get("role") in AGENT_ROLES
                and user.get("active") is not False
                and str(user.get("email") or "").lower() == email.lower()
            ):
                return _id_of(user, "search users")
        return None

    def update_connected_ticket(self, ticket_id: int, ticket: ConnectedTicket) -> None:
        answer = self._request("PUT", f"tickets/{_id(ticket_id)}.json", json_body={"ticket": _fields(ticket)})
        _require(answer, "ticket", "update ticket")

    def create_connected_ticket(self, draft: NewConnectedTicket) -> int:
        ticket = {
            "subject": draft.subject,
            "requester_id": _id(draft.requester_id),
            "comment": {"body": draft.note, "public": False},
            "external_id": draft.external_id,
            "via": {"channel": "voice"},
            **_fields(draft.ticket, new=True),
        }
        try:
            answer = self._request(
                "POST",
                "tickets.json",
                json_body={"ticket": ticket},
                headers={IDEMPOTENCY_KEY_HEADER: draft.external_id},
            )
        except ZendeskIdempotencyMismatch:
            existing = self.tickets_with_external_id(draft.external_id)
            if existing:
                return existing[0]
            raise
        return _id_of(_require(answer, "ticket", "create ticket"), "create ticket")

    def ticket_assignment(self, ticket_id: int) -> tuple[int | None, int | None]:
        ticket = _require(self._request("GET", f"tickets/{_id(ticket_id)}.json"), "ticket", "show ticket")
        assignee = ticket.get("assignee_id") if isinstance(ticket, dict) else None
        group = ticket.get("group_id") if isinstance(ticket, dict) else None
        return (assignee if isinstance(assignee, int) else None, group if isinstance(group, int) else None)

    def display_ticket(self, agent_id: int, ticket_id: int) -> None:
        self._request("POST", f"channels/voice/agents/{_id(agent_id)}/tickets/{_id(ticket_id)}/display.json")

    def display_user(self, agent_id: int, user_id: int) -> None:
        self._request("POST", f"channels/voice/agents/{_id(agent_id)}/users/{_id(user_id)}/display.json")


def _fields(ticket: ConnectedTicket, *, new: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {"assignee_id": _id(ticket.assignee_id)}
    if ticket.custom_fields:
        fields["custom_fields"] = [{"id": _id(k), "value": v} for k, v in ticket.custom_fields.items()]
    if ticket.tags:
        fields["tags" if new else "additional_tags"] = list(ticket.tags)
    return fields
