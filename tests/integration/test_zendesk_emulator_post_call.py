"""The emulator endpoints the after-call steps added: listing tickets (by external id), and the
writes they make, over raw HTTP as Zendesk documents them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from connect_zendesk_local.zendesk_emulator import ZendeskEmulator

pytestmark = pytest.mark.integration

JANE_ID = 22450000001001


@pytest.fixture
def api() -> Iterator[tuple[ZendeskEmulator, requests.Session]]:
    with ZendeskEmulator() as emulator:
        session = requests.Session()
        session.auth = (f"{emulator.email}/token", emulator.api_token)
        yield emulator, session
        session.close()


def test_tickets_are_listed_and_filtered_by_external_id(
    api: tuple[ZendeskEmulator, requests.Session],
) -> None:
    emulator, session = api
    body = {
        "ticket": {
            "subject": "Phone call",
            "requester_id": JANE_ID,
            "external_id": "connect-contact:abc",
            "via": {"channel": "voice"},
            "comment": {"body": "note", "public": False},
        }
    }
    created = session.post(f"{emulator.url}/api/v2/tickets.json", json=body, timeout=5).json()["ticket"]
    assert (created["via"]["channel"], created["is_public"]) == ("voice", False)

    everything = session.get(f"{emulator.url}/api/v2/tickets.json", timeout=5).json()
    assert everything["count"] == len(emulator.store.list_tickets())
    found = session.get(
        f"{emulator.url}/api/v2/tickets.json", params={"external_id": "connect-contact:abc"}, timeout=5
    )
    assert [t["id"] for t in found.json()["tickets"]] == [created["id"]]
    none = session.get(f"{emulator.url}/api/v2/tickets", params={"external_id": "nope"}, timeout=5).json()
    assert (none["tickets"], none["count"], none["next_page"]) == ([], 0, None)


def test_newest_comments_first_with_a_page_size(api: tuple[ZendeskEmulator, requests.Session]) -> None:
    emulator, session = api
    for number in range(3):
        session.put(
            f"{emulator.url}/api/v2/tickets/1001.json",
            json={
                "ticket": {"comment": {"body": f"note {number}", "public": False}, "additional_tags": ["x"]}
            },
            timeout=5,
        )
    page = session.get(
        f"{emulator.url}/api/v2/tickets/1001/comments.json",
        params={"sort_order": "desc", "per_page": "2"},
        timeout=5,
    ).json()
    assert [c["body"] for c in page["comments"]] == ["note 2", "note 1"]
    assert page["next_page"] is not None
