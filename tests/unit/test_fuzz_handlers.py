"""Fuzzing every handler's event parsing (the Lex code hook: self_service/test_fuzz_lex.py).

Each function gets at least FUZZ_EXAMPLES (500) events mutated from its samples and the public
reference events (tests/unit/fuzz_events.py). The real handler is loaded from template.yaml like
Lambda loads it; AWS is moto in-process, Zendesk, Connect, the WebSocket gateway and the KVS ports are
doubles, so no socket is opened. Whatever arrives, each handler answers its caller in that caller's format,
does not crash inside its own code, and writes no secret, planted phone number, email or caller name
to its logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from connect_zendesk.call_services import CallServices
from connect_zendesk.connect.contracts import FLOW_CONTRACTS
from connect_zendesk.connect.flow_event import InvalidFlowEvent, parse_flow_event
from connect_zendesk.connect.flow_response import MAX_RESPONSE_BYTES
from connect_zendesk.domain.agent_connected_ports import ConnectAgent
from connect_zendesk.domain.models import TicketSummary, ZendeskUser
from connect_zendesk.kvs.transcriber import TranscriberPorts
from connect_zendesk.kvs.wiring import use_kvs_ports
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.services import Services, use_services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from fuzz_events import (
    assert_no_leak,
    assert_no_unexpected_failure,
    captured_logs,
    events_for,
    fuzz,
    keyed_in_numbers,
    project_samples,
    reference_samples,
)
from post_call_doubles import RecordingQueue
from post_call_rig import PostCallRig
from realtime_doubles import FakeGateway
from unit.test_agent_connected import FakeDesk
from unit_doubles import (
    AGENT,
    CARLOS,
    JANE,
    NOW,
    FakeZendesk,
    FragmentMedia,
    MemoryProgress,
    MemorySink,
    RecordingInvoker,
    ticket,
)

Handler = Callable[[Any, Any], Any]
NAMES = (JANE.name, CARLOS.name, AGENT.name)


@pytest.fixture
def load(aws: Template, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Handler]:
    """The function as Lambda loads it: a fresh container with the template's environment."""

    def loader(name: str, **overrides: str) -> Handler:
        forget_loaded_handlers()
        spec = aws.function(name)
        for variable, value in {**spec.environment, **overrides}.items():
            monkeypatch.setenv(variable, value)
        return load_handler(spec)

    return loader


def invoke(handler: Handler, event: Any, timeout_seconds: int = 8) -> tuple[Any, str]:
    context = LocalLambdaContext(function_name="FuzzedFunction", timeout_seconds=timeout_seconds)
    with captured_logs() as logs:
        response = handler(event, context)
    return response, logs.getvalue()


def batch_identifiers(response: Any) -> list[str]:
    """A ReportBatchItemFailures answer; Lambda retries the whole batch on an identifier it lacks."""
    assert isinstance(response, dict)
    assert set(response) == {"batchItemFailures"}
    failures = response["batchItemFailures"]
    assert isinstance(failures, list)
    for failure in failures:
        assert set(failure) == {"itemIdentifier"}
        assert isinstance(failure["itemIdentifier"], str)
        assert failure["itemIdentifier"]
    json.dumps(response)
    return [failure["itemIdentifier"] for failure in failures]


def record_ids(event: Any, *path: str) -> set[str]:
    """The ids of the event's records (`path` into each record), as text: Lambda sends strings, a
    mutated event may hold another value there and the handler reports its text."""
    found: set[str] = set()
    records = event.get("Records") if isinstance(event, dict) else None
    for record in records if isinstance(records, list) else []:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value:
            found.add(str(value))
    return found


# ---------------------------------------------------------------------------- contact-flow steps
@pytest.fixture
def flow_doubles(aws: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    env = aws.function("caller_lookup").environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    zendesk = FakeZendesk(users=[JANE, CARLOS, AGENT])
    services = Services(Settings.from_env(env), zendesk=zendesk, clock=NOW.timestamp)
    with use_services(services), use_kvs_ports(invoker=RecordingInvoker()):
        yield zendesk


@pytest.mark.parametrize("function", sorted(FLOW_CONTRACTS))
def test_contact_flow_steps_answer_every_mutated_event_with_a_flat_string_map(
    function: str, load: Callable[..., Handler], flow_doubles: FakeZendesk
) -> None:
    handler = load(function)
    contract = FLOW_CONTRACTS[function]
    seeds = project_samples(function) + reference_samples("connect_contact_flow_*.json")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event)
        assert isinstance(response, dict)
        assert set(response) == set(contract.returns)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
        assert response["lambdaResult"] in {"Success", "NotFound", "Skipped", "Error"}
        assert len(json.dumps(response, ensure_ascii=False).encode("utf-8")) < MAX_RESPONSE_BYTES
        if response["lambdaResult"] == "Error":
            assert response["errorType"] not in {"", "InternalError"}, logs[-2000:]
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)


# ---------------------------------------------------------------------------- stream consumers
@pytest.fixture
def realtime_handlers(
    aws: Template, realtime: RealtimeServices, gateway: FakeGateway, load: Callable[..., Handler]
) -> Callable[[str], Handler]:
    return lambda name: load(name, SENTIMENT_BACKEND="local")


def test_the_transcription_consumer_reports_only_its_records_as_failed(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("transcription_consumer")
    seeds = project_samples("transcription_consumer") + reference_samples(
        "contact_lens_kinesis_*.json", "kinesis_*event*.json"
    )

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=60)
        assert set(batch_identifiers(response)) <= record_ids(event, "kinesis", "sequenceNumber")
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)


def test_the_sentiment_step_reports_only_its_records_as_failed(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("sentiment")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=60)
        assert set(batch_identifiers(response)) <= record_ids(event, "dynamodb", "SequenceNumber")
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(project_samples("sentiment")), check)


# ---------------------------------------------------------------------------- WebSocket and HTTP APIs
def assert_api_answer(response: Any) -> None:
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int)
    assert 200 <= response["statusCode"] < 500 or response["statusCode"] == 503, response
    assert isinstance(response.get("body", ""), str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.get("headers", {}).items())
    json.dumps(response)


def test_the_agent_socket_answers_every_route_with_a_status_code(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("agent_socket")
    seeds = project_samples("agent_socket") + reference_samples("apigw_websocket_*.json")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event)
        assert_api_answer(response)
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)


def test_the_panel_token_endpoint_never_issues_a_token_to_an_unsigned_request(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("panel_token")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event)
        assert_api_answer(response)
        assert response["statusCode"] != 200
        assert "token" not in json.loads(response.get("body") or "{}")
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(project_samples("panel_token") + project_samples("agent_socket")), check)


def test_the_panel_authorizer_denies_every_forged_or_mangled_request(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("panel_authorizer")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event)
        assert isinstance(response, dict)
        assert isinstance(response["principalId"], str)
        document = response["policyDocument"]
        assert document["Version"] == "2012-10-17"
        (statement,) = document["Statement"]
        assert (statement["Action"], statement["Effect"]) == ("execute-api:Invoke", "Deny")
        assert isinstance(statement["Resource"], str)
        json.dumps(response)
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(project_samples("panel_authorizer")), check)


def test_the_agent_actions_never_act_on_an_unsigned_or_forged_request(
    realtime_handlers: Callable[[str], Handler],
) -> None:
    handler = realtime_handlers("agent_actions")
    seeds = project_samples("agent_actions") + project_samples("panel_token")
    answered: set[int] = set()

    def check(event: Any) -> None:
        response, logs = invoke(handler, event)
        assert_api_answer(response)
        assert not 200 <= response["statusCode"] < 300, response
        answered.add(response["statusCode"])
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)
    assert {400, 401} <= answered  # the forged tokens reached the signature check


# ---------------------------------------------------------------------------- after the call
def test_the_post_call_step_fails_or_dead_letters_bad_messages_without_crashing(
    rig: PostCallRig, load: Callable[..., Handler]
) -> None:
    handler = load("post_call_update")
    seeds = project_samples("post_call_update")
    envelope = seeds[0]["Records"][0]
    seeds += [
        {"Records": [{**envelope, "body": json.dumps(contact_event)}]}
        for contact_event in reference_samples("connect_contact_event_*.json")
    ]

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=60)
        assert set(batch_identifiers(response)) <= record_ids(event, "messageId")
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)


class AnyConnectAgent:
    """Connect DescribeUser: the sample's agent is Jo (a Zendesk agent by email), any other nobody."""

    def describe(self, instance_id: str, agent_id: str) -> ConnectAgent | None:
        if agent_id == "9a1c0e7b-0000-4000-8000-000000000002":
            return ConnectAgent(agent_id, "jo", "jo@example.com")
        return None


def test_the_agent_connected_step_reports_only_its_records_as_failed(
    rig: PostCallRig, load: Callable[..., Handler], aws: Template
) -> None:
    # The sample's contact chose ticket 42 and has the planted caller number on its record; Connect
    # and Zendesk are doubles, the Contacts table and the cache are moto (template.yaml).
    handler = load("agent_connected")
    env = aws.function("agent_connected").environment
    contact = "7d1f3a52-2b8e-4c1f-9e0a-1f2e3d4c5b01"
    desk = FakeDesk({"jo@example.com": 9001}, {42})
    services = CallServices(
        Settings.from_env(env),
        connect_agents=AnyConnectAgent(),
        agent_desk=desk,
        message_queue=RecordingQueue(env["AGENT_CONNECTED_QUEUE_URL"], env["AGENT_CONNECTED_DLQ_URL"]),
        clock=NOW.timestamp,
    )

    def check(event: Any) -> None:
        # a fresh record each time: a leg already done would make every later event a duplicate
        rig.seed_contact(contact, zendeskUserId=501, selectedTicketId=42, callerE164="+14155552671")
        response, logs = invoke(handler, event, timeout_seconds=60)
        assert set(batch_identifiers(response)) <= record_ids(event, "messageId")
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    with use_services(services):
        fuzz(events_for(project_samples("agent_connected")), check)
    # the events that stayed well-formed reached Zendesk: the ticket assigned and popped
    assert desk.popped.count(("ticket", 9001, 42)) > 10, desk.popped[:5]


def test_the_scheduled_metering_ignores_what_its_event_says(
    rig: PostCallRig, load: Callable[..., Handler]
) -> None:
    handler = load("resolution_metering")
    # The run reads the queue whatever its event says (31 day-partition queries on moto, 0.4 s); an
    # empty queue keeps 500 runs cheap. tests/unit/test_resolution_metering.py meters real queues.
    rig.services.__dict__["resolution_queue"] = NothingDue()

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=300)
        assert isinstance(response, dict)
        assert response["errors"] == 0
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(project_samples("resolution_metering")), check)


def test_the_scheduled_reconciliation_ignores_what_its_event_says(
    rig: PostCallRig, load: Callable[..., Handler]
) -> None:
    # The sweep queries the pending index on moto (empty: one query a run) whatever its event says;
    # tests/unit/test_reconciliation.py and the integration test sweep real pending contacts.
    handler = load("post_call_reconciliation")
    (sample,) = project_samples("post_call_reconciliation")
    clean_run, _ = invoke(handler, sample, timeout_seconds=300)
    assert clean_run["wrapped"] is True

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=300)
        assert isinstance(response, dict)
        # a run report without errors: nothing unreconcilable, no reason, not throttled
        assert (response["unreconcilable"], response["reasons"], response["throttled"]) == (0, {}, False)
        assert response == clean_run
        json.dumps(response)
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(project_samples("post_call_reconciliation")), check)


class NothingDue:
    def due(self, now: datetime) -> list[Any]:
        return []


# ---------------------------------------------------------------------------- asynchronous invocation
@pytest.fixture
def kvs_ports() -> Iterator[RecordingInvoker]:
    invoker = RecordingInvoker()
    ports = TranscriberPorts(
        media=FragmentMedia([]),  # no audio: a well-formed job finds no media and ends
        transcribe=None,  # type: ignore[arg-type] - never reached without media
        sink=MemorySink(),
        invoker=invoker,
        progress=MemoryProgress(),
    )
    with use_kvs_ports(ports):
        yield invoker


def test_the_transcriber_rejects_or_runs_every_job_without_crashing(
    load: Callable[..., Handler], kvs_ports: RecordingInvoker
) -> None:
    handler = load("kvs_transcriber", KVS_IDLE_TIMEOUT_SECONDS="1")
    seeds = project_samples("kvs_transcriber") + reference_samples("kvs_*.json")

    def check(event: Any) -> None:
        response, logs = invoke(handler, event, timeout_seconds=900)
        assert isinstance(response, dict)
        assert isinstance(response["status"], str)
        json.dumps(response)
        assert_no_unexpected_failure(logs)
        assert_no_leak(logs, response, names=NAMES)

    fuzz(events_for(seeds), check)


# ---------------------------------------------------------------------------- identity claims
class RecordingDirectory(FakeZendesk):
    """The directory double, remembering whose number was searched and whose tickets were listed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.searched: list[str] = []
        self.listed: list[int] = []

    def end_users_by_phone(self, national_digits: str) -> list[ZendeskUser]:
        self.searched.append(national_digits)
        return super().end_users_by_phone(national_digits)

    def requested_tickets(self, user_id: int) -> list[TicketSummary]:
        self.listed.append(user_id)
        return super().requested_tickets(user_id)


@pytest.mark.parametrize("function", ["caller_lookup", "ticket_lookup"])
def test_a_keyed_in_number_of_another_customer_never_reveals_or_records_them(
    function: str, load: Callable[..., Handler], aws: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Carlos is the victim: callers (Jane, unknown, withheld, none) pass his number as phoneNumber
    env = aws.function(function).environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    directory = RecordingDirectory(
        users=[JANE, CARLOS, AGENT], tickets={CARLOS.id: [ticket(60, CARLOS.id, subject="Lamp refund")]}
    )
    services = Services(Settings.from_env(env), zendesk=directory, clock=NOW.timestamp)
    victim = "+14155550134"
    callers: list[str | None] = ["+14155552671", "anonymous", "+12125550147", "", None]
    with use_services(services):
        handler = load(function)
        seeds = project_samples(function)

        def check(event: Any) -> None:
            response, logs = invoke(handler, event)
            answer = json.dumps(response, ensure_ascii=False)
            assert response["zendeskUserId"] != str(CARLOS.id)
            assert "Carlos" not in answer
            assert "Lamp refund" not in answer
            assert "60" not in str(response.get("ticketIds", "")).split(",")
            assert response["lambdaResult"] != "Success" or response["identity"] == "Endpoint"
            assert victim[2:] not in directory.searched
            assert CARLOS.id not in directory.listed
            contact_id = _contact_id(event)
            record = services.contacts.get(contact_id) if contact_id else None
            assert (record or {}).get("zendeskUserId") != CARLOS.id
            assert (record or {}).get("callerE164") != victim
            assert_no_unexpected_failure(logs)

        fuzz(keyed_in_numbers(seeds, victim, CARLOS.id, callers), check)


def _contact_id(event: Any) -> str:
    try:
        return parse_flow_event(event).contact_id
    except InvalidFlowEvent:
        return ""
