"""Zendesk Support as the domain sees it: caller and ticket reads, and the self-service bot's writes.

Reads for the contact-flow steps go through zenpy's object API; the bot's ticket reads and writes
send the documented JSON through the same zenpy client (its URL building and the BudgetedSession
under it), so every request keeps the time budget and the 429 rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any

from zenpy.lib.endpoint import Url
from zenpy.lib.exception import ZenpyException

from connect_zendesk.adapters.zendesk.client import zenpy_client
from connect_zendesk.domain.models import NewTicket, TicketComment, TicketDetail, TicketSummary, ZendeskUser
from connect_zendesk.errors import (
    InvalidInput,
    ZendeskBadResponse,
    ZendeskConflict,
    ZendeskError,
    ZendeskIdempotencyMismatch,
    ZendeskNotFound,
)
from connect_zendesk.settings import Settings

MAX_RESULTS = 100
COMMENTS_SCANNED = 20  # the latest reply is among the newest comments
MAX_COMMENT_CHARS = 60_000  # Zendesk's comment limit is 64 KB
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
SAFE_UPDATE_ATTEMPTS = 3
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,255}$")


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

    # ------------------------------------------------------------------ the self-service bot
    def ticket_for_requester(self, ticket_id: int, requester_id: int) -> TicketDetail | None:
        """The ticket and its latest public reply, only if `requester_id` requested it.

        Someone else's ticket answers None exactly like a missing one, and its comments are never read.
        """
        ticket_id, requester_id = _id(ticket_id), _id(requester_id)
        with _bad_responses("show ticket"):
            try:
                body = self._send("GET", f"tickets/{ticket_id}.json")
            except ZendeskNotFound:
                return None
            ticket = _ticket_json(body["ticket"])
            if ticket.requester_id != requester_id:
                return None
            comments = self._send(
                "GET",
                f"tickets/{ticket_id}/comments.json",
                params={"sort_order": "desc", "per_page": str(COMMENTS_SCANNED)},
            )["comments"]
            reply = next(
                (
                    c
                    for c in comments[:COMMENTS_SCANNED]
                    if c.get("public") and int(c["author_id"]) != requester_id
                ),
                None,
            )
            return TicketDetail(ticket, _comment_json(reply) if reply else None)

    def tickets_by_external_id(self, external_id: str) -> list[TicketSummary]:
        if not _EXTERNAL_ID.match(external_id):
            raise InvalidInput("external ids are letters, digits and : _ . -")
        with _bad_responses("list tickets by external id"):
            body = self._send("GET", "tickets.json", params={"external_id": external_id})
            return [_ticket_json(t) for t in body["tickets"][:MAX_RESULTS]]

    def create_ticket(self, ticket: NewTicket) -> TicketSummary:
        comment: dict[str, Any] = {"body": ticket.body[:MAX_COMMENT_CHARS], "public": ticket.public}
        if ticket.author_id is not None:
            comment["author_id"] = _id(ticket.author_id)
        payload: dict[str, Any] = {"subject": ticket.subject, "comment": comment, "tags": list(ticket.tags)}
        if ticket.requester_id is not None:
            payload["requester_id"] = _id(ticket.requester_id)
        elif ticket.requester_email:
            payload["requester"] = {
                "email": ticket.requester_email,
                "name": ticket.requester_name or ticket.requester_email,
            }
        headers: dict[str, str] = {}
        if ticket.external_id:
            payload["external_id"] = ticket.external_id
            # Zendesk keeps the key 2 hours: a create that lands late answers the retry, never doubles.
            headers[IDEMPOTENCY_KEY_HEADER] = ticket.external_id
        with _bad_responses("create ticket"):
            try:
                return _ticket_json(
                    self._send("POST", "tickets.json", {"ticket": payload}, headers=headers)["ticket"]
                )
            except ZendeskIdempotencyMismatch:
                # The first request with this key had other parameters (a longer conversation): its ticket.
                made = self.tickets_by_external_id(ticket.external_id)
                if made:
                    return made[0]
                raise

    def add_comment(self, ticket_id: int, body: str, *, public: bool, author_id: int | None = None) -> None:
        comment: dict[str, Any] = {"body": body[:MAX_COMMENT_CHARS], "public": public}
        if author_id is not None:
            comment["author_id"] = _id(author_id)
        with _bad_responses("update ticket"):
            # The id is in the path only: Zendesk warns about (and ignores) ticket.id in the body.
            self._send("PUT", f"tickets/{_id(ticket_id)}.json", {"ticket": {"comment": comment}})

    def add_comment_once(
        self, ticket_id: int, body: str, *, marker: str, public: bool, look_first: bool = True
    ) -> bool:
        """A safe update (see adapters/zendesk/ticket_writes.py): the ticket's updated_at is read
        before looking for `marker` and sent as `updated_stamp`; a 409 means the ticket changed since,
        perhaps by our own late write, so look again before another try."""
        ticket_id = _id(ticket_id)
        look = look_first
        with _bad_responses("update ticket"):
            for _ in range(SAFE_UPDATE_ATTEMPTS):
                stamp = str(self._send("GET", f"tickets/{ticket_id}.json")["ticket"]["updated_at"])
                if look and self._has_comment_containing(ticket_id, marker):
                    return False
                comment = {"body": body[:MAX_COMMENT_CHARS], "public": public}
                update = {"comment": comment, "safe_update": True, "updated_stamp": stamp}
                try:
                    self._send("PUT", f"tickets/{ticket_id}.json", {"ticket": update})
                except ZendeskConflict:
                    look = True
                    continue
                return True
        raise ZendeskConflict(f"ticket {ticket_id} changed under {SAFE_UPDATE_ATTEMPTS} safe updates")

    def _has_comment_containing(self, ticket_id: int, marker: str) -> bool:
        comments = self._send(
            "GET",
            f"tickets/{ticket_id}/comments.json",
            params={"sort_order": "desc", "per_page": str(MAX_RESULTS)},
        )["comments"]
        return any(marker in str(c.get("body") or c.get("plain_body") or "") for c in comments)

    def create_end_user(
        self, name: str, *, phone: str = "", email: str = "", locale: str = ""
    ) -> ZendeskUser:
        user: dict[str, Any] = {"name": name, "role": "end-user", "verified": False}
        if phone:
            user["phone"] = phone
        if email:
            user["email"] = email
        if locale:
            user["locale"] = locale
        with _bad_responses("create user"):
            created = self._send("POST", "users.json", {"user": user})["user"]
            return ZendeskUser(
                id=int(created["id"]),
                name=str(created.get("name") or ""),
                phone=str(created.get("phone") or ""),
                role=str(created.get("role") or "end-user"),
                locale=str(created.get("locale") or ""),
            )

    def _send(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        api = self._client().tickets
        url = api._build_url(Url(path, params=params or {}))
        # BudgetedSession answers every non-2xx with a typed error and bounds the request by the deadline.
        response = api.session.request(method, url, json=payload, headers=headers or None)
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return body


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


def _ticket_json(ticket: dict[str, Any]) -> TicketSummary:
    return TicketSummary(
        id=int(ticket["id"]),
        subject=str(ticket.get("subject") or ticket.get("raw_subject") or ""),
        status=str(ticket.get("status") or ""),
        requester_id=int(ticket["requester_id"]),
        updated_at=datetime.fromisoformat(str(ticket["updated_at"])),
    )


def _comment_json(comment: dict[str, Any]) -> TicketComment:
    return TicketComment(
        author_id=int(comment["author_id"]),
        body=str(comment.get("plain_body") or comment.get("body") or ""),
        public=bool(comment.get("public")),
        created_at=datetime.fromisoformat(str(comment["created_at"])),
    )


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
