"""Talk Partner Edition screen pops and user search, as the connect-time step (agent_connected) uses them.

- ``GET /api/v2/users/search.json?query=...`` (Zendesk search syntax, e.g. ``email:jo@example.com``;
  or ``external_id=...``): ``{"users": [...], "next_page", "previous_page", "count"}``.
- ``POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display.json`` and
  ``.../users/{user_id}/display.json``: documented 200 when the message reached the agent's browser,
  404 when ``agent_id`` or the ticket/user id is invalid. Zendesk documents no body for either; the
  emulator answers ``{}`` and its usual RecordNotFound body. Not documented, emulated as a real
  account behaves for the cases the step must survive: an agent not signed in to Talk (the user
  record's ``talk_signed_in`` false) answers 404 too, and an account without Talk Partner Edition
  (``ZendeskStore.talk_partner_edition`` false) answers 403 Forbidden.
Every pop delivered is kept in ``DISPLAYED`` (per store) for tests and the demo.
"""

from __future__ import annotations

import re
import weakref

from connect_zendesk_local.zendesk_emulator import search
from connect_zendesk_local.zendesk_emulator.api import ApiRequest, ApiResponse, json_response, page_url, route
from connect_zendesk_local.zendesk_emulator.errors import ApiError, not_found
from connect_zendesk_local.zendesk_emulator.paging import first, paginate
from connect_zendesk_local.zendesk_emulator.store import ZendeskStore

AGENT_ROLES = ("agent", "admin")
DISPLAYED: weakref.WeakKeyDictionary[ZendeskStore, list[tuple[str, int, int]]] = weakref.WeakKeyDictionary()


def displayed(store: ZendeskStore) -> list[tuple[str, int, int]]:
    """(``ticket`` or ``user``, agent id, record id) of every pop delivered, oldest first."""
    return DISPLAYED.setdefault(store, [])


def no_talk_partner_edition() -> ApiError:
    return ApiError(403, {"error": "Forbidden", "description": "You do not have access to this page."})


@route("GET", r"users/search")
def search_users(store: ZendeskStore, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    external_id = first(request.query, "external_id")
    if external_id:
        found = [user for user in store.users.values() if user["external_id"] == external_id]
    else:
        query = first(request.query, "query", "") or ""
        found = [item.record for item in search.run_search(store, query, "user")] if query.strip() else []
    items = [store.render_user(user) for user in found]
    return json_response(200, paginate(items, "users", request.query, page_url(store, request)))


@route("POST", r"channels/voice/agents/(\d+)/(tickets|users)/(\d+)/display")
def display(store: ZendeskStore, _request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    if not getattr(store, "talk_partner_edition", True):
        raise no_talk_partner_edition()
    agent = store.users.get(int(match[1]))
    if agent is None or agent["role"] not in AGENT_ROLES or agent.get("talk_signed_in", True) is False:
        raise not_found()
    kind, record_id = match[2], int(match[3])
    records = store.tickets if kind == "tickets" else store.users
    if record_id not in records:
        raise not_found()
    displayed(store).append((kind.removesuffix("s"), agent["id"], record_id))
    return json_response(200, {})
