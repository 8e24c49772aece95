"""Reads the caller-lookup steps need from Zendesk Support, as domain models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any

from zenpy.lib.exception import ZenpyException

from connect_zendesk.adapters.zendesk.client import zenpy_client
from connect_zendesk.domain.models import TicketSummary, ZendeskUser
from connect_zendesk.errors import InvalidInput, ZendeskBadResponse, ZendeskError
from connect_zendesk.settings import Settings

MAX_RESULTS = 100


class ZendeskGateway:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> ZendeskGateway:
        return cls(lambda: zenpy_client(settings))

    def end_users_by_phone(self, national_digits: str) -> list[ZendeskUser]:
        # Only validated digits reach the query: nothing a caller says or keys can inject search syntax.
        if not national_digits.isdigit() or not 4 <= len(national_digits) <= 15:
            raise InvalidInput("phone search needs 4 to 15 digits")
        with _bad_responses("search users"):
            found = self._client().search(type="user", role="end-user", phone=f"*{national_digits}")
            return [_user(u) for u in islice(found, MAX_RESULTS)]

    def phone_identities(self, user_id: int) -> list[str]:
        user_id = _id(user_id)
        with _bad_responses("user identities"):
            identities = self._client().users.identities(id=user_id)
            return [str(i.value) for i in islice(identities, MAX_RESULTS) if i.type == "phone_number"]

    def requested_tickets(self, user_id: int) -> list[TicketSummary]:
        user_id = _id(user_id)
        with _bad_responses("requested tickets"):
            users = self._client().users
            # UserApi.requested() cannot pass sort parameters; the endpoint it wraps can. Zendesk ignores
            # sort_by under cursor pagination (zenpy's default), so ask for offset pages. Newest updates
            # first means one page holds every open ticket of all but the most prolific requesters.
            found = users._query_zendesk(
                users.endpoint.requested,
                "ticket",
                id=user_id,
                sort_by="updated_at",
                sort_order="desc",
                cursor_pagination=False,
            )
            return [_ticket(t) for t in islice(found, MAX_RESULTS)]


def _id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput("Zendesk ids are positive integers")
    return value


@contextmanager
def _bad_responses(what: str) -> Iterator[None]:
    """Anything but our own typed errors means Zendesk sent a body we cannot use."""
    try:
        yield
    except ZendeskError:
        raise
    except (ZenpyException, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ZendeskBadResponse(f"{what}: unusable response ({type(exc).__name__})") from None


def _user(user: Any) -> ZendeskUser:
    return ZendeskUser(
        id=int(user.id),
        name=str(user.name or ""),
        phone=str(user.phone or ""),
        role=str(user.role or ""),
        shared_phone_number=bool(user.shared_phone_number),
        active=user.active is not False,
        locale=str(user.locale or ""),
    )


def _ticket(ticket: Any) -> TicketSummary:
    return TicketSummary(
        id=int(ticket.id),
        subject=str(ticket.subject or ticket.raw_subject or ""),
        status=str(ticket.status or ""),
        requester_id=int(ticket.requester_id),
        updated_at=datetime.fromisoformat(str(ticket.updated_at)),
    )
