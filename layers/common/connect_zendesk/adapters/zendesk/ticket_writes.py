"""Writes to Zendesk Support for the after-call steps: internal notes, tickets, uploads, end-users, tags.

Requests go as plain JSON through the zenpy client's session (a `BudgetedSession`), so they follow
the same rules as every Zendesk call: the deadline bounds them, a 429 raises `ZendeskRateLimited`
with Retry-After, 5xx and timeouts raise retryable errors, and nothing sleeps. zenpy's object layer
is skipped on purpose: these endpoints need exact bodies (`public: false`, `uploads`, `external_id`,
`additional_tags`) that zenpy's dirty-attribute tracking would not guarantee.

Exactly one note, even when Zendesk applies a write after the client gave up on it (see the README,
"Exactly one note per contact"). A note goes on an existing ticket as a *safe update*: the PUT
carries `safe_update: true` and the ticket's `updated_at` as `updated_stamp`, read *before* looking
for the note's marker, and Zendesk refuses it with 409 when the ticket changed since. A write that
lands late changes the ticket, so whichever of two writes lands second is refused; the refused one
reads again and finds the marker. A ticket is created with an `Idempotency-Key` (the contact's
external id): a repeat inside Zendesk's window (2 hours) replays the first answer, a key still in
progress answers 409, and a repeat with other parameters (new upload tokens) answers 400
IdempotentRequestError, after which the ticket is looked up by its external id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from connect_zendesk.adapters.zendesk.client import zenpy_client
from connect_zendesk.domain.post_call_ports import NoteAttachment, TicketDraft
from connect_zendesk.errors import (
    InvalidInput,
    ZendeskBadResponse,
    ZendeskConflict,
    ZendeskIdempotencyMismatch,
)
from connect_zendesk.settings import Settings

NEWEST_COMMENTS = 100  # a retry looks for its note among the ticket's newest comments
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
SAFE_UPDATE_ATTEMPTS = 3  # a ticket agents keep editing may refuse a few stamps in a row


class ZendeskTicketWriter:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> ZendeskTicketWriter:
        return cls(lambda: zenpy_client(settings))

    def add_internal_note_once(
        self,
        ticket_id: int,
        body: str,
        *,
        marker: str,
        tags: Sequence[str],
        upload_tokens: Callable[[], Sequence[str]] = tuple,
        look_first: bool = True,
    ) -> bool:
        """Add the note unless a comment with `marker` is on the ticket; False when it already was.

        `look_first=False` skips the first look (nothing of ours can be in flight on a first attempt);
        after any 409 the marker is always looked for, since the change may be our own late write.
        """
        look = look_first
        for _ in range(SAFE_UPDATE_ATTEMPTS):
            # The stamp is read before the look: a write landing between them changes the ticket and
            # gets this PUT refused, instead of slipping past both.
            stamp = self._updated_stamp(ticket_id)
            if look and self.has_comment_containing(ticket_id, marker):
                return False
            comment: dict[str, Any] = {"body": body, "public": False}
            tokens = upload_tokens()
            if tokens:
                comment["uploads"] = list(tokens)
            ticket: dict[str, Any] = {"comment": comment, "safe_update": True, "updated_stamp": stamp}
            if tags:
                ticket["additional_tags"] = list(tags)  # added to the ticket's tags, none removed
            try:
                answer = self._request("PUT", f"tickets/{_id(ticket_id)}.json", json_body={"ticket": ticket})
            except ZendeskConflict:
                look = True
                continue
            _require(answer, "ticket", "update ticket")
            return True
        raise ZendeskConflict(f"ticket {ticket_id} changed under {SAFE_UPDATE_ATTEMPTS} safe updates")

    def create_ticket(self, draft: TicketDraft) -> int:
        """Create the ticket once per external id; a repeat answers the ticket the first one made."""
        comment: dict[str, Any] = {"body": draft.note, "public": False}
        if draft.upload_tokens:
            comment["uploads"] = list(draft.upload_tokens)
        ticket = {
            "subject": draft.subject,
            "requester_id": _id(draft.requester_id),
            "comment": comment,
            "tags": list(draft.tags),
            "external_id": draft.external_id,
            "via": {"channel": draft.channel},
        }
        try:
            answer = self._request(
                "POST",
                "tickets.json",
                json_body={"ticket": ticket},
                headers={IDEMPOTENCY_KEY_HEADER: draft.external_id},
            )
        except ZendeskIdempotencyMismatch:
            # An earlier request with this key had other parameters; it may have made the ticket.
            existing = self.tickets_with_external_id(draft.external_id)
            if existing:
                return existing[0]
            raise  # still in flight, or it failed: retry later, never create beside it
        return _id_of(_require(answer, "ticket", "create ticket"), "create ticket")

    def _updated_stamp(self, ticket_id: int) -> str:
        answer = self._request("GET", f"tickets/{_id(ticket_id)}.json")
        ticket = _require(answer, "ticket", "show ticket")
        stamp = ticket.get("updated_at") if isinstance(ticket, dict) else None
        if not isinstance(stamp, str) or not stamp:
            raise ZendeskBadResponse("show ticket: no updated_at")
        return stamp

    def has_comment_containing(self, ticket_id: int, marker: str) -> bool:
        answer = self._request(
            "GET",
            f"tickets/{_id(ticket_id)}/comments.json",
            params={"sort_order": "desc", "per_page": str(NEWEST_COMMENTS)},
        )
        comments = answer.get("comments")
        if not isinstance(comments, list):
            raise ZendeskBadResponse("list comments: no comments array")
        return any(
            isinstance(comment, dict)
            and any(marker in str(comment.get(field) or "") for field in ("body", "plain_body"))
            for comment in comments
        )

    def tickets_with_external_id(self, external_id: str) -> list[int]:
        answer = self._request("GET", "tickets.json", params={"external_id": external_id})
        tickets = answer.get("tickets")
        if not isinstance(tickets, list):
            raise ZendeskBadResponse("list tickets by external id: no tickets array")
        return [_id_of(ticket, "list tickets") for ticket in tickets if isinstance(ticket, dict)]

    def upload(self, attachment: NoteAttachment, token: str | None = None) -> str:
        params = {"filename": attachment.filename}
        if token:
            params["token"] = token  # groups files under the first upload's token
        answer = self._request(
            "POST",
            "uploads.json",
            params=params,
            data=attachment.content,
            headers={"Content-Type": attachment.content_type},
        )
        upload = _require(answer, "upload", "upload")
        upload_token = upload.get("token")
        if not isinstance(upload_token, str) or not upload_token:
            raise ZendeskBadResponse("upload: no token")
        return upload_token

    def create_end_user(self, name: str, phone_e164: str) -> int:
        user = {"name": name, "phone": phone_e164, "role": "end-user", "verified": False}
        answer = self._request("POST", "users.json", json_body={"user": user})
        return _id_of(_require(answer, "user", "create user"), "create user")

    def add_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        if tags:
            answer = self._request(
                "PUT", f"tickets/{_id(ticket_id)}/tags.json", json_body={"tags": list(tags)}
            )
            _require(answer, "tags", "add tags")

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        api = self._client().tickets
        scheme = os.environ.get("ZENPY_FORCE_SCHEME", "https")
        url = f"{scheme}://{api.base_url}/api/v2/{path}"
        # The session raises typed errors for every non-2xx answer (see session.py).
        response = api.session.request(method, url, json=json_body, params=params, data=data, headers=headers)
        try:
            # Uploads answer JSON labelled text/plain: parse the bytes, whatever the content type says.
            answer = json.loads(response.content or b"{}")
        except ValueError:
            raise ZendeskBadResponse(f"{method} {path}: body is not JSON") from None
        if not isinstance(answer, dict):
            raise ZendeskBadResponse(f"{method} {path}: body is not a JSON object")
        return answer


def _id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput("Zendesk ids are positive integers")
    return value


def _require(answer: dict[str, Any], key: str, what: str) -> Any:
    value = answer.get(key)
    if value is None:
        raise ZendeskBadResponse(f"{what}: answer has no {key}")
    return value


def _id_of(record: Any, what: str) -> int:
    value = record.get("id") if isinstance(record, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ZendeskBadResponse(f"{what}: answer has no id")
    return value
