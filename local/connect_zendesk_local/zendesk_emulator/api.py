"""Zendesk Support API routes: one small handler per endpoint, dispatched by method and path regex.

Handlers run with the store lock held (see server.py) and answer with Zendesk's JSON shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connect_zendesk_local.zendesk_emulator import search, tickets, uploads, users
from connect_zendesk_local.zendesk_emulator.errors import (
    ApiError,
    bad_request,
    idempotency_in_progress,
    idempotency_mismatch,
    invalid_endpoint,
    not_found,
    too_many_values,
)
from connect_zendesk_local.zendesk_emulator.paging import Query, build_url, first, paginate, sort_items
from connect_zendesk_local.zendesk_emulator.records import JSON
from connect_zendesk_local.zendesk_emulator.store import IdempotentCreate, ZendeskStore

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
MAX_SHOW_MANY_IDS = 100
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=2)
IDEMPOTENCY_LOOKUP = "x-idempotency-lookup"


@dataclass
class ApiRequest:
    method: str
    path: str
    query: Query
    headers: dict[str, str]  # lower-cased names
    body: bytes
    actor_id: int = 0  # the authenticated user, set after authentication

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise bad_request("The request body is not valid JSON") from None


@dataclass
class ApiResponse:
    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return ApiResponse(status, body, headers=headers or {})


Handler = Callable[[ZendeskStore, ApiRequest, "re.Match[str]"], ApiResponse]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler


ROUTES: list[Route] = []


def route(methods: str, path: str) -> Callable[[Handler], Handler]:
    """Register a handler; ``.json`` is optional at the end, as it is on Zendesk."""
    pattern = re.compile(f"^/api/v2/{path}(?:\\.json)?$")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(frozenset(methods.split()), pattern, handler))
        return handler

    return register


def dispatch(store: ZendeskStore, request: ApiRequest) -> ApiResponse:
    try:
        for candidate in ROUTES:
            match = candidate.pattern.match(request.path)
            if match and request.method in candidate.methods:
                return candidate.handler(store, request, match)
        raise invalid_endpoint()
    except ApiError as error:
        return json_response(error.status, error.body)


def page_url(store: ZendeskStore, request: ApiRequest) -> Callable[[dict[str, str]], str]:
    return lambda params: build_url(store.renderer.base_url, request.path, params)


def _ids(request: ApiRequest) -> list[int]:
    raw = first(request.query, "ids", "") or ""
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise bad_request("ids must be a comma-separated list of integers") from None
    if len(ids) > MAX_SHOW_MANY_IDS:
        raise too_many_values(f"You can request at most {MAX_SHOW_MANY_IDS} ids")
    return ids


def _sideloads_comment_count(request: ApiRequest) -> bool:
    return "comment_count" in (first(request.query, "include") or "").split(",")


def _collection(key: str, items: list[JSON]) -> JSON:
    return {key: items, "next_page": None, "previous_page": None, "count": len(items)}


def _api_warning(action: str, unpermitted: list[str]) -> dict[str, str]:
    """The header Zendesk adds when a body has keys it ignores (e.g. ``ticket.id`` on update)."""
    if not unpermitted:
        return {}
    keys = ", ".join(f'"{key}"' for key in unpermitted)
    value = (
        f'{{:allowed_parameters=>{{:controller=>"tickets", :action=>"{action}", '
        f":unpermitted_keys=>[{keys}], :invalid_values=>[]}}}}"
    )
    return {"x-zendesk-api-warn": value}


# --------------------------------------------------------------------------- search
@route("GET", r"search")
def search_records(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    query = first(request.query, "query", "") or ""
    type_filter = first(request.query, "filter[type]")
    found = search.run_search(store, query, type_filter)
    results = [
        {
            **(store.render_user(item.record) if item.kind == "user" else store.render_ticket(item.record)),
            "result_type": item.kind,
        }
        for item in found
    ]
    # Without sort_by Zendesk orders by relevance; the emulator keeps id order. With it, desc is the default.
    if first(request.query, "sort_by"):
        results = sort_items(results, request.query, default_order="desc")
    page = paginate(results, "results", request.query, page_url(store, request))
    return json_response(200, {**page, "facets": None})


# --------------------------------------------------------------------------- users
@route("GET", r"users/me")
def show_me(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    return json_response(200, {"user": store.render_user(store.user(request.actor_id))})


@route("GET", r"users/show_many")
def show_many_users(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    found = [store.render_user(store.users[item]) for item in _ids(request) if item in store.users]
    return json_response(200, _collection("users", found))


@route("GET", r"users/(\d+)")
def show_user(store: ZendeskStore, _request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    return json_response(200, {"user": store.render_user(store.user(int(match[1])))})


@route("POST", r"users")
def create_user(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    user = store.render_user(users.create_user(store, users.user_payload(request.json())))
    return json_response(201, {"user": user}, {"Location": user["url"]})


@route("POST", r"users/create_or_update")
def create_or_update_user(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    user, created = users.create_or_update_user(store, users.user_payload(request.json()))
    rendered = store.render_user(user)
    return json_response(201 if created else 200, {"user": rendered}, {"Location": rendered["url"]})


@route("GET", r"users/(\d+)/identities")
def list_identities(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    user = store.user(int(match[1]))
    items = [store.render_identity(item) for item in store.identities[user["id"]]]
    return json_response(200, paginate(items, "identities", request.query, page_url(store, request)))


@route("GET", r"users/(\d+)/tickets/requested")
def list_requested_tickets(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    user = store.user(int(match[1]))
    counted = _sideloads_comment_count(request)
    found = [store.render_ticket(item, comment_count=counted) for item in store.requested_by(user["id"])]
    items = sort_items(found, request.query)
    return json_response(200, paginate(items, "tickets", request.query, page_url(store, request)))


# --------------------------------------------------------------------------- tickets
@route("GET", r"tickets")
def list_tickets(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    """``GET /api/v2/tickets``; ``external_id=`` lists the tickets carrying that external id."""
    external_id = first(request.query, "external_id")
    counted = _sideloads_comment_count(request)
    found = [
        store.render_ticket(ticket, comment_count=counted)
        for ticket in store.tickets.values()
        if external_id is None or ticket.get("external_id") == external_id
    ]
    items = sort_items(found, request.query)
    return json_response(200, paginate(items, "tickets", request.query, page_url(store, request)))


@route("GET", r"tickets/show_many")
def show_many_tickets(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    counted = _sideloads_comment_count(request)
    found = [
        store.render_ticket(store.tickets[item], comment_count=counted)
        for item in _ids(request)
        if item in store.tickets
    ]
    return json_response(200, _collection("tickets", found))


@route("GET", r"tickets/(\d+)")
def show_ticket(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    ticket = store.render_ticket(store.ticket(int(match[1])), comment_count=_sideloads_comment_count(request))
    return json_response(200, {"ticket": ticket})


@route("POST", r"tickets")
def create_ticket(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    """``Idempotency-Key`` (Zendesk keeps it 2 hours): a repeat with the same parameters replays the
    first answer with ``x-idempotency-lookup: hit``; other parameters answer 400
    IdempotentRequestError; a key whose first request is still being processed answers 409."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return _create_ticket(store, request)
    fingerprint = json.dumps(request.json(), sort_keys=True)
    earlier = store.idempotency.get(key)
    if earlier is not None and store.moment() - earlier.stored_at > IDEMPOTENCY_KEY_LIFETIME:
        earlier = None
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            raise idempotency_mismatch()
        if earlier.answer is None:
            raise idempotency_in_progress()
        status, body, headers = earlier.answer
        return ApiResponse(status, body, headers={**headers, IDEMPOTENCY_LOOKUP: "hit"})
    store.idempotency[key] = IdempotentCreate(fingerprint, store.moment())
    try:
        response = _create_ticket(store, request)
    except ApiError:
        del store.idempotency[key]  # only successful answers are kept (a refusal can be retried)
        raise
    store.idempotency[key].answer = (response.status, response.body, dict(response.headers))
    response.headers[IDEMPOTENCY_LOOKUP] = "miss"
    return response


def reserve_idempotency_key(store: ZendeskStore, request: ApiRequest) -> None:
    """A create held as a late write is "being processed": its key answers 409 until it is applied."""
    key = request.headers.get("idempotency-key")
    if key is not None and request.method == "POST" and key not in store.idempotency:
        store.idempotency[key] = IdempotentCreate(json.dumps(request.json(), sort_keys=True), store.moment())


def release_idempotency_key(store: ZendeskStore, request: ApiRequest) -> None:
    key = request.headers.get("idempotency-key")
    earlier = store.idempotency.get(key) if key is not None else None
    if earlier is not None and earlier.answer is None:
        del store.idempotency[key]  # type: ignore[arg-type]


def _create_ticket(store: ZendeskStore, request: ApiRequest) -> ApiResponse:
    written = tickets.create_ticket(store, tickets.ticket_payload(request.json()), request.actor_id)
    ticket = store.render_ticket(written.ticket)
    headers = {"Location": ticket["url"], **_api_warning("create", written.unpermitted_keys)}
    return json_response(201, {"ticket": ticket, "audit": written.audit}, headers)


@route("PUT", r"tickets/(\d+)")
def update_ticket(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    payload = tickets.ticket_payload(request.json())
    written = tickets.update_ticket(store, int(match[1]), payload, request.actor_id)
    body = {"ticket": store.render_ticket(written.ticket), "audit": written.audit}
    return json_response(200, body, _api_warning("update", written.unpermitted_keys))


@route("GET PUT POST DELETE", r"tickets/(\d+)/tags")
def ticket_tags(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    body = request.json() if request.method != "GET" else None
    return json_response(200, {"tags": tickets.modify_tags(store, int(match[1]), request.method, body)})


@route("GET", r"tickets/(\d+)/comments")
def list_comments(store: ZendeskStore, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    ticket = store.ticket(int(match[1]))
    comments = [store.render_comment(item) for item in store.comments[ticket["id"]]]
    if (first(request.query, "sort_order") or "asc").lower() == "desc":
        comments.reverse()
    return json_response(200, paginate(comments, "comments", request.query, page_url(store, request)))


# --------------------------------------------------------------------------- uploads and attachments
@route("POST", r"uploads")
def create_upload(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    upload = uploads.add_upload(
        store,
        filename=first(request.query, "filename", "") or "",
        request_content_type=request.headers.get("content-type"),
        data=request.body,
        token=first(request.query, "token"),
    )
    response = json_response(201, uploads.render_upload(store, upload))
    response.headers["Location"] = store.render_attachment(upload.attachment_ids[-1])["url"]
    # Zendesk labels this JSON answer text/plain; clients must not rely on the content type.
    response.content_type = "text/plain; charset=utf-8"
    return response


@route("GET", r"attachments/(\d+)")
def show_attachment(store: ZendeskStore, _request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    attachment_id = int(match[1])
    if attachment_id not in store.files:
        raise not_found()
    return json_response(200, {"attachment": store.render_attachment(attachment_id)})


def attachment_content(store: ZendeskStore, content_token: str) -> ApiResponse:
    """The bytes behind a ``content_url`` (``/attachments/token/<token>/?name=...``); no API auth needed."""
    stored = uploads.find_file_by_content_token(store, content_token)
    if stored is None:
        return ApiResponse(404, b"Not Found", content_type="text/plain; charset=utf-8")
    return ApiResponse(200, stored.data, content_type=stored.record["content_type"])


# Registers the Talk Partner Edition and user-search routes (they import this module's `route`).
from connect_zendesk_local.zendesk_emulator import talk  # noqa: E402, F401
