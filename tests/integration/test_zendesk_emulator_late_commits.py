"""What the exactly-once writes rely on, as the emulator speaks it over raw HTTP: safe updates (409 on a
stale ``updated_stamp``), ``Idempotency-Key`` on ticket creation (replay, mismatch, in progress), and
late commits (writes held past the client's timeout, applied when the test says)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from connect_zendesk_local.zendesk_emulator import LateWriteConfig, ZendeskEmulator

pytestmark = pytest.mark.integration

JANE_ID = 22450000001001
JANE_OPEN = 1001
TIMEOUT = 5


@pytest.fixture
def api() -> Iterator[tuple[ZendeskEmulator, requests.Session]]:
    with ZendeskEmulator() as emulator:
        session = requests.Session()
        session.auth = (f"{emulator.email}/token", emulator.api_token)
        yield emulator, session
        session.close()


def stamp_of(emulator: ZendeskEmulator, session: requests.Session, ticket_id: int = JANE_OPEN) -> str:
    answer = session.get(f"{emulator.url}/api/v2/tickets/{ticket_id}.json", timeout=TIMEOUT)
    return str(answer.json()["ticket"]["updated_at"])


def safe_note(
    emulator: ZendeskEmulator, session: requests.Session, body: str, stamp: str
) -> requests.Response:
    ticket = {"comment": {"body": body, "public": False}, "safe_update": True, "updated_stamp": stamp}
    return session.put(
        f"{emulator.url}/api/v2/tickets/{JANE_OPEN}.json", json={"ticket": ticket}, timeout=TIMEOUT
    )


def bodies(emulator: ZendeskEmulator, ticket_id: int = JANE_OPEN) -> list[str]:
    return [str(c["body"]) for c in emulator.store.get_comments(ticket_id)]


def new_ticket(note: str = "note") -> dict[str, Any]:
    return {
        "ticket": {
            "subject": "Phone call",
            "requester_id": JANE_ID,
            "external_id": "connect-contact:late",
            "comment": {"body": note, "public": False},
        }
    }


def test_a_safe_update_with_a_stale_stamp_is_refused_with_zendesks_409(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    stamp = stamp_of(emulator, session)
    assert safe_note(emulator, session, "first", stamp).status_code == 200
    emulator.store.advance_clock(1)  # the next update happens in a later second

    refused = safe_note(emulator, session, "second", stamp)

    assert refused.status_code == 409
    assert refused.json()["error"] == "UpdateConflict"
    assert "Safe Update prevented the update" in refused.json()["description"]
    assert "second" not in bodies(emulator)
    assert safe_note(emulator, session, "second", stamp_of(emulator, session)).status_code == 200


def test_a_safe_update_needs_a_time_and_plain_updates_are_unchecked(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    assert safe_note(emulator, session, "x", "yesterday").status_code == 400
    old = "2000-01-01T00:00:00Z"
    plain = {"ticket": {"comment": {"body": "plain", "public": False}, "updated_stamp": old}}
    url = f"{emulator.url}/api/v2/tickets/{JANE_OPEN}.json"
    assert session.put(url, json=plain, timeout=TIMEOUT).status_code == 200


def test_an_idempotency_key_replays_the_first_ticket_and_refuses_other_parameters(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    url, key = f"{emulator.url}/api/v2/tickets.json", {"Idempotency-Key": "connect-contact:late"}
    first = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)
    again = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)
    other = session.post(url, json=new_ticket("other"), headers=key, timeout=TIMEOUT)

    assert (first.status_code, first.headers["x-idempotency-lookup"]) == (201, "miss")
    assert (again.status_code, again.headers["x-idempotency-lookup"]) == (201, "hit")
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert other.status_code == 400
    assert other.json() == {
        "error": "IdempotentRequestError",
        "description": "Request parameters don't match the given idempotency key",
    }
    made = [t for t in emulator.store.list_tickets() if t["external_id"] == "connect-contact:late"]
    assert len(made) == 1


def test_an_idempotency_key_lasts_two_hours(api: tuple[ZendeskEmulator, requests.Session]) -> None:
    emulator, session = api
    url, key = f"{emulator.url}/api/v2/tickets.json", {"Idempotency-Key": "k"}
    first = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT).json()["ticket"]["id"]
    emulator.store.advance_clock(2 * 3600 + 1)
    later = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)
    assert later.headers["x-idempotency-lookup"] == "miss"
    assert later.json()["ticket"]["id"] != first


def test_a_late_write_is_held_then_applied_only_when_asked(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    emulator.arm_late_writes(LateWriteConfig(path_pattern=r"^/api/v2/tickets/\d+", hold_seconds=0.05))
    stamp = stamp_of(emulator, session)

    # The client hears nothing (a dropped connection) and nothing is applied yet
    with pytest.raises(requests.ConnectionError):
        safe_note(emulator, session, "late [m]", stamp)
    assert "late [m]" not in bodies(emulator)
    (logged,) = [r for r in emulator.requests_log() if r.method == "PUT"]
    assert (logged.status, logged.fault) == (None, "late_write")

    # Applied two minutes later in emulator time: the ticket's updated_at moves past every earlier stamp
    assert emulator.apply_late_writes() == [200]
    assert bodies(emulator).count("late [m]") == 1
    assert stamp_of(emulator, session) > stamp
    assert emulator.late_writes()["applied"][0]["status"] == 200
    assert emulator.apply_late_writes() == []


def test_a_late_write_landing_after_another_update_is_refused(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    emulator.arm_late_writes(LateWriteConfig(path_pattern=r"^/api/v2/tickets/\d+", hold_seconds=0.05))
    stamp = stamp_of(emulator, session)
    with pytest.raises(requests.ConnectionError):
        safe_note(emulator, session, "late", stamp)
    assert safe_note(emulator, session, "retry", stamp).status_code == 200  # the retry lands first

    assert emulator.apply_late_writes() == [409]
    assert "late" not in bodies(emulator)
    assert bodies(emulator).count("retry") == 1


def test_a_held_create_keeps_its_idempotency_key_in_progress_until_applied(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    url, key = f"{emulator.url}/api/v2/tickets.json", {"Idempotency-Key": "connect-contact:late"}
    emulator.arm_late_writes(LateWriteConfig(path_pattern=r"^/api/v2/tickets", hold_seconds=0.05))
    with pytest.raises(requests.ConnectionError):
        session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)

    in_progress = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)
    assert in_progress.status_code == 409
    assert in_progress.json()["error"] == "IdempotentRequestInProgress"

    assert emulator.apply_late_writes() == [201]
    replay = session.post(url, json=new_ticket(), headers=key, timeout=TIMEOUT)
    assert replay.headers["x-idempotency-lookup"] == "hit"
    made = [t for t in emulator.store.list_tickets() if t["external_id"] == "connect-contact:late"]
    assert [t["id"] for t in made] == [replay.json()["ticket"]["id"]]


def test_late_writes_are_controlled_over_http_and_the_request_log_still_works(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    control = f"{emulator.url}/__emulator/late-writes"
    armed = session.post(
        control, json={"path_pattern": "^/api/v2/tickets/", "hold_seconds": 0}, timeout=TIMEOUT
    )
    assert armed.json()["armed"]["count"] == 1
    assert session.post(control, json={"late_seconds": 121}, timeout=TIMEOUT).status_code == 400
    assert session.post(control, json={"colour": "red"}, timeout=TIMEOUT).status_code == 400

    with pytest.raises(requests.ConnectionError):
        safe_note(emulator, session, "held", stamp_of(emulator, session))
    assert len(session.get(control, timeout=TIMEOUT).json()["queued"]) == 1
    applied = session.post(f"{control}/apply", json={}, timeout=TIMEOUT).json()
    assert applied["statuses"] == [200]

    logged = session.get(f"{emulator.url}/__emulator/requests", timeout=TIMEOUT).json()["requests"]
    assert [(r["method"], r["fault"]) for r in logged] == [("GET", None), ("PUT", "late_write")]
    assert session.delete(control, timeout=TIMEOUT).json() == {
        "armed": {
            **armed.json()["armed"],
            "count": 0,
            "path_pattern": r"^/api/v2/tickets",
            "hold_seconds": 0.2,
        },
        "queued": [],
        "applied": [],
    }
