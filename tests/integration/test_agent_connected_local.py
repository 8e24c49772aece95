"""agent_connected's Zendesk requests against the emulator: the documented bodies, the pops, and the
request budget counted in the emulator's request log (/__emulator/requests)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests
from connect_zendesk.adapters.zendesk.agent_desk import ZendeskAgentDesk
from connect_zendesk.adapters.zendesk.client import _build
from connect_zendesk.deadline import Deadline, deadline_scope
from connect_zendesk.errors import ZendeskRateLimited, ZendeskTimeout
from connect_zendesk_local.zendesk_emulator import ZendeskEmulator
from connect_zendesk_local.zendesk_emulator.faults import FaultConfig
from connect_zendesk_local.zendesk_emulator.talk import displayed
from unit.test_agent_connected import AGENT, CONTACT, LEG_2, Rig

pytestmark = pytest.mark.integration

ALEX = 22450000000102  # alex.agent@example.com in the demo dataset
JANE = 22450000001001
JANE_TICKET = 1001


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[ZendeskEmulator]:
    with ZendeskEmulator() as running:
        monkeypatch.setenv("ZENPY_FORCE_NETLOC", running.netloc)
        monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
        yield running


def local_rig(emulator: ZendeskEmulator, items: dict[str, dict[str, object]]) -> Rig:
    from connect_zendesk.settings import Settings

    settings = Settings.from_env(
        {
            "CONNECT_INSTANCE_ID": "12345678-1234-1234-1234-123456789012",
            "CONTACT_ID_TICKET_FIELD_ID": "360000123",
            "AGENT_CONNECTED_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
        }
    )
    rig = Rig(settings, items)
    client = _build("demo", "zendesk.com", emulator.email, "secret", emulator.api_token)
    rig.desk = ZendeskAgentDesk(lambda: client)  # type: ignore[assignment]
    rig.connect.users[AGENT] = dataclasses.replace(rig.connect.users[AGENT], email="alex.agent@example.com")
    rig.services = rig._services()
    return rig


def logged(emulator: ZendeskEmulator) -> list[str]:
    """The API requests in the emulator's log, read over HTTP as the demo reads it."""
    entries = requests.get(f"{emulator.url}/__emulator/requests", timeout=5).json()["requests"]
    return [f"{e['method']} {e['path']}" for e in entries if e["path"].startswith("/api/v2/")]


def test_chosen_ticket_assigned_with_the_field_and_popped_in_three_then_two_requests(
    emulator: ZendeskEmulator,
) -> None:
    rig = local_rig(emulator, {CONTACT: {"zendeskUserId": JANE, "selectedTicketId": JANE_TICKET}, LEG_2: {}})
    emulator.clear_requests_log()
    rig.run()
    assert logged(emulator) == [
        "GET /api/v2/users/search.json",
        f"PUT /api/v2/tickets/{JANE_TICKET}.json",
        f"POST /api/v2/channels/voice/agents/{ALEX}/tickets/{JANE_TICKET}/display.json",
    ]
    ticket = emulator.store.ticket(JANE_TICKET)
    assert ticket["assignee_id"] == ALEX
    assert {"id": 360000123, "value": CONTACT} in ticket["custom_fields"]
    assert f"connect_contact_{CONTACT}" in ticket["tags"]
    assert displayed(emulator.store) == [("ticket", ALEX, JANE_TICKET)]

    emulator.clear_requests_log()
    rig.run(LEG_2, initialContactId=CONTACT, previousContactId=CONTACT)  # transfer: mapping cached
    assert len(logged(emulator)) == 2
    assert displayed(emulator.store)[-1] == ("ticket", ALEX, JANE_TICKET)


def test_unknown_caller_gets_a_voice_ticket_in_four_requests(emulator: ZendeskEmulator) -> None:
    rig = local_rig(emulator, {CONTACT: {"callerE164": "+14155550199"}})
    emulator.clear_requests_log()
    rig.run()
    assert len(logged(emulator)) == 4
    leg = rig.leg()
    ticket = emulator.store.ticket(leg["ticketId"])
    assert ticket["via"]["channel"] == "voice"
    assert ticket["requester_id"] == leg["createdUserId"]
    assert ticket["assignee_id"] == ALEX
    assert ticket["external_id"] == f"connect-contact:{CONTACT}"


def test_agent_not_signed_in_to_talk_is_a_counted_refusal(emulator: ZendeskEmulator) -> None:
    emulator.store.users[ALEX]["talk_signed_in"] = False
    rig = local_rig(emulator, {CONTACT: {"zendeskUserId": JANE, "selectedTicketId": JANE_TICKET}})
    rig.run()
    assert rig.leg()["popped"] == "refused"
    assert emulator.store.ticket(JANE_TICKET)["assignee_id"] == ALEX


def test_no_talk_partner_edition_answers_403_and_the_leg_completes(emulator: ZendeskEmulator) -> None:
    emulator.store.talk_partner_edition = False  # type: ignore[attr-defined]
    rig = local_rig(emulator, {CONTACT: {"zendeskUserId": JANE, "selectedTicketId": JANE_TICKET}})
    rig.run()
    assert rig.leg()["popped"] == "refused"
    assert rig.leg()["status"] == "DONE"


def test_zendesk_429_and_hang_become_retries(emulator: ZendeskEmulator) -> None:
    rig = local_rig(emulator, {CONTACT: {"zendeskUserId": JANE, "selectedTicketId": JANE_TICKET}})
    emulator.faults = FaultConfig(mode="rate_limit", retry_after=9, count=1)
    with pytest.raises(ZendeskRateLimited) as limited:
        rig.run()
    assert limited.value.retry_after == 9
    emulator.faults = FaultConfig(mode="hang", hang_seconds=5, count=1)
    with deadline_scope(Deadline.after(0.5)), pytest.raises(ZendeskTimeout):
        rig.run()
    assert "agentLeg" not in (rig.records.get(CONTACT) or {})
    emulator.faults = FaultConfig()
    rig.run()
    assert rig.leg()["ticketId"] == JANE_TICKET
