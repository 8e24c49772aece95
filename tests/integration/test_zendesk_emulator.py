"""The Zendesk emulator, driven over real HTTP: through zenpy (as the project uses it) and raw requests.

Every test gets its own emulator on a free port, seeded with the demo data set
(local/connect_zendesk_local/seed/zendesk_demo.json).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from connect_zendesk_local.zendesk_emulator import FaultConfig, ZendeskEmulator, load_demo_dataset
from connect_zendesk_local.zendesk_emulator.cli import main as cli_main
from connect_zendesk_local.zendesk_emulator.search import parse_query, phone_matches
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

pytestmark = pytest.mark.integration

ADMIN_ID = 22450000000101
AGENT_ID = 22450000000102
JANE_ID = 22450000001001
CARLOS_ID = 22450000001002
TARO_ID = 22450000001003
MINJUN_ID = 22450000001004
WANG_ID = 22450000001005
SAM_ID = 22450000001006
JORDAN_ID = 22450000001007
OLIVER_ID = 22450000001008
PRIYA_ID = 22450000001009
JANE_OPEN, JANE_PENDING, JANE_SOLVED, JANE_CLOSED, JANE_HOLD = 1001, 1002, 1003, 1004, 1005
TIMEOUT = 5


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def emulator() -> Iterator[ZendeskEmulator]:
    emu = ZendeskEmulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def zenpy(emulator: ZendeskEmulator, monkeypatch: pytest.MonkeyPatch) -> Zenpy:
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", emulator.netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    return Zenpy(
        subdomain="demo", email=emulator.email, token=emulator.api_token, disable_cache=True, timeout=TIMEOUT
    )


@pytest.fixture
def api(emulator: ZendeskEmulator) -> Iterator[ApiClient]:
    client = ApiClient(emulator)
    yield client
    client.session.close()


class ApiClient:
    """Raw HTTP with the emulator's credentials, for what zenpy hides (headers, status, bodies)."""

    def __init__(self, emulator: ZendeskEmulator) -> None:
        self.base = emulator.url
        self.session = requests.Session()
        self.session.auth = (f"{emulator.email}/token", emulator.api_token)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        url = path if path.startswith("http") else f"{self.base}{path}"  # next_page links are absolute
        return self.session.request(method, url, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)


def search_ids(api: ApiClient, query: str, **params: str) -> list[int]:
    response = api.get("/api/v2/search.json", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["results"]]


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --------------------------------------------------------------------------- seed data
def test_demo_dataset_has_relative_times_materialised_at_load(emulator: ZendeskEmulator) -> None:
    # Given the raw seed, When the emulator loads it, Then "updated 2 days ago" is true today
    raw = load_demo_dataset()
    assert "_comment" in raw
    assert next(t for t in raw["tickets"] if t["id"] == JANE_OPEN)["updated_hours_ago"] == 48
    ticket = emulator.store.get_ticket(JANE_OPEN)
    assert ticket is not None
    age = datetime.now(UTC) - parse_time(ticket["updated_at"])
    assert timedelta(hours=47.9) < age < timedelta(hours=48.1)


def test_seeded_customers_cover_the_demo_cases(emulator: ZendeskEmulator) -> None:
    users = {user["id"]: user for user in emulator.store.list_users()}
    assert users[JANE_ID]["phone"] == "+14155552671"
    assert users[CARLOS_ID]["phone"] == "(415) 555-0134"
    assert (users[TARO_ID]["locale"], users[TARO_ID]["locale_id"]) == ("ja", 67)
    assert users[MINJUN_ID]["locale"] == "ko"
    assert users[WANG_ID]["locale"] == "zh-cn"
    assert users[SAM_ID]["shared_phone_number"] is True
    assert users[OLIVER_ID]["phone"] is None
    assert users[AGENT_ID]["role"] == "agent"
    assert users[ADMIN_ID]["email"] == "agent@example.com"
    statuses = {t["id"]: t["status"] for t in emulator.store.list_tickets() if t["requester_id"] == JANE_ID}
    assert statuses == {1001: "open", 1002: "pending", 1003: "solved", 1004: "closed", 1005: "hold"}
    hold = emulator.store.get_ticket(JANE_HOLD)
    assert hold is not None
    assert hold["subject"] == 'Refund <urgent> & "double charge"'
    assert not [t for t in emulator.store.list_tickets() if t["requester_id"] == PRIYA_ID]


def test_api_user_is_created_when_the_dataset_lacks_it() -> None:
    # Given a dataset without the API user, When the emulator starts, Then it can still authenticate
    with ZendeskEmulator(dataset={"users": [], "tickets": []}, email="bot@example.com") as emu:
        response = requests.get(
            f"{emu.url}/api/v2/users/me.json", auth=("bot@example.com/token", emu.api_token), timeout=TIMEOUT
        )
        assert response.json()["user"]["role"] == "admin"


# --------------------------------------------------------------------------- search through zenpy
def test_zenpy_phone_search_finds_the_end_user(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    # When zenpy searches as caller_lookup does
    results = list(zenpy.search(type="user", role="end-user", phone="*4155552671"))
    # Then exactly Jane is found, and zenpy sent filter[type] and a quoted query
    assert [user.id for user in results] == [JANE_ID]
    assert results[0].phone == "+14155552671"
    logged = emulator.requests_log()[-1]
    assert logged.query["filter[type]"] == ["user"]
    assert logged.query["query"] == ["type:user role:end-user phone:*4155552671"]


@pytest.mark.parametrize(
    ("query_digits", "expected"),
    [
        ("*4155550134", [CARLOS_ID]),  # stored "(415) 555-0134"
        ("*81312345678", [TARO_ID]),  # stored "+81 3-1234-5678"
        ("*312345678", [TARO_ID]),
        ("*1023456789", [MINJUN_ID]),  # stored "+82 10-2345-6789"
        ("*8613800138000", [WANG_ID]),  # stored "+86 138 0013 8000"
        ("*2065550188", [SAM_ID, JORDAN_ID]),  # one household number, two users
        ("*2079460958", [OLIVER_ID]),  # only in a phone_number identity
        ("*3125550199", [PRIYA_ID]),
        ("*14155550134", []),  # Carlos is stored without the country code
    ],
)
def test_suffix_phone_search_ignores_stored_formatting(
    api: ApiClient, query_digits: str, expected: list[int]
) -> None:
    assert search_ids(api, f"type:user role:end-user phone:{query_digits}") == expected


def test_role_filter_keeps_the_agent_with_the_same_last_digits_out(api: ApiClient) -> None:
    # Given Alex Agent's "+1 646-555-2671" shares Jane's last seven digits
    assert search_ids(api, "type:user phone:*5552671") == [AGENT_ID, JANE_ID]
    assert search_ids(api, "type:user role:end-user phone:*5552671") == [JANE_ID]
    assert search_ids(api, "type:user role:agent phone:*5552671") == [AGENT_ID]


def test_exact_phone_search_requires_equal_digits(zenpy: Zenpy, api: ApiClient) -> None:
    assert search_ids(api, "phone:14155552671") == [JANE_ID]
    assert search_ids(api, "phone:+14155552671") == [JANE_ID]
    assert search_ids(api, "phone:4155552671") == []
    # zenpy quotes values with spaces: phone:"+1 (415) 555-2671"
    assert [u.id for u in zenpy.search(type="user", phone="+1 (415) 555-2671")] == [JANE_ID]
    assert search_ids(api, "phone:1415*") == [JANE_ID]
    assert search_ids(api, "phone:***") == []


def test_ticket_search_by_requester_and_open_statuses_sorted(zenpy: Zenpy) -> None:
    # When the open tickets of Jane are searched, most recently updated first
    found = zenpy.search(
        type="ticket", requester=JANE_ID, status_less_than="solved", sort_by="updated_at", sort_order="desc"
    )
    # Then open, pending and hold come back in updated order
    assert [ticket.id for ticket in found] == [JANE_OPEN, JANE_PENDING, JANE_HOLD]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type:ticket requester:jane.doe@example.com status:solved", [JANE_SOLVED]),
        ("type:ticket requester:nobody@example.com", []),
        ("type:ticket requester:22450000001002", [1006]),
        ("type:ticket requester:22450000001001 status<closed", [1001, 1002, 1003, 1005]),
        ("type:ticket requester:22450000001001 status>=solved", [1003, 1004]),
        ("type:ticket requester:22450000001001 status>hold", [1003, 1004]),
        ("type:ticket requester:22450000001001 status<=open", [1001]),
        ("type:ticket requester:22450000001001 -status:closed -status:solved", [1001, 1002, 1005]),
        ("email:JANE.DOE@example.com", [JANE_ID]),
        ("email:*@example.com role:agent", [AGENT_ID]),
        ("external_id:crm-000417", [JANE_ID]),
        ('name:"山田 太郎"', [TARO_ID]),
        ("name:jane*", [JANE_ID]),
        ("type:ticket tags:refund", [JANE_HOLD]),
        ("type:user tag:premium", [JANE_ID]),
        ("type:ticket プリンター", [1007]),
        ("printer type:ticket", [1001]),
        ("Rivera", [SAM_ID, JORDAN_ID]),
        ("type:organization", []),
        ("type:ticket role:end-user", []),
        ("type:ticket phone:*4155552671", []),
        ("type:ticket email:jane.doe@example.com", []),
        ("type:ticket name:Jane*", []),
        ("type:user requester:22450000001001", []),
        ("type:user status:open", []),
    ],
)
def test_search_terms(api: ApiClient, query: str, expected: list[int]) -> None:
    assert search_ids(api, query) == expected


def test_date_terms_compare_at_the_query_precision(api: ApiClient) -> None:
    recent = (datetime.now(UTC) - timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert search_ids(api, f"type:ticket created>{recent}") == [1006]
    assert search_ids(api, f"type:ticket updated>={recent}") == [1006]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert len(search_ids(api, f"type:ticket created<{tomorrow}")) == 12


def test_unsupported_search_term_returns_nothing_and_is_logged(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert search_ids(api, "type:user organization:acme") == []
        assert search_ids(api, "type:user role>agent") == []
        assert search_ids(api, "type:ticket status:archived") == []
    assert "organization:acme" in caplog.text


def test_search_filter_type_param_and_result_shape(api: ApiClient, emulator: ZendeskEmulator) -> None:
    response = api.get("/api/v2/search.json", params={"query": "jane", "filter[type]": "ticket"})
    body = response.json()
    assert body["results"] == []
    assert body["facets"] is None
    assert body["count"] == 0
    user = api.get("/api/v2/search.json", params={"query": "type:user jane"}).json()["results"][0]
    assert user["result_type"] == "user"
    assert user["url"] == f"{emulator.url}/api/v2/users/{JANE_ID}.json"


def test_search_offset_pagination(api: ApiClient) -> None:
    # Given 12 tickets, When they are read two per page, Then next_page/previous_page chain them
    first_page = api.get("/api/v2/search.json", params={"query": "type:ticket", "per_page": "5"}).json()
    assert first_page["count"] == 12
    assert len(first_page["results"]) == 5
    assert first_page["previous_page"] is None
    second_page = api.get(first_page["next_page"]).json()
    assert [t["id"] for t in second_page["results"]] == [1006, 1007, 1008, 1009, 1010]
    assert second_page["previous_page"] is not None
    last_page = api.get(second_page["next_page"]).json()
    assert [t["id"] for t in last_page["results"]] == [1011, 1012]
    assert last_page["next_page"] is None


def test_search_sort_by_created_at_defaults_to_descending(api: ApiClient) -> None:
    ids = search_ids(api, "type:ticket requester:22450000001001", sort_by="created_at")
    assert ids == [JANE_OPEN, JANE_PENDING, JANE_HOLD, JANE_SOLVED, JANE_CLOSED]
    ids = search_ids(api, "type:ticket requester:22450000001001", sort_by="created_at", sort_order="asc")
    assert ids == [JANE_CLOSED, JANE_SOLVED, JANE_HOLD, JANE_PENDING, JANE_OPEN]


def test_query_parser_and_phone_matcher() -> None:
    terms = parse_query('-status:closed name:"Jane Doe" hello "two words"')
    assert [(t.field, t.op, t.value, t.negated) for t in terms] == [
        ("status", ":", "closed", True),
        ("name", ":", "Jane Doe", False),
        (None, ":", "hello", False),
        (None, ":", "two words", False),
    ]
    assert phone_matches("*5135557611", "+1 513.555.7611")
    assert phone_matches("*5135557611", "(513) 555-7611")
    assert phone_matches("*5135557611", "513-555-7611")
    assert not phone_matches("5135557611", "+1 513.555.7611")
    assert not phone_matches("*5135557611", None)


# --------------------------------------------------------------------------- users
def test_show_user_and_missing_user(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    jane = zenpy.users(id=JANE_ID)
    assert (jane.name, jane.email, jane.locale, jane.role) == (
        "Jane Doe",
        "jane.doe@example.com",
        "en-US",
        "end-user",
    )
    assert jane.url == f"{emulator.url}/api/v2/users/{JANE_ID}.json"
    with pytest.raises(RecordNotFoundException):
        zenpy.users(id=99)


def test_show_many_users_and_me(zenpy: Zenpy, api: ApiClient) -> None:
    assert [u.name for u in zenpy.users(ids=[JANE_ID, 5, CARLOS_ID])] == ["Jane Doe", "Carlos Ruiz"]
    assert zenpy.users.me().id == ADMIN_ID
    too_many = ",".join(str(n) for n in range(101))
    response = api.get("/api/v2/users/show_many.json", params={"ids": too_many})
    assert (response.status_code, response.json()["error"]) == (400, "TooManyValues")
    assert api.get("/api/v2/users/show_many.json", params={"ids": "1,x"}).status_code == 400


def test_create_user_defaults_to_end_user_with_identities(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    created = zenpy.users.create(User(name="New Caller", phone="+1 503 555 0100", locale="ja"))
    assert (created.role, created.phone, created.locale_id) == ("end-user", "+1 503 555 0100", 67)
    identities = list(zenpy.users.identities(id=created.id))
    assert [(i.type, i.value, i.primary) for i in identities] == [("phone_number", "+1 503 555 0100", True)]
    assert search_ids_for(emulator, "phone:*5035550100") == [created.id]


def search_ids_for(emulator: ZendeskEmulator, query: str) -> list[int]:
    client = ApiClient(emulator)
    try:
        return search_ids(client, query)
    finally:
        client.session.close()


def test_create_user_with_extra_identities(api: ApiClient) -> None:
    body = {
        "user": {
            "name": "Two Numbers",
            "email": "two@example.com",
            "identities": [{"type": "phone_number", "value": "+1 206 555 0111"}],
        }
    }
    created = api.post("/api/v2/users.json", json=body)
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"/users/{created.json()['user']['id']}.json")
    identities = api.get(f"/api/v2/users/{created.json()['user']['id']}/identities.json").json()
    assert [(i["type"], i["primary"]) for i in identities["identities"]] == [
        ("email", True),
        ("phone_number", True),
    ]


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"email": "nameless@example.com"}, "name"),
        ({"name": 42}, "name"),
        ({"name": "Dup", "email": "jane.doe@example.com"}, "email"),
        ({"name": "Bad", "email": "not-an-email"}, "email"),
        ({"name": "Bad", "role": "owner"}, "role"),
        ({"name": "Bad", "phone": "call me"}, "phone"),
        ({"name": "Bad", "identities": [{"type": "fax", "value": "1"}]}, "identities"),
    ],
)
def test_create_user_validation_errors(api: ApiClient, user: dict[str, Any], field: str) -> None:
    response = api.post("/api/v2/users.json", json={"user": user})
    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"
    assert field in response.json()["details"]


def test_bad_bodies_are_400(api: ApiClient) -> None:
    assert (
        api.post(
            "/api/v2/users.json", data=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert api.post("/api/v2/users.json", json={"name": "no root"}).status_code == 400
    assert api.post("/api/v2/tickets.json", json=["no", "root"]).status_code == 400
    assert api.request("PUT", f"/api/v2/tickets/{JANE_OPEN}/tags.json", json={"nope": 1}).status_code == 400


def test_create_or_update_user(zenpy: Zenpy, api: ApiClient) -> None:
    # Given Jane exists, When create_or_update names her email, Then she is updated (200)
    updated = zenpy.users.create_or_update(User(name="Jane Q. Doe", email="jane.doe@example.com"))
    assert (updated.id, updated.name) == (JANE_ID, "Jane Q. Doe")
    # When it names an unknown email, Then a user is created (201)
    response = api.post(
        "/api/v2/users/create_or_update.json", json={"user": {"name": "Fresh", "email": "f@example.com"}}
    )
    assert response.status_code == 201
    # When it names an external_id, Then that user is matched first
    response = api.post(
        "/api/v2/users/create_or_update.json", json={"user": {"external_id": "crm-000417", "locale": "ko"}}
    )
    assert (response.status_code, response.json()["user"]["id"], response.json()["user"]["locale_id"]) == (
        200,
        JANE_ID,
        69,
    )


def test_identities_of_identity_only_phone_user(zenpy: Zenpy, api: ApiClient) -> None:
    identities = list(zenpy.users.identities(id=OLIVER_ID))
    assert [(i.type, i.value) for i in identities] == [
        ("email", "oliver.bennett@example.com"),
        ("phone_number", "+44 20 7946 0958"),
    ]
    # A shared household number is not an identity: identities are unique per user
    sam = api.get(f"/api/v2/users/{SAM_ID}/identities.json").json()
    assert [i["type"] for i in sam["identities"]] == ["email"]
    assert api.get("/api/v2/users/1/identities.json").status_code == 404


# --------------------------------------------------------------------------- requested tickets
def test_requested_tickets_default_id_order(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    tickets = list(zenpy.users.requested(JANE_ID))
    assert [t.id for t in tickets] == [1001, 1002, 1003, 1004, 1005]
    # zenpy asks for cursor pages and sends include=None literally
    assert emulator.requests_log()[-1].query == {"include": ["None"], "page[size]": ["100"]}


def test_requested_tickets_sorted_through_zenpy_query(zenpy: Zenpy) -> None:
    tickets = zenpy.users._query_zendesk(
        zenpy.users.endpoint.requested, "ticket", id=JANE_ID, sort_by="updated_at", sort_order="desc"
    )
    assert [t.id for t in tickets] == [JANE_OPEN, JANE_PENDING, JANE_HOLD, JANE_SOLVED, JANE_CLOSED]


def test_requested_tickets_cursor_pages_followed_by_zenpy(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    tickets = zenpy.users._query_zendesk(
        zenpy.users.endpoint.requested, "ticket", id=JANE_ID, cursor_pagination=2, sort="-updated_at"
    )
    assert [t.id for t in tickets] == [JANE_OPEN, JANE_PENDING, JANE_HOLD, JANE_SOLVED, JANE_CLOSED]
    assert len(emulator.requests_log()) == 3


def test_requested_tickets_cursor_links(api: ApiClient) -> None:
    path = f"/api/v2/users/{JANE_ID}/tickets/requested.json"
    first = api.get(path, params={"page[size]": "2", "sort": "created_at"}).json()
    assert [t["id"] for t in first["tickets"]] == [JANE_CLOSED, JANE_SOLVED]
    assert first["meta"]["has_more"] is True
    second = api.get(first["links"]["next"]).json()
    assert [t["id"] for t in second["tickets"]] == [JANE_HOLD, JANE_PENDING]
    back = api.get(second["links"]["prev"]).json()
    assert [t["id"] for t in back["tickets"]] == [JANE_CLOSED, JANE_SOLVED]
    assert back["meta"]["has_more"] is False
    last = api.get(api.get(second["links"]["next"]).json()["links"]["next"]).json()
    assert last["tickets"] == []
    assert last["meta"]["has_more"] is False
    assert last["links"]["next"] is None
    assert api.get(path, params={"page[after]": "garbage!"}).status_code == 400
    assert api.get(path, params={"page[after]": "b3RoZXI6MQ"}).status_code == 400  # "other:1"


def test_requested_tickets_offset_pages(api: ApiClient) -> None:
    path = f"/api/v2/users/{JANE_ID}/tickets/requested"  # .json is optional, as on Zendesk
    page = api.get(path, params={"per_page": "2", "sort_by": "created_at", "sort_order": "desc"}).json()
    assert [t["id"] for t in page["tickets"]] == [JANE_OPEN, JANE_PENDING]
    assert page["count"] == 5
    assert page["previous_page"] is None
    assert "sort_by=created_at" in page["next_page"]
    page = api.get(page["next_page"]).json()
    assert [t["id"] for t in page["tickets"]] == [JANE_HOLD, JANE_SOLVED]
    page = api.get(path, params={"per_page": "500", "page": "x", "sort_by": "bogus"}).json()
    assert [t["id"] for t in page["tickets"]] == [1001, 1002, 1003, 1004, 1005]
    ranked = api.get(path, params={"sort_by": "status"}).json()
    assert [t["status"] for t in ranked["tickets"]] == ["open", "pending", "hold", "solved", "closed"]
    ranked = api.get(path, params={"sort_by": "priority", "sort_order": "desc"}).json()
    assert [t["priority"] for t in ranked["tickets"]][:2] == ["urgent", "high"]
    assert api.get("/api/v2/users/1/tickets/requested.json").status_code == 404


# --------------------------------------------------------------------------- tickets
def test_show_ticket_and_show_many(zenpy: Zenpy, emulator: ZendeskEmulator, api: ApiClient) -> None:
    ticket = zenpy.tickets(id=JANE_OPEN)
    assert (ticket.subject, ticket.status, ticket.requester_id) == ("Printer offline", "open", JANE_ID)
    # comment_count is a sideload, as on Zendesk
    assert not hasattr(ticket, "comment_count")
    assert zenpy.tickets(id=JANE_OPEN, include="comment_count").comment_count == 5
    assert ticket.url == f"{emulator.url}/api/v2/tickets/1001.json"
    assert [t.id for t in zenpy.tickets(ids=[1007, 9999, 1008])] == [1007, 1008]
    many = api.get(
        "/api/v2/tickets/show_many.json", params={"ids": "1007,1008", "include": "users,comment_count"}
    )
    assert [t["comment_count"] for t in many.json()["tickets"]] == [2, 2]
    requested = api.get(
        f"/api/v2/users/{TARO_ID}/tickets/requested.json", params={"include": "comment_count"}
    )
    assert requested.json()["tickets"][0]["comment_count"] == 2
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets(id=9999)


def test_create_ticket_with_comment_and_upload(
    zenpy: Zenpy, api: ApiClient, emulator: ZendeskEmulator
) -> None:
    # Given a transcript uploaded through zenpy
    upload = zenpy.attachments.upload(io.BytesIO(b"[00:01] caller: hello"), target_name="transcript.txt")
    # When a ticket is created with a comment that references the token
    audit = zenpy.tickets.create(
        Ticket(
            subject="Callback requested",
            requester_id=CARLOS_ID,
            tags=["Voice", "callback bot"],
            priority="high",
            comment=Comment(body="Caller asked for a callback.", uploads=[upload.token]),
            custom_fields=[{"id": 360001, "value": "contact-1"}],
        )
    )
    ticket = audit.ticket
    # Then the ticket exists with a public first comment carrying the attachment
    assert (ticket.status, ticket.requester_id, ticket.submitter_id) == ("new", CARLOS_ID, ADMIN_ID)
    assert ticket.tags == ["voice", "callback", "bot"]
    assert ticket.description == "Caller asked for a callback."
    comments = list(zenpy.tickets.comments(ticket=ticket.id))
    assert len(comments) == 1
    assert comments[0].public is True
    attachment = comments[0].attachments[0]
    assert (attachment.file_name, attachment.content_type, attachment.size) == (
        "transcript.txt",
        "text/plain",
        21,
    )
    assert requests.get(attachment.content_url, timeout=TIMEOUT).content == b"[00:01] caller: hello"
    assert emulator.store.get_ticket(ticket.id)["comment_count"] == 1  # type: ignore[index]
    # And the raw answer is a 201 with a Location
    created = api.post(
        "/api/v2/tickets.json", json={"ticket": {"comment": {"html_body": "<p>Hi &amp; bye</p>"}}}
    )
    assert created.status_code == 201
    assert created.headers["Location"] == created.json()["ticket"]["url"]
    assert created.json()["ticket"]["description"] == "Hi & bye"
    assert created.json()["audit"]["events"][0]["type"] == "Comment"


def test_create_ticket_with_requester_object_creates_or_reuses_end_user(api: ApiClient) -> None:
    new_requester = {"name": "Walk In", "email": "walk.in@example.com", "phone": "+1 415 555 0999"}
    body = {"ticket": {"subject": "Hi", "comment": {"body": "x"}, "requester": new_requester}}
    created = api.post("/api/v2/tickets.json", json=body).json()["ticket"]
    requester = api.get(f"/api/v2/users/{created['requester_id']}.json").json()["user"]
    assert (requester["name"], requester["role"], requester["phone"]) == (
        "Walk In",
        "end-user",
        "+1 415 555 0999",
    )
    body["ticket"]["requester"] = {"email": "JANE.DOE@example.com"}
    assert api.post("/api/v2/tickets.json", json=body).json()["ticket"]["requester_id"] == JANE_ID
    body["ticket"]["requester"] = {"email": "anon@example.com"}
    anon = api.post("/api/v2/tickets.json", json=body).json()["ticket"]
    assert api.get(f"/api/v2/users/{anon['requester_id']}.json").json()["user"]["name"] == "anon"


def test_create_ticket_from_description_and_via_channel(api: ApiClient) -> None:
    body = {"ticket": {"subject": "Voice", "description": "From the IVR", "via": {"channel": "voice"}}}
    ticket = api.post("/api/v2/tickets.json", json=body).json()["ticket"]
    assert (ticket["description"], ticket["via"]["channel"]) == ("From the IVR", "voice")


@pytest.mark.parametrize(
    ("ticket", "field"),
    [
        ({"subject": "No comment"}, "description"),
        ({"comment": {"body": "   "}}, "comment"),
        ({"comment": "text"}, "comment"),
        ({"comment": {"body": "x", "public": "yes"}}, "comment"),
        ({"comment": {"body": "x", "author_id": 5}}, "comment.author_id"),
        ({"comment": {"body": "x"}, "status": "done"}, "status"),
        ({"comment": {"body": "x"}, "priority": "meh"}, "priority"),
        ({"comment": {"body": "x"}, "type": "chat"}, "type"),
        ({"comment": {"body": "x"}, "subject": 5}, "subject"),
        ({"comment": {"body": "x"}, "requester_id": 5}, "requester_id"),
        ({"comment": {"body": "x"}, "requester_id": True}, "requester_id"),
        ({"comment": {"body": "x"}, "requester": {"phone": "1"}}, "requester"),
        ({"comment": {"body": "x"}, "requester": {"name": "X", "email": "not-an-email"}}, "email"),
        ({"comment": {"body": "x"}, "assignee_id": JANE_ID}, "assignee_id"),
        ({"comment": {"body": "x"}, "tags": "a b"}, "tags"),
        ({"comment": {"body": "x"}, "custom_fields": [{"value": 1}]}, "custom_fields"),
        ({"comment": {"body": "x", "uploads": ["unknown-token"]}}, "uploads"),
        ({"comment": {"body": "x", "uploads": {"token": "t"}}}, "uploads"),
    ],
)
def test_create_ticket_validation_errors_change_nothing(
    api: ApiClient, emulator: ZendeskEmulator, ticket: dict[str, Any], field: str
) -> None:
    before = len(emulator.store.list_tickets()), len(emulator.store.list_users())
    response = api.post("/api/v2/tickets.json", json={"ticket": ticket})
    assert response.status_code == 422, response.text
    assert field in response.json()["details"]
    assert (len(emulator.store.list_tickets()), len(emulator.store.list_users())) == before


def test_rejected_ticket_does_not_spend_its_upload_token(api: ApiClient) -> None:
    # Given an upload, When a create fails validation after naming it, Then the token is still usable
    token = api.post("/api/v2/uploads.json", params={"filename": "t.txt"}, data=b"t").json()["upload"][
        "token"
    ]
    comment = {"body": "x", "uploads": [token]}
    bad = {"ticket": {"comment": comment, "requester": {"name": "X", "email": "not-an-email"}}}
    assert api.post("/api/v2/tickets.json", json=bad).status_code == 422
    good = {"ticket": {"comment": comment, "requester": {"name": "X", "email": "x@example.com"}}}
    assert api.post("/api/v2/tickets.json", json=good).status_code == 201


def test_update_ticket_with_private_comment_through_zenpy(zenpy: Zenpy, emulator: ZendeskEmulator) -> None:
    # Given Jane's open ticket, When zenpy adds an internal note
    before = emulator.store.get_ticket(JANE_OPEN)
    ticket = zenpy.tickets(id=JANE_OPEN)
    ticket.comment = Comment(body="Call summary: printer fixed.", public=False)
    audit = zenpy.tickets.update(ticket)
    # Then zenpy's body carried the id, the note is private, and the comment count and updated_at moved
    assert emulator.requests_log()[-1].json_body() == {
        "ticket": {"id": JANE_OPEN, "comment": {"body": "Call summary: printer fixed.", "public": False}}
    }
    assert zenpy.tickets(id=JANE_OPEN, include=["comment_count"]).comment_count == 6
    assert audit.ticket.updated_at > before["updated_at"]  # type: ignore[index]
    note = emulator.store.get_comments(JANE_OPEN)[-1]
    assert (note["public"], note["author_id"], note["body"]) == (
        False,
        ADMIN_ID,
        "Call summary: printer fixed.",
    )


def test_update_ticket_warns_about_id_in_body(api: ApiClient) -> None:
    body = {"ticket": {"id": JANE_OPEN, "comment": {"body": "note", "public": False}}}
    response = api.put(f"/api/v2/tickets/{JANE_OPEN}.json", json=body)
    assert response.status_code == 200
    assert '"ticket.id"' in response.headers["x-zendesk-api-warn"]
    assert ':action=>"update"' in response.headers["x-zendesk-api-warn"]
    response = api.put(f"/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": {"status": "pending"}})
    assert "x-zendesk-api-warn" not in response.headers
    assert int(response.headers["x-rate-limit-remaining"]) < int(response.headers["x-rate-limit"])


def test_update_ticket_fields_tags_and_custom_fields(api: ApiClient, emulator: ZendeskEmulator) -> None:
    path = f"/api/v2/tickets/{JANE_OPEN}.json"
    body = {
        "ticket": {
            "status": "solved",
            "priority": "low",
            "additional_tags": ["Resolved_By_Bot"],
            "remove_tags": ["hardware"],
            "custom_fields": [{"id": 1, "value": "a"}],
            "assignee_id": AGENT_ID,
            "external_id": 77,
            "group_id": 5,
            "safe_update": True,
        }
    }
    response = api.put(path, json=body).json()
    ticket = response["ticket"]
    assert (ticket["status"], ticket["priority"], ticket["external_id"], ticket["group_id"]) == (
        "solved",
        "low",
        "77",
        5,
    )
    assert ticket["tags"] == ["printer", "resolved_by_bot"]
    changes = {e["field_name"]: (e["previous_value"], e["value"]) for e in response["audit"]["events"]}
    assert changes["status"] == ("open", "solved")
    api.put(
        path, json={"ticket": {"fields": [{"id": 1, "value": "b"}, {"id": 2, "value": "c"}], "tags": ["x y"]}}
    )
    stored = emulator.store.get_ticket(JANE_OPEN)
    assert stored is not None
    assert stored["custom_fields"] == [{"id": 1, "value": "b"}, {"id": 2, "value": "c"}]
    assert stored["fields"] == stored["custom_fields"]
    assert stored["tags"] == ["x", "y"]
    # Unassigning works; an update that changes nothing keeps updated_at
    assert api.put(path, json={"ticket": {"assignee_id": None}}).json()["ticket"]["assignee_id"] is None
    unchanged = api.put(path, json={"ticket": {"status": "solved"}}).json()
    assert unchanged["audit"]["events"] == []


def test_update_ticket_errors(api: ApiClient) -> None:
    closed = api.put(f"/api/v2/tickets/{JANE_CLOSED}.json", json={"ticket": {"comment": {"body": "x"}}})
    assert closed.status_code == 422
    assert "status" in closed.json()["details"]
    missing = api.put("/api/v2/tickets/9999.json", json={"ticket": {"status": "open"}})
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert (
        api.put(f"/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": {"status": "gone"}}).status_code == 422
    )


def test_comment_with_html_body_and_upload_only(api: ApiClient, emulator: ZendeskEmulator) -> None:
    api.put(
        f"/api/v2/tickets/{JANE_OPEN}.json",
        json={"ticket": {"comment": {"html_body": "<b>Bold</b><br>line"}}},
    )
    comment = emulator.store.get_comments(JANE_OPEN)[-1]
    assert comment["body"] == "Bold\nline"
    assert comment["html_body"] == "<b>Bold</b><br>line"
    upload = api.post("/api/v2/uploads.json", params={"filename": "a.bin"}, data=b"\xff\xfe").json()
    token = upload["upload"]["token"]
    assert emulator.requests_log()[-1].body is None  # binary bodies are not logged as text
    api.put(f"/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": {"comment": {"uploads": token}}})
    comment = emulator.store.get_comments(JANE_OPEN)[-1]
    assert comment["body"] == ""
    assert len(comment["attachments"]) == 1


def test_add_tags_through_zenpy_and_tag_endpoint_methods(
    zenpy: Zenpy, api: ApiClient, emulator: ZendeskEmulator
) -> None:
    # zenpy's add_tags is PUT /tickets/{id}/tags.json {"tags": [...]} and yields the resulting tags
    tags = list(zenpy.tickets.add_tags(JANE_OPEN, ["VIP", "printer"]))
    assert tags == ["printer", "hardware", "vip"]
    logged = emulator.requests_log()[-1]
    assert (logged.method, logged.path, logged.json_body()) == (
        "PUT",
        f"/api/v2/tickets/{JANE_OPEN}/tags.json",
        {"tags": ["VIP", "printer"]},
    )
    path = f"/api/v2/tickets/{JANE_OPEN}/tags.json"
    updated_at = emulator.store.get_ticket(JANE_OPEN)["updated_at"]  # type: ignore[index]
    assert api.put(path, json={"tags": ["vip"]}).json() == {"tags": ["printer", "hardware", "vip"]}
    assert emulator.store.get_ticket(JANE_OPEN)["updated_at"] == updated_at  # type: ignore[index]
    assert api.get(path).json() == {"tags": ["printer", "hardware", "vip"]}
    assert api.request("DELETE", path, json={"tags": ["hardware"]}).json() == {"tags": ["printer", "vip"]}
    assert api.post(path, json={"tags": ["only"]}).json() == {"tags": ["only"]}
    assert api.get("/api/v2/tickets/9999/tags.json").status_code == 404


def test_comments_listing(zenpy: Zenpy, api: ApiClient) -> None:
    comments = list(zenpy.tickets.comments(ticket=JANE_OPEN))
    assert [c.public for c in comments] == [True, True, False, True, True]
    assert [c.author_id for c in comments[:2]] == [JANE_ID, AGENT_ID]
    newest_first = api.get(f"/api/v2/tickets/{JANE_OPEN}/comments.json", params={"sort_order": "desc"}).json()
    assert newest_first["comments"][0]["body"].startswith("That address means")
    assert newest_first["comments"][0]["attachments"] == []
    assert api.get("/api/v2/tickets/9999/comments.json").status_code == 404


def test_concurrent_comments_are_all_kept(api: ApiClient, emulator: ZendeskEmulator) -> None:
    # Given 16 writers, When they comment at once, Then every comment lands and the count is exact
    def comment(number: int) -> None:
        client = ApiClient(emulator)
        body = {"ticket": {"comment": {"body": f"note {number}", "public": False}}}
        assert client.put(f"/api/v2/tickets/{JANE_PENDING}.json", json=body).status_code == 200
        client.session.close()

    threads = [threading.Thread(target=comment, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shown = api.get(f"/api/v2/tickets/{JANE_PENDING}.json", params={"include": "comment_count"})
    assert shown.json()["ticket"]["comment_count"] == 18
    ids = [c["id"] for c in emulator.store.get_comments(JANE_PENDING)]
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------- uploads
def test_uploads_group_files_under_one_token(zenpy: Zenpy, api: ApiClient, emulator: ZendeskEmulator) -> None:
    first = zenpy.attachments.upload(b"first", target_name="notes.txt")
    second = api.post(
        "/api/v2/uploads.json",
        params={"filename": "call recording.wav", "token": first.token},
        data=b"RIFF....",
        headers={"Content-Type": "application/octet-stream"},
    )
    # Zendesk labels the upload answer text/plain although it is JSON
    assert second.status_code == 201
    assert second.headers["Content-Type"].startswith("text/plain")
    upload = second.json()["upload"]
    assert upload["token"] == first.token
    assert len(upload["attachments"]) == 2
    assert upload["attachment"]["content_url"].endswith("?name=call%20recording.wav")
    assert upload["attachment"]["content_type"] == "audio/x-wav"
    assert parse_time(upload["expires_at"]) - datetime.now(UTC) > timedelta(days=2, hours=23)
    shown = api.get(f"/api/v2/attachments/{upload['attachment']['id']}.json").json()["attachment"]
    assert shown["file_name"] == "call recording.wav"
    assert api.get("/api/v2/attachments/1.json").status_code == 404
    # When a comment references the token, Then both files are attached and the token is spent
    api.put(
        f"/api/v2/tickets/{JANE_OPEN}.json",
        json={"ticket": {"comment": {"body": "files", "uploads": [first.token]}}},
    )
    assert len(emulator.store.get_comments(JANE_OPEN)[-1]["attachments"]) == 2
    stored = emulator.store.get_upload(first.token)
    assert stored is not None
    assert stored.used
    again = api.put(
        f"/api/v2/tickets/{JANE_OPEN}.json",
        json={"ticket": {"comment": {"body": "x", "uploads": [first.token]}}},
    )
    assert again.status_code == 422
    assert (
        api.post(
            "/api/v2/uploads.json", params={"filename": "c.txt", "token": first.token}, data=b"c"
        ).status_code
        == 422
    )


def test_upload_content_type_fallbacks_and_errors(api: ApiClient, emulator: ZendeskEmulator) -> None:
    def content_type_of(filename: str, header: str) -> str:
        response = api.post(
            "/api/v2/uploads.json", params={"filename": filename}, data=b"x", headers={"Content-Type": header}
        )
        return str(response.json()["upload"]["attachment"]["content_type"])

    assert content_type_of("blob", "image/png; charset=binary") == "image/png"
    assert content_type_of("blob", "application/x-www-form-urlencoded") == "application/octet-stream"
    missing = api.post("/api/v2/uploads.json", data=b"x")
    assert missing.status_code == 422
    assert "filename" in missing.json()["details"]
    assert api.get("/attachments/token/unknown/?name=x").status_code == 404
    # An expired upload can no longer be referenced
    token = api.post("/api/v2/uploads.json", params={"filename": "old.txt"}, data=b"old").json()["upload"][
        "token"
    ]
    emulator.store.uploads[token].expires_at = datetime.now(UTC) - timedelta(seconds=1)
    expired = api.put(
        f"/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": {"comment": {"body": "x", "uploads": [token]}}}
    )
    assert expired.status_code == 422
    assert emulator.store.get_upload("nope") is None


def test_chunked_body_with_extension_and_trailer(emulator: ZendeskEmulator) -> None:
    credentials = base64.b64encode(f"{emulator.email}/token:{emulator.api_token}".encode()).decode()
    request = (
        "POST /api/v2/uploads.json?filename=t.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Basic {credentials}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;note=1\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=TIMEOUT) as raw:
        raw.sendall(request.encode())
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201")
    assert emulator.requests_log()[-1].body == "hello"


def test_chunked_upload_body(api: ApiClient, emulator: ZendeskEmulator) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"part one, "
        yield b"part two"

    response = api.post("/api/v2/uploads.json", params={"filename": "stream.log"}, data=chunks())
    attachment_id = response.json()["upload"]["attachment"]["id"]
    assert emulator.store.attachment_content(attachment_id) == b"part one, part two"


# --------------------------------------------------------------------------- authentication and routing
def test_wrong_or_missing_credentials_are_401(
    emulator: ZendeskEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{emulator.url}/api/v2/users/{JANE_ID}.json"
    for auth in [(f"{emulator.email}/token", "wrong"), (emulator.email, emulator.api_token), None]:
        response = requests.get(url, auth=auth, timeout=TIMEOUT)
        assert (response.status_code, response.json()) == (401, {"error": "Couldn't authenticate you"})
    utf8_user = base64.b64encode("jürgen@example.com/token:x".encode()).decode()
    for header in ["Bearer abc", "Basic !!!notbase64", "Basic " + "//79", f"Basic {utf8_user}"]:
        assert requests.get(url, headers={"Authorization": header}, timeout=TIMEOUT).status_code == 401
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", emulator.netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    intruder = Zenpy(subdomain="demo", email=emulator.email, token="stolen", disable_cache=True)
    with pytest.raises(APIException, match="Couldn't authenticate you"):
        intruder.users(id=JANE_ID)


def test_unknown_paths_and_methods(api: ApiClient) -> None:
    assert api.get("/api/v2/macros.json").json() == {"error": "InvalidEndpoint", "description": "Not found"}
    assert api.request("DELETE", f"/api/v2/users/{JANE_ID}.json").status_code == 404
    assert api.get("/favicon.ico").status_code == 404


def test_emulator_lifecycle_errors() -> None:
    emu = ZendeskEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.url
    emu.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
    finally:
        emu.stop()
    emu.stop()  # stopping twice is harmless


def test_client_that_gives_up_does_not_break_the_server(emulator: ZendeskEmulator, api: ApiClient) -> None:
    # Given latency, When a client resets its connection before the answer, Then the server carries on
    emulator.faults = FaultConfig(latency_ms=300)
    raw = socket.create_connection(("127.0.0.1", emulator.port))
    raw.sendall(b"GET /api/v2/users/me.json HTTP/1.1\r\nHost: x\r\n\r\n")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()
    deadline = time.monotonic() + TIMEOUT
    while not any(entry.ended for entry in emulator.requests_log()) and time.monotonic() < deadline:
        time.sleep(0.02)
    emulator.faults = FaultConfig()
    assert api.get("/api/v2/users/me.json").status_code == 200


# --------------------------------------------------------------------------- faults
def test_rate_limit_with_retry_after_and_plain_text_body(
    api: ApiClient, emulator: ZendeskEmulator, zenpy: Zenpy
) -> None:
    emulator.faults = FaultConfig(mode="rate_limit", retry_after=7)
    response = api.get(f"/api/v2/users/{JANE_ID}.json")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.text == "Number of allowed API requests per minute exceeded"
    assert (response.headers["x-rate-limit"], response.headers["x-rate-limit-remaining"]) == ("700", "0")
    assert response.headers["ratelimit-reset"] == "7"
    # zenpy would sleep Retry-After seconds; with a zero budget it gives up at once
    budgeted = Zenpy(subdomain="demo", email=emulator.email, token=emulator.api_token, ratelimit_budget=0)
    with pytest.raises(RatelimitBudgetExceeded):
        budgeted.users(id=JANE_ID)


def test_rate_limit_without_retry_after(api: ApiClient, emulator: ZendeskEmulator, zenpy: Zenpy) -> None:
    emulator.faults = FaultConfig(mode="rate_limit", retry_after=None)
    response = api.get(f"/api/v2/users/{JANE_ID}.json")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.headers["ratelimit-reset"] == "60"
    # zenpy raises at once: no Retry-After to honour, and the body is not JSON
    with pytest.raises(requests.HTTPError):
        zenpy.users(id=JANE_ID)


@pytest.mark.parametrize(("status", "error"), [(503, "ServiceUnavailable"), (500, "InternalError")])
def test_server_errors(
    api: ApiClient, emulator: ZendeskEmulator, zenpy: Zenpy, status: int, error: str
) -> None:
    emulator.faults = FaultConfig(mode="server_error", error_status=status)
    response = api.get(f"/api/v2/users/{JANE_ID}.json")
    assert (response.status_code, response.json()["error"]) == (status, error)
    with pytest.raises(APIException):
        zenpy.users(id=JANE_ID)


def test_malformed_bodies(api: ApiClient, emulator: ZendeskEmulator, zenpy: Zenpy) -> None:
    emulator.faults = FaultConfig(mode="malformed")
    response = api.get(f"/api/v2/users/{JANE_ID}.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError, match=r"Unterminated|Expecting|Invalid"):
        response.json()
    # zenpy hands back the raw requests.Response for an unparseable 200 instead of raising
    assert isinstance(zenpy.users(id=JANE_ID), requests.Response)
    # A write is carried out before its answer is garbled (201 keeps its status)
    before = len(emulator.store.list_tickets())
    with pytest.raises(ZenpyException):
        zenpy.tickets.create(Ticket(subject="dup?", comment=Comment(body="x")))
    assert len(emulator.store.list_tickets()) == before + 1
    # An error answer becomes a garbled 200 too
    assert api.get("/api/v2/users/1.json").status_code == 200


def test_hang_is_released_by_stop() -> None:
    emu = ZendeskEmulator(faults=FaultConfig(mode="hang", hang_seconds=30))
    emu.start()
    url = f"{emu.url}/api/v2/users/me.json"
    with pytest.raises(requests.ReadTimeout):
        requests.get(url, timeout=0.2)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
    entry = emu.requests_log()[-1]
    assert (entry.fault, entry.status) == ("hang", None)
    assert entry.ended is not None


def test_short_hang_drops_the_connection(emulator: ZendeskEmulator) -> None:
    emulator.faults = FaultConfig(mode="hang", hang_seconds=0.1)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.url}/api/v2/users/me.json", timeout=TIMEOUT)
    assert time.monotonic() - started < 2


def test_stop_releases_a_request_waiting_on_latency() -> None:
    emu = ZendeskEmulator(faults=FaultConfig(latency_ms=30_000))
    emu.start()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(f"{emu.url}/api/v2/users/me.json", timeout=TIMEOUT)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + TIMEOUT
    while not emu.requests_log() and time.monotonic() < deadline:
        time.sleep(0.01)
    emu.stop()
    caller.join(TIMEOUT)
    assert errors
    assert isinstance(errors[0], requests.ConnectionError)


def test_latency_delays_every_matching_answer(api: ApiClient, emulator: ZendeskEmulator) -> None:
    emulator.faults = FaultConfig(latency_ms=150)
    started = time.monotonic()
    assert api.get("/api/v2/users/me.json").status_code == 200
    assert time.monotonic() - started >= 0.15
    entry = emulator.requests_log()[-1]
    assert entry.duration is not None
    assert entry.duration >= 0.15
    assert entry.fault is None


def test_count_limits_the_faults(api: ApiClient, emulator: ZendeskEmulator) -> None:
    emulator.faults = FaultConfig(mode="server_error", count=2)
    statuses = [api.get("/api/v2/users/me.json").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [entry.fault for entry in emulator.requests_log()] == ["server_error", "server_error", None]
    # Setting the config again restarts the count; mutating it in place is seen at once
    emulator.faults = FaultConfig(mode="server_error", count=1)
    assert api.get("/api/v2/users/me.json").status_code == 503
    emulator.faults.count = 2
    assert api.get("/api/v2/users/me.json").status_code == 503
    assert api.get("/api/v2/users/me.json").status_code == 200


def test_path_pattern_selects_the_faulted_endpoints(api: ApiClient, emulator: ZendeskEmulator) -> None:
    emulator.faults = FaultConfig(mode="server_error", path_pattern=r"/search\.json$")
    assert api.get("/api/v2/search.json", params={"query": "type:user"}).status_code == 503
    assert api.get(f"/api/v2/users/{JANE_ID}.json").status_code == 200
    # Attachment content is outside /api/v2 and so outside the default pattern
    emulator.faults = FaultConfig(mode="server_error")
    assert api.get("/attachments/token/none/").status_code == 404


def test_faults_never_apply_to_control_endpoints(emulator: ZendeskEmulator) -> None:
    emulator.faults = FaultConfig(mode="server_error", path_pattern=".*")
    response = requests.get(f"{emulator.url}/__emulator/health", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert emulator.requests_log() == []


# --------------------------------------------------------------------------- control endpoints
def test_control_endpoints(emulator: ZendeskEmulator, api: ApiClient) -> None:
    control = f"{emulator.url}/__emulator"
    health = requests.get(f"{control}/health", timeout=TIMEOUT).json()
    assert (health["users"], health["tickets"], health["url"]) == (11, 12, emulator.url)
    # Faults set across processes
    response = requests.post(
        f"{control}/faults", json={"mode": "rate_limit", "retry_after": None}, timeout=TIMEOUT
    )
    assert response.json()["faults"]["mode"] == "rate_limit"
    assert emulator.faults.retry_after is None
    assert api.get("/api/v2/users/me.json").status_code == 429
    assert requests.get(f"{control}/faults", timeout=TIMEOUT).json()["faults"]["mode"] == "rate_limit"
    assert requests.post(f"{control}/faults", json={}, timeout=TIMEOUT).json()["faults"]["mode"] == "none"
    # The request log, as JSON
    logged = requests.get(f"{control}/requests", timeout=TIMEOUT).json()["requests"]
    assert [(e["path"], e["status"], e["fault"]) for e in logged] == [
        ("/api/v2/users/me.json", 429, "rate_limit")
    ]
    assert logged[0]["duration"] >= 0
    assert requests.delete(f"{control}/requests", timeout=TIMEOUT).json() == {"requests": []}
    assert emulator.requests_log() == []
    # Reset restores the seed and clears the log
    api.put(f"/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": {"status": "solved"}})
    reset = requests.post(f"{control}/reset", timeout=TIMEOUT).json()
    assert reset["status"] == "reset"
    assert emulator.store.get_ticket(JANE_OPEN)["status"] == "open"  # type: ignore[index]
    assert emulator.requests_log() == []
    assert requests.get(f"{control}/nope", timeout=TIMEOUT).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"mode": "explode"}',
        b'{"colour": "red"}',
        b"[1]",
        b"not json",
        b'{"latency_ms": "slow"}',
        b'{"path_pattern": "("}',
    ],
)
def test_control_rejects_bad_fault_configs(emulator: ZendeskEmulator, body: bytes) -> None:
    response = requests.post(f"{emulator.url}/__emulator/faults", data=body, timeout=TIMEOUT)
    assert (response.status_code, response.json()["error"]) == (400, "InvalidFaultConfig")
    assert emulator.faults == FaultConfig()


def test_reset_with_a_dataset(emulator: ZendeskEmulator) -> None:
    dataset = {"users": [{"id": 7, "name": "Only One", "phone": "+1 555 0100", "created_hours_ago": 1}]}
    response = requests.post(f"{emulator.url}/__emulator/reset", json={"dataset": dataset}, timeout=TIMEOUT)
    assert response.json()["users"] == 2  # plus the API user
    assert emulator.store.get_user(JANE_ID) is None
    assert emulator.store.get_ticket(JANE_OPEN) is None
    assert requests.post(f"{emulator.url}/__emulator/reset", data=b"{", timeout=TIMEOUT).status_code == 400
    emulator.reset()
    assert emulator.store.get_user(JANE_ID) is not None


# --------------------------------------------------------------------------- FaultConfig
def test_fault_config_from_env() -> None:
    env = {
        "ZENDESK_EMULATOR_LATENCY_MS": "250",
        "ZENDESK_EMULATOR_FAULT": "RATE_LIMIT",
        "ZENDESK_EMULATOR_RETRY_AFTER": "none",
        "ZENDESK_EMULATOR_FAULT_PATHS": "/search",
        "ZENDESK_EMULATOR_FAULT_COUNT": "3",
        "ZENDESK_EMULATOR_HANG_SECONDS": "1.5",
    }
    config = FaultConfig.from_env(env)
    assert config == FaultConfig(
        latency_ms=250, mode="rate_limit", retry_after=None, path_pattern="/search", count=3, hang_seconds=1.5
    )
    assert FaultConfig.from_env({"ZENDESK_EMULATOR_RETRY_AFTER": "12"}).retry_after == 12
    assert FaultConfig.from_env({"ZENDESK_EMULATOR_FAULT": "  "}) == FaultConfig()
    assert FaultConfig.from_env({}) == FaultConfig()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ZENDESK_EMULATOR_LATENCY_MS", "fast", "must be an integer"),
        ("ZENDESK_EMULATOR_HANG_SECONDS", "long", "must be a number"),
        ("ZENDESK_EMULATOR_FAULT", "explode", "fault mode must be one of"),
        ("ZENDESK_EMULATOR_FAULT_COUNT", "-1", "must not be negative"),
        ("ZENDESK_EMULATOR_FAULT_PATHS", "(", "not a valid regular expression"),
    ],
)
def test_fault_config_from_env_rejects_bad_values(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultConfig.from_env({name: value})


def test_fault_config_validation() -> None:
    with pytest.raises(ValueError, match="error_status"):
        FaultConfig(error_status=404)
    with pytest.raises(ValueError, match="path_pattern must be a string"):
        FaultConfig.from_dict({"path_pattern": 5})
    with pytest.raises(ValueError, match="must be a number"):
        FaultConfig.from_dict({"count": True})
    assert FaultConfig.from_dict({"mode": "hang", "hang_seconds": 2}).to_dict()["hang_seconds"] == 2


# --------------------------------------------------------------------------- command line
def test_cli_module_serves_health_until_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "ZENDESK_EMULATOR_FAULT": "server_error", **subprocess_coverage_env()}
    process = subprocess.Popen(
        [sys.executable, "-m", "connect_zendesk_local.zendesk_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,  # the seed comes from package data, not from the working directory
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.split("listening on ")[1].split()[0]
        assert requests.get(f"{url}/__emulator/health", timeout=TIMEOUT).json()["status"] == "ok"
        assert requests.get(f"{url}/api/v2/users/me.json", timeout=TIMEOUT).status_code == 503
        process.send_signal(signal.SIGINT)
        assert process.wait(TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)


def subprocess_coverage_env() -> dict[str, str]:
    """When the suite runs under `coverage run`, measure the child process too (combined later)."""
    if "COVERAGE_RUN" not in os.environ:
        return {}
    root = Path(__file__).resolve().parents[2]
    data_file = Path.cwd() / ".coverage"
    return {"COVERAGE_PROCESS_START": str(root / "pyproject.toml"), "COVERAGE_FILE": str(data_file)}


def test_cli_main_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ZENDESK_EMULATOR_FAULT", raising=False)
    dataset_file = tmp_path / "tiny.json"
    dataset_file.write_text(json.dumps({"users": [{"id": 5, "name": "Tiny", "email": "bot@example.com"}]}))
    stop = threading.Event()
    seen: dict[str, Any] = {}

    def on_ready(emu: ZendeskEmulator) -> None:
        response = requests.get(
            f"{emu.url}/api/v2/users/me.json", auth=("bot@example.com/token", "t0k"), timeout=TIMEOUT
        )
        seen["me"] = response.json()["user"]["name"]
        stop.set()

    argv = ["--port", "0", "--dataset", str(dataset_file), "--email", "bot@example.com", "--token", "t0k"]
    assert cli_main(argv, stop=stop, on_ready=on_ready) == 0
    assert seen == {"me": "Tiny"}
    assert "listening on http://127.0.0.1:" in capsys.readouterr().out


def test_cli_main_stops_on_ctrl_c_and_rejects_bad_env(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(_emu: ZendeskEmulator) -> None:
        raise KeyboardInterrupt

    assert cli_main(["--port", "0"], on_ready=interrupt) == 0
    already_stopped = threading.Event()
    already_stopped.set()
    assert cli_main(["--port", "0"], stop=already_stopped) == 0
    monkeypatch.setenv("ZENDESK_EMULATOR_FAULT", "explode")
    assert cli_main(["--port", "0"]) == 2
