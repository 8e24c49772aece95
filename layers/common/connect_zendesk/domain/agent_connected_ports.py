"""What the connect-time step (agent_connected) needs from Connect and Zendesk; tests fake these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ConnectAgent:
    """The parts of Connect DescribeUser's `User` the mapping needs."""

    user_id: str
    username: str = ""
    email: str = ""  # IdentityInfo.Email; absent for SAML users without one


@dataclass(frozen=True)
class ConnectedTicket:
    """A ticket as the connect-time step writes it: assignee, the contact id field, a tag."""

    assignee_id: int
    tags: Sequence[str] = ()
    custom_fields: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewConnectedTicket:
    requester_id: int
    subject: str
    note: str
    external_id: str  # one ticket per conversation, whatever repeats (also the Idempotency-Key)
    ticket: ConnectedTicket


class ConnectAgents(Protocol):
    def describe(self, instance_id: str, agent_id: str) -> ConnectAgent | None:
        """None when Connect does not know the user (ResourceNotFoundException)."""
        ...


class AgentDesk(Protocol):
    """The Zendesk requests of the connect-time step (each one request)."""

    def agent_id_by_email(self, email: str) -> int | None:
        """The active agent or admin with this email (user search), None when there is none."""
        ...

    def update_connected_ticket(self, ticket_id: int, ticket: ConnectedTicket) -> None:
        """Assign, write the contact id field, add the tag: one PUT (ZendeskNotFound/Rejected when closed)."""
        ...

    def create_connected_ticket(self, draft: NewConnectedTicket) -> int: ...

    def create_end_user(self, name: str, phone_e164: str) -> int: ...

    def ticket_assignment(self, ticket_id: int) -> tuple[int | None, int | None]:
        """(assignee_id, group_id) of the ticket (ZendeskNotFound when there is none)."""
        ...

    def display_ticket(self, agent_id: int, ticket_id: int) -> None:
        """Talk Partner Edition: open the ticket in the agent's browser."""
        ...

    def display_user(self, agent_id: int, user_id: int) -> None:
        """Talk Partner Edition: open the user's profile in the agent's browser."""
        ...
