"""The Connect contract, checked on the real handlers: whatever arrives, a flat string map comes back.

Handlers are loaded from template.yaml (CodeUri + Handler) like Lambda loads them, with the
template's environment; AWS is moto in-process and Zendesk a fake, so no socket is opened.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.connect.contracts import FLOW_CONTRACTS
from connect_zendesk.connect.flow_response import MAX_RESPONSE_BYTES
from connect_zendesk.errors import (
    InvalidInput,
    NotConfigured,
    StorageError,
    ZendeskAuthFailed,
    ZendeskBadResponse,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskTimeout,
    ZendeskUnavailable,
)
from connect_zendesk.kvs.wiring import use_kvs_ports
from connect_zendesk.services import Services, use_services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from support import reference_events
from unit_doubles import JANE, NOW, FakeZendesk, RecordingInvoker

FLOW_FUNCTIONS = sorted(FLOW_CONTRACTS)
Handler = Callable[[Any, Any], dict[str, str]]


# Steps that call Zendesk (start_streaming queues kvs_transcriber instead: tests/unit/test_kvs_flow.py).
ZENDESK_FLOW_FUNCTIONS = sorted(f for f, c in FLOW_CONTRACTS.items() if "ZENDESK_SUBDOMAIN" in c.required_env)


@pytest.fixture
def faked(function_env: dict[str, str], zendesk: FakeZendesk) -> Iterator[FakeZendesk]:
    services = Services(Settings.from_env(function_env), zendesk=zendesk, clock=NOW.timestamp)
    with use_services(services), use_kvs_ports(invoker=RecordingInvoker()):
        yield zendesk


@pytest.fixture
def handler(
    aws: Template, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Handler]:
    def load(name: str) -> Handler:
        forget_loaded_handlers()  # a fresh container per test: settings are read at import
        spec = aws.function(name)
        for variable, value in spec.environment.items():  # the function's own template environment
            monkeypatch.setenv(variable, value)
        return load_handler(spec)

    return load


def assert_connect_contract(function: str, response: Any) -> None:
    contract = FLOW_CONTRACTS[function]
    assert isinstance(response, dict)
    assert set(response) == set(contract.returns)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response.items())
    assert response["lambdaResult"] in {"Success", "NotFound", "Skipped", "Error"}
    assert len(json.dumps(response, ensure_ascii=False).encode("utf-8")) < MAX_RESPONSE_BYTES
    if response["lambdaResult"] == "Error":
        assert response["errorType"]


def sample_events(function: str) -> list[Path]:
    return sorted((PROJECT_ROOT / "events" / function).glob("*.json"))


@pytest.mark.parametrize("function", FLOW_FUNCTIONS)
def test_every_sample_event_gets_a_contract_response(
    function: str, handler: Callable[[str], Handler], faked: FakeZendesk, lambda_context: LocalLambdaContext
) -> None:
    events = sample_events(function)
    assert len(events) >= 6
    for path in events:
        response = handler(function)(json.loads(path.read_text(encoding="utf-8")), lambda_context)
        assert_connect_contract(function, response)
        assert response["lambdaResult"] != "Error", path.name


@pytest.mark.parametrize("function", FLOW_FUNCTIONS)
@pytest.mark.parametrize("path", reference_events("connect_contact_flow_*.json"), ids=lambda p: p.name)
def test_public_sample_events_get_a_contract_response(
    function: str,
    path: Path,
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
) -> None:
    response = handler(function)(json.loads(path.read_text(encoding="utf-8")), lambda_context)
    assert_connect_contract(function, response)


def test_reference_events_are_found_when_the_folder_exists() -> None:
    from support import REFERENCE_EVENTS

    if not REFERENCE_EVENTS.is_dir():
        pytest.skip("../shared/reference-events is not beside this checkout")
    assert reference_events("connect_contact_flow_*.json")


BAD_EVENTS: list[Any] = [
    None,
    [],
    "Details",
    42,
    {},
    {"Details": None},
    {"Details": {"ContactData": "not an object", "Parameters": ["a"]}},
    {"Details": {"ContactData": {"CustomerEndpoint": {"Address": 14155552671, "Type": None}}}},
    {"Details": {"Parameters": {"phoneNumber": {"nested": "object"}}}},
    {"Details": {"Parameters": {"phoneNumber": "+1" + "9" * 100_000}}},
    {"Details": {"Parameters": {"phoneNumber": "*) OR role:admin phone:*"}}},
    {"Details": {"Parameters": {"zendeskUserId": "1 OR 1=1"}}},
    {"Details": {"ContactData": {"ContactId": "x" * 5000, "Attributes": {"zendeskUserId": "<script>"}}}},
]


@pytest.mark.parametrize("function", FLOW_FUNCTIONS)
@pytest.mark.parametrize("event", BAD_EVENTS, ids=lambda e: repr(e)[:40])
def test_bad_input_gets_a_valid_response_and_no_zendesk_call(
    function: str,
    event: Any,
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
) -> None:
    response = handler(function)(event, lambda_context)
    assert_connect_contract(function, response)
    assert response["lambdaResult"] in {"Error", "Skipped"}
    assert faked.total_calls == 0


def test_not_a_contact_flow_event_is_logged_as_rejected(
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = handler("caller_lookup")({"Records": []}, lambda_context)
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "InvalidEvent")
    assert "rejected event" in caplog.messages


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        (ZendeskTimeout("t"), "Timeout"),
        (ZendeskRateLimited("r", retry_after=30), "RateLimited"),
        (ZendeskUnavailable("u"), "ZendeskUnavailable"),
        (ZendeskAuthFailed("a"), "ZendeskAuthError"),
        (ZendeskRejected("x"), "ZendeskRejected"),
        (ZendeskBadResponse("b"), "ZendeskBadResponse"),
        (NotConfigured("n"), "ConfigurationError"),
        (StorageError("s"), "StorageError"),
        (InvalidInput("i"), "InvalidInput"),
        (RuntimeError("surprise"), "InternalError"),
    ],
)
@pytest.mark.parametrize("function", ZENDESK_FLOW_FUNCTIONS)
def test_failures_become_an_error_type_the_flow_can_branch_on(
    function: str,
    failure: Exception,
    error_type: str,
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
) -> None:
    faked.fail_with = failure
    response = handler(function)(contact_flow_event("+14155552671"), lambda_context)
    assert_connect_contract(function, response)
    assert (response["lambdaResult"], response["errorType"]) == ("Error", error_type)


def test_rate_limit_is_answered_at_once_not_slept_on(
    handler: Callable[[str], Handler], faked: FakeZendesk, lambda_context: LocalLambdaContext
) -> None:
    faked.fail_with = ZendeskRateLimited("429", retry_after=3600)
    response = handler("caller_lookup")(contact_flow_event("+14155552671"), lambda_context)
    assert response["errorType"] == "RateLimited"
    assert faked.calls == {"search": 1}


def test_a_hanging_dependency_is_answered_with_timeout_within_the_budget(
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a budget of 300 ms and a Zendesk call that never returns on its own
    monkeypatch.setenv("FLOW_TIME_BUDGET_MS", "300")
    release = threading.Event()
    faked.block = release
    try:
        response = handler("caller_lookup")(contact_flow_event("+14155552671"), lambda_context)
        # Then the flow gets an answer while the call is still hanging
        assert not release.is_set()
        assert (response["lambdaResult"], response["errorType"]) == ("Error", "Timeout")
    finally:
        release.set()


def test_budget_never_exceeds_the_lambdas_own_remaining_time(
    handler: Callable[[str], Handler], faked: FakeZendesk
) -> None:
    release = threading.Event()
    faked.block = release
    nearly_out = LocalLambdaContext(function_name="f", timeout_seconds=1)  # 1 s left minus 0.5 s margin
    try:
        response = handler("caller_lookup")(contact_flow_event("+14155552671"), nearly_out)
        assert response["errorType"] == "Timeout"
        assert nearly_out.get_remaining_time_in_millis() > 0
    finally:
        release.set()


def test_invalid_configuration_answers_configuration_error(
    aws: Template,
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: LocalLambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a function deployed without its Zendesk subdomain
    for name, value in aws.function("caller_lookup").environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "")
    forget_loaded_handlers()
    lambda_handler = load_handler(aws.function("caller_lookup"))
    # Then the cold start logs it once and every call answers ConfigurationError
    assert "invalid configuration" in caplog.messages
    response = lambda_handler(contact_flow_event("+14155552671"), lambda_context)
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "ConfigurationError")


def test_logs_and_metrics_hold_no_caller_details(
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for function in ZENDESK_FLOW_FUNCTIONS:
        response = handler(function)(contact_flow_event("+14155552671"), lambda_context)
        assert response["lambdaResult"] == "Success"
    logged = caplog.text + capsys.readouterr().out
    assert "flow step answered" in caplog.text
    for secret in ("+14155552671", "4155552671", JANE.name, "Jane", "Printer offline"):
        assert secret not in logged


def test_each_answer_emits_a_result_metric_for_its_step(
    handler: Callable[[str], Handler],
    faked: FakeZendesk,
    lambda_context: LocalLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler("ticket_lookup")(contact_flow_event("anonymous"), lambda_context)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert emf
    assert emf[-1]["step"] == "ticket_lookup"
    assert emf[-1]["ResultSkipped"] == [1.0]
