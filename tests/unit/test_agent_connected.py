"""agent_connected with fakes: ticket choice, assignment, the pop, the request budget, idempotency."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest
from connect_zendesk.call_services import CallServices
from connect_zendesk.domain.agent_connected import process_agent_connected_message
from connect_zendesk.domain.agent_connected_ports import ConnectAgent, ConnectedTicket, NewConnectedTicket
from connect_zendesk.domain.call_record import ContactRecord
from connect_zendesk.errors import ZendeskNotFound, ZendeskRateLimited, ZendeskRejected
from connect_zendesk.settings import Settings
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage
from connect_zendesk.sqs.retry import decide

INSTANCE = "12345678-1234-1234-1234-123456789012"
AGENT = "aaaaaaaa-1111-2222-3333-444444444444"
CONTACT = "11111111-1111-1111-1111-111111111111"
LEG_2 = "22222222-2222-2222-2222-222222222222"
ZENDESK_AGENT = 9001
CALLER = 501


class FakeRecords:
    def __init__(self, items: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.items: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (items or {}).items()}

    def get(self, contact_id: str) -> dict[str, Any] | None:
        item = self.items.get(contact_id)
        return json.loads(json.dumps(item)) if item is not None else None

    def record_agent_leg(self, contact_id: str, leg: Mapping[str, Any]) -> None:
        self.items.setdefault(contact_id, {"contactId": contact_id})["agentLeg"] = dict(leg)


class FakeCache:
    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, int]] = {}

    def get(self, key: str) -> Any | None:
        found = self.values.get(key)
        return found[0] if found else None

    def put(self, key: str, value: Any, ttl_seconds: int) -> None:
        self.values[key] = (value, ttl_seconds)


class FakeConnect:
    def __init__(self, users: Mapping[str, ConnectAgent]) -> None:
        self.users = dict(users)
        self.calls = 0

    def describe(self, instance_id: str, agent_id: str) -> ConnectAgent | None:
        assert instance_id == INSTANCE
        self.calls += 1
        return self.users.get(agent_id)


class FakeDesk:
    """Counts every Zendesk request the step makes; `fail` maps an operation to the error it raises."""

    def __init__(self, agents: Mapping[str, int], tickets: set[int]) -> None:
        self.agents = dict(agents)
        self.tickets = set(tickets)
        self.requests: list[str] = []
        self.fail: dict[str, Exception] = {}
        self.assigned: dict[int, ConnectedTicket] = {}
        self.created: list[NewConnectedTicket] = []
        self.users_created: list[str] = []
        self.popped: list[tuple[str, int, int]] = []

    def _request(self, operation: str) -> None:
        self.requests.append(operation)
        if operation in self.fail:
            raise self.fail[operation]

    def agent_id_by_email(self, email: str) -> int | None:
        self._request("search")
        return self.agents.get(email)

    def update_connected_ticket(self, ticket_id: int, ticket: ConnectedTicket) -> None:
        self._request("update")
        if ticket_id not in self.tickets:
            raise ZendeskNotFound("PUT tickets answered 404")
        self.assigned[ticket_id] = ticket

    def create_connected_ticket(self, draft: NewConnectedTicket) -> int:
        self._request("create")
        self.created.append(draft)
        new_id = 100 + len(self.created)
        self.tickets.add(new_id)
        self.assigned[new_id] = draft.ticket
        return new_id

    def create_end_user(self, name: str, phone_e164: str) -> int:
        self._request("create_user")
        self.users_created.append(name)
        return 700 + len(self.users_created)

    def display_ticket(self, agent_id: int, ticket_id: int) -> None:
        self._request("display")
        self.popped.append(("ticket", agent_id, ticket_id))

    def display_user(self, agent_id: int, user_id: int) -> None:
        self._request("display")
        self.popped.append(("user", agent_id, user_id))


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(
        {
            "CONNECT_INSTANCE_ID": INSTANCE,
            "CONTACT_ID_TICKET_FIELD_ID": "360000123",
            "AGENT_CONNECTED_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/agent-connected",
            "AGENT_CONNECTED_DLQ_URL": "https://sqs.us-east-1.amazonaws.com/1/agent-connected-dlq",
        }
    )


class Rig:
    def __init__(self, settings: Settings, items: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.records = FakeRecords(items)
        self.cache = FakeCache()
        self.connect = FakeConnect(
            {AGENT: ConnectAgent(AGENT, "jo", "jo@example.com"), "nobody": ConnectAgent("nobody", "x", "")}
        )
        self.desk = FakeDesk({"jo@example.com": ZENDESK_AGENT}, {42, 43})
        self.settings = settings
        self.services = self._services()

    def _services(self) -> CallServices:
        return CallServices(
            self.settings,
            call_records=self.records,
            cache=self.cache,
            connect_agents=self.connect,
            agent_desk=self.desk,
            message_queue=object(),
        )

    def configure(self, **changes: Any) -> None:
        self.settings = dataclasses.replace(
            self.settings, agent_connected=dataclasses.replace(self.settings.agent_connected, **changes)
        )
        self.services = self._services()

    def run(self, contact_id: str = CONTACT, *, agent: str = AGENT, **detail: Any) -> str:
        body = {
            "detail-type": "Amazon Connect Contact Event",
            "source": "aws.connect",
            "time": "2026-12-04T18:00:05Z",
            "detail": {
                "contactId": contact_id,
                "channel": "VOICE",
                "eventType": "CONNECTED_TO_AGENT",
                "initiationMethod": "INBOUND",
                "instanceArn": f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}",
                "agentInfo": {
                    "agentArn": f"arn:aws:connect:us-east-1:111122223333:instance/{INSTANCE}/agent/{agent}",
                    "connectedToAgentTimestamp": "2026-12-04T18:00:04.000Z",
                },
                **detail,
            },
        }
        message = QueueMessage("m-1", "r-1", json.dumps(body))
        return process_agent_connected_message(message, self.services)

    def leg(self, contact_id: str = CONTACT) -> dict[str, Any]:
        return dict(self.records.items[contact_id]["agentLeg"])


def test_chosen_ticket_is_assigned_with_the_contact_id_and_popped(settings: Settings) -> None:
    rig = Rig(
        settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42, "callerE164": "+14155550100"}}
    )
    rig.run()
    assigned = rig.desk.assigned[42]
    assert assigned.assignee_id == ZENDESK_AGENT
    assert assigned.custom_fields == {360000123: CONTACT}
    assert assigned.tags == [f"connect_contact_{CONTACT}"]
    assert rig.desk.popped == [("ticket", ZENDESK_AGENT, 42)]
    assert rig.leg()["ticketId"] == 42
    assert rig.leg()["zendeskAgentId"] == ZENDESK_AGENT
    assert rig.desk.requests == ["search", "update", "display"]
    # post_call_update prefers what agent_connected recorded
    assert ContactRecord.from_item(CONTACT, rig.records.get(CONTACT)).connected_ticket_id == 42


def test_a_chosen_ticket_costs_two_requests_with_the_agent_mapping_cached(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}, LEG_2: {}})
    rig.run()
    rig.desk.requests.clear()
    rig.run(LEG_2, initialContactId=CONTACT, previousContactId=CONTACT)
    assert rig.desk.requests == ["update", "display"]
    assert rig.connect.calls == 1


def test_caller_without_a_ticket_gets_a_new_voice_ticket_assigned(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER}})
    rig.run()
    (draft,) = rig.desk.created
    assert draft.requester_id == CALLER
    assert draft.external_id == f"connect-contact:{CONTACT}"
    assert draft.ticket.assignee_id == ZENDESK_AGENT
    assert rig.leg()["ticketId"] == 101
    assert rig.desk.requests == ["search", "create", "display"]


def test_unknown_caller_gets_one_end_user_and_at_most_four_requests(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"callerE164": "+14155550100"}})
    rig.run()
    assert rig.desk.users_created == ["Caller +1 415-555-0100"]
    assert rig.desk.requests == ["search", "create_user", "create", "display"]
    assert len(rig.desk.requests) <= 4
    assert rig.leg()["createdUserId"] == 701


def test_unknown_caller_retry_after_a_failed_create_reuses_the_end_user(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"callerE164": "+14155550100"}})
    rig.desk.fail["create"] = ZendeskRateLimited("429", retry_after=7)
    with pytest.raises(ZendeskRateLimited) as raised:
        rig.run()
    assert decide(raised.value, 1).delay_seconds >= 8  # back through SQS visibility, not a sleep
    del rig.desk.fail["create"]
    rig.run()
    assert rig.desk.users_created == ["Caller +1 415-555-0100"]  # once per contact
    assert rig.leg()["status"] == "DONE"


def test_transfer_leg_pops_the_same_ticket_to_the_next_agent(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER}})
    rig.connect.users["second"] = ConnectAgent("second", "al", "al@example.com")
    rig.desk.agents["al@example.com"] = 9002
    rig.run()
    first_ticket = rig.leg()["ticketId"]
    rig.run(LEG_2, agent="second", initialContactId=CONTACT, previousContactId=CONTACT)
    assert rig.leg(LEG_2)["ticketId"] == first_ticket
    assert rig.desk.popped[-1] == ("ticket", 9002, first_ticket)
    assert len(rig.desk.created) == 1


def test_the_same_event_twice_does_the_leg_once(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    rig.run()
    before = list(rig.desk.requests)
    assert rig.run().startswith("duplicate")
    assert rig.desk.requests == before


def test_agent_without_a_zendesk_account_is_recorded_and_cached_shorter(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    assert rig.run(agent="nobody") == "no Zendesk agent for this Connect agent"
    assert rig.desk.requests == []  # no email: not even a search
    assert rig.leg()["result"] == "NoZendeskAgent"
    ((value, ttl),) = rig.cache.values.values()
    assert value == {"zendeskAgentId": None}
    assert ttl == 300


@pytest.mark.parametrize("error", [ZendeskNotFound("404"), ZendeskRejected("403")])
def test_a_refused_pop_is_counted_not_retried(settings: Settings, error: Exception) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    rig.desk.fail["display"] = error
    rig.run()
    assert rig.leg()["popped"] == "refused"
    assert rig.leg()["status"] == "DONE"


def test_user_profile_pop_and_off_switch(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    rig.configure(screen_pop="user")
    rig.run()
    assert rig.desk.popped == [("user", ZENDESK_AGENT, CALLER)]
    off = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    off.configure(screen_pop="off")
    off.run()
    assert off.desk.popped == []
    assert off.leg()["popped"] == "off"


def test_closed_chosen_ticket_gets_a_new_ticket(settings: Settings) -> None:
    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 77}})
    rig.run()
    assert rig.leg()["ticketId"] == 101
    assert rig.desk.requests == ["search", "update", "create", "display"]


def test_a_hung_zendesk_is_retried_through_the_queue(settings: Settings) -> None:
    from connect_zendesk.errors import ZendeskTimeout

    rig = Rig(settings, {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42}})
    rig.desk.fail["update"] = ZendeskTimeout("PUT timed out")
    with pytest.raises(ZendeskTimeout) as raised:
        rig.run()
    decision = decide(raised.value, 1)
    assert not decision.permanent
    assert decision.delay_seconds > 0
    assert "agentLeg" not in rig.records.items[CONTACT]


def test_other_events_and_instances_are_ignored(settings: Settings) -> None:
    rig = Rig(settings)
    assert rig.run(eventType="DISCONNECTED").startswith("ignored")
    other = "arn:aws:connect:us-east-1:111122223333:instance/99999999-1234-1234-1234-123456789012"
    assert rig.run(instanceArn=other).startswith("ignored")
    with pytest.raises(InvalidMessage):
        rig.run(agentInfo={})
    assert rig.desk.requests == []


def test_an_agent_dialled_contact_gets_the_ticket_it_was_dialled_from(settings: Settings) -> None:
    rig = Rig(
        settings,
        {CONTACT: {"zendeskUserId": CALLER, "selectedTicketId": 42, "outboundLink": {"ticketId": 43}}},
    )
    rig.run(initiationMethod="OUTBOUND")
    assert rig.leg()["ticketId"] == 43
    assert 42 not in rig.desk.assigned
