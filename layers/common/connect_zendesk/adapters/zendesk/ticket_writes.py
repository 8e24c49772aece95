"""Writes to Zendesk Support for the after-call steps: internal notes, tickets, uploads, end-users, tags.

Requests go as plain JSON through the zenpy client's session (a `BudgetedSession`), so they follow
the same rules as every Zendesk call: the deadline bounds them, a 429 raises `ZendeskRateLimited`
with Retry-After, 5xx and timeouts raise retryable errors, and nothing sleeps. zenpy's object layer
is skipped on purpose: these endpoints need exact bodies (`public: false`, `uploads`, `external_id`,
`additional_tags`) that zenpy's dirty-attribute tracking would not guarantee.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from connect_zendesk.adapters.zendesk.client import zenpy_client
from connect_zendesk.domain.post_call_ports import NoteAttachment, TicketDraft
from connect_zendesk.errors import InvalidInput, ZendeskBadResponse
from connect_zendesk.settings import Settings

NEWEST_COMMENTS = 100  # a retry looks for its note among the ticket's newest comments


class ZendeskTicketWriter:
    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> ZendeskTicketWriter:
        return cls(lambda: zenpy_client(settings))

    def add_internal_note(
        self, ticket_id: int, body: str, *, tags: Sequence[str], upload_tokens: Sequence[str] = ()
    ) -> None:
        comment: dict[str, Any] = {"body": body, "public": False}
        if upload_tokens:
            comment["uploads"] = list(upload_tokens)
        ticket: dict[str, Any] = {"comment": comment}
        if tags:
            ticket["additional_tags"] = list(tags)  # added to the ticket's tags, none removed
        answer = self._request("PUT", f"tickets/{_id(ticket_id)}.json", json_body={"ticket": ticket})
        _require(answer, "ticket", "update ticket")

    def create_ticket(self, draft: TicketDraft) -> int:
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
        answer = self._request("POST", "tickets.json", json_body={"ticket": ticket})
        return _id_of(_require(answer, "ticket", "create ticket"), "create ticket")

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
