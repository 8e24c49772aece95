"""The top bar's signed requests: POST /outbound-link and POST /recording (fakes for Connect, Zendesk
and the Contacts table; the JWT is signed as Zendesk's proxy signs it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from connect_zendesk.call_services import CallServices
from connect_zendesk.errors import ZendeskNotFound
from connect_zendesk.realtime import agent_actions
from connect_zendesk.realtime.agent_actions import handle_agent_action
from connect_zendesk.realtime.signed_tokens import ZENDESK_JWT_AUDIENCE, sign_zendesk_jwt
from connect_zendesk.services import use_services
from connect_zendesk.settings import Settings
from connect_zendesk_local.zendesk_app import http_api_event
from unit.test_agent_connected import FakeCache, FakeConnect, FakeRecords

SECRET = "s" * 40
CONTACT = "33333333-3333-3333-3333-333333333333"
AGENT = "9001"


class Records(FakeRecords):
    def record_desk_action(self, contact_id: str, attribute: str, value: Any) -> None:
        self.items.setdefault(contact_id, {})[attribute] = value


class Desk:
    def __init__(self) -> None:
        self.tickets: dict[int, tuple[int | None, int | None]] = {
            42: (None, None),
            43: (9002, None),
            44: (None, 5),
        }

    def ticket_assignment(self, ticket_id: int) -> tuple[int | None, int | None]:
        if ticket_id not in self.tickets:
            raise ZendeskNotFound("404")
        return self.tickets[ticket_id]


class Control:
    calls: ClassVar[list[tuple[str, str, str, str]]] = []

    def contact_agent(self, instance_id: str, contact_id: str) -> tuple[str, str]:
        return "", ""

    def recording(self, action: str, instance_id: str, contact_id: str, initial_contact_id: str) -> None:
        Control.calls.append((action, instance_id, contact_id, initial_contact_id))


class Realtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = time.time
        self.groups: set[int] = set()

    def zendesk_app_secret(self) -> str:
        return SECRET

    def supervisor_group_ids(self, agent_id: str) -> set[int]:
        return self.groups


@pytest.fixture
def rig(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Realtime, Records]]:
    settings = Settings.from_env(
        {"ZENDESK_APP_ISSUER": "https://demo.zendesk.com", "CONNECT_INSTANCE_ID": "inst-1"}
    )
    records = Records({CONTACT: {"agentLeg": {"zendeskAgentId": 9001, "initialContactId": "first-leg"}}})
    services = CallServices(
        settings, call_records=records, agent_desk=Desk(), cache=FakeCache(), connect_agents=FakeConnect({})
    )
    monkeypatch.setattr(agent_actions, "ConnectContactControl", Control)
    Control.calls = []
    with use_services(services):
        yield Realtime(settings), records


def request(path: str, body: dict[str, Any], *, sub: str = AGENT, contact: str = CONTACT) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "https://demo.zendesk.com",
        "aud": ZENDESK_JWT_AUDIENCE,
        "sub": sub,
        "contact_id": contact,
    }
    token = sign_zendesk_jwt({**claims, "iat": now, "exp": now + 120}, SECRET)
    return http_api_event(body, {"Authorization": f"Bearer {token}"}, path=path)


def status(answer: dict[str, Any]) -> int:
    return int(answer["statusCode"])


def test_outbound_link_records_the_ticket_for_the_contacts_agent(rig: tuple[Realtime, Records]) -> None:
    realtime, records = rig
    answer = handle_agent_action(request("/outbound-link", {"contactId": CONTACT, "ticketId": 42}), realtime)  # type: ignore[arg-type]
    assert status(answer) == 200
    assert json.loads(answer["body"]) == {"contactId": CONTACT, "ticketId": 42}
    assert records.items[CONTACT]["outboundLink"]["ticketId"] == 42


@pytest.mark.parametrize(
    ("body", "sub", "expected"),
    [
        ({"contactId": CONTACT, "ticketId": 43}, AGENT, 403),  # assigned to someone else
        ({"contactId": CONTACT, "ticketId": 44}, AGENT, 403),  # unassigned in a group the agent is not in
        ({"contactId": CONTACT, "ticketId": 99}, AGENT, 403),  # no such ticket
        ({"contactId": CONTACT, "ticketId": 42}, "9002", 403),  # not the contact's agent
        ({"contactId": CONTACT, "ticketId": "x"}, AGENT, 400),
        ({"contactId": "other-contact", "ticketId": 42}, AGENT, 400),  # not the signed contact
    ],
)
def test_outbound_link_refusals(
    rig: tuple[Realtime, Records], body: dict[str, Any], sub: str, expected: int
) -> None:
    realtime, records = rig
    assert status(handle_agent_action(request("/outbound-link", body, sub=sub), realtime)) == expected  # type: ignore[arg-type]
    assert "outboundLink" not in records.items[CONTACT]


def test_recording_pause_and_resume_only_for_the_agent_on_the_contact(rig: tuple[Realtime, Records]) -> None:
    realtime, records = rig
    for action in ("suspend", "resume"):
        assert (
            status(
                handle_agent_action(request("/recording", {"contactId": CONTACT, "action": action}), realtime)
            )
            == 200
        )  # type: ignore[arg-type]
    assert Control.calls == [
        ("suspend", "inst-1", CONTACT, "first-leg"),
        ("resume", "inst-1", CONTACT, "first-leg"),
    ]
    assert [p["action"] for p in records.items[CONTACT]["recordingPauses"]] == ["suspend", "resume"]
    assert (
        status(
            handle_agent_action(
                request("/recording", {"contactId": CONTACT, "action": "suspend"}, sub="9002"), realtime
            )
        )
        == 403
    )  # type: ignore[arg-type]
    assert (
        status(handle_agent_action(request("/recording", {"contactId": CONTACT, "action": "stop"}), realtime))
        == 400
    )  # type: ignore[arg-type]
    assert len(Control.calls) == 2


def test_an_unsigned_request_is_401(rig: tuple[Realtime, Records]) -> None:
    realtime, _ = rig
    event = http_api_event({"contactId": CONTACT, "action": "suspend"}, {}, path="/recording")
    assert status(handle_agent_action(event, realtime)) == 401  # type: ignore[arg-type]
    assert Control.calls == []
