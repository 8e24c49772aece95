"""The time budget starts at handler entry: work before the step's logic (the decorators, the Tracer
loading the X-Ray SDK on a fresh environment's first call) counts against it (issue 12, finding 7).

Pure: a fake monotonic clock, a fake Tracer, no AWS and no Zendesk (the logic under test is a stub).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from connect_zendesk import deadline as deadline_module
from connect_zendesk import observability
from connect_zendesk.connect.contracts import CALLER_LOOKUP
from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import FlowOutcome, LambdaResult
from connect_zendesk.connect.flow_step import contact_flow_handler
from connect_zendesk.deadline import Deadline, budget_from_entry, current_deadline
from connect_zendesk.lex.code_hook import REQUIRED_ENV as LEX_REQUIRED_ENV
from connect_zendesk.lex.code_hook import lex_code_hook_handler
from connect_zendesk.lex.event import LexRequest
from connect_zendesk.lex.response import DialogAction, LexReply
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event

SLOW_TRACER_SECONDS = 0.9  # what loading the X-Ray SDK may cost on a small Lambda


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RoomyContext:
    """A Lambda context with far more time left than any budget."""

    remaining_ms: int = 60_000
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class PassThroughTracer:
    def capture_lambda_handler(self, handler: Callable[..., Any], **_options: Any) -> Callable[..., Any]:
        return handler


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(deadline_module, "monotonic_clock", fake)
    return fake


@pytest.fixture
def slow_tracer(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Tracer is made on the first call (observability.traced): that costs SLOW_TRACER_SECONDS."""

    def make() -> PassThroughTracer:
        clock.advance(SLOW_TRACER_SECONDS)
        return PassThroughTracer()

    monkeypatch.setattr(observability, "tracer", make)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave a worker thread blocked


FLOW_BUDGET_SECONDS = 3.0
LEX_BUDGET_SECONDS = 4.0
STEP_ENV = {
    "ZENDESK_SUBDOMAIN": "demo",
    "ZENDESK_EMAIL": "agent@example.com",
    "ZENDESK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:zendesk",
    "CONTACTS_TABLE": "contacts",
    "CACHE_TABLE": "cache",
    "SELF_SERVICE_TABLE": "self-service",
    "FLOW_TIME_BUDGET_MS": str(int(FLOW_BUDGET_SECONDS * 1000)),
    "LEX_TIME_BUDGET_MS": str(int(LEX_BUDGET_SECONDS * 1000)),
}


@pytest.fixture
def step_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings the steps read at init (no AWS is called: the logic is a stub)."""
    for name, value in STEP_ENV.items():
        monkeypatch.setenv(name, value)


# ---------------------------------------------------------------------------- the wrapper itself
def test_work_before_the_handler_body_counts_against_the_budget(clock: FakeClock) -> None:
    seen: list[float] = []

    def decorated(event: Any, context: Any) -> str:
        clock.advance(0.4)  # a decorator's work on the way in
        found = current_deadline()
        assert found is not None
        seen.append(found.remaining())
        return "answered"

    handler = budget_from_entry(3.0, decorated)

    assert handler({}, RoomyContext()) == "answered"
    assert seen == [pytest.approx(2.6)]
    assert current_deadline() is None  # the scope ends with the invocation


def test_the_lambdas_own_remaining_time_still_caps_the_budget(clock: FakeClock) -> None:
    seen: list[Deadline | None] = []
    handler = budget_from_entry(3.0, lambda event, context: seen.append(current_deadline()))

    handler({}, RoomyContext(remaining_ms=1_500))

    (found,) = seen
    assert found is not None
    assert found.remaining() == pytest.approx(1.0)  # 1.5 s left minus the 0.5 s safety margin


# ---------------------------------------------------------------------------- contact-flow steps
def test_a_flow_steps_first_call_counts_the_tracer_load_against_its_budget(
    step_env: None, clock: FakeClock, slow_tracer: None
) -> None:
    seen: list[float] = []

    def logic(request: FlowRequest, services: Services) -> FlowOutcome:
        found = current_deadline()
        assert found is not None
        seen.append(found.remaining())
        return FlowOutcome(LambdaResult.NOT_FOUND)

    handler = contact_flow_handler(CALLER_LOOKUP, logic)
    budget = FLOW_BUDGET_SECONDS

    first = handler(contact_flow_event("+14155552671"), RoomyContext())
    second = handler(contact_flow_event("+14155552671"), RoomyContext())

    assert first["lambdaResult"] == second["lambdaResult"] == "NotFound"
    # The first call paid for the Tracer inside its budget; the second (Tracer made) has all of it.
    assert seen == [pytest.approx(budget - SLOW_TRACER_SECONDS), pytest.approx(budget)]


def test_a_flow_step_whose_budget_went_on_init_work_answers_timeout_at_once(
    step_env: None, clock: FakeClock, release: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:

    def tracer_taking_the_whole_budget() -> PassThroughTracer:
        clock.advance(FLOW_BUDGET_SECONDS)
        return PassThroughTracer()

    monkeypatch.setattr(observability, "tracer", tracer_taking_the_whole_budget)

    expired_when_the_logic_started: list[bool] = []

    def hanging_logic(request: FlowRequest, services: Services) -> FlowOutcome:
        found = current_deadline()
        expired_when_the_logic_started.append(found is not None and found.expired)
        release.wait(30)  # Zendesk hangs
        return FlowOutcome(LambdaResult.SUCCESS)

    handler = contact_flow_handler(CALLER_LOOKUP, hanging_logic)

    response = handler(contact_flow_event("+14155552671"), RoomyContext())

    assert (response["lambdaResult"], response["errorType"]) == ("Error", "Timeout")
    # Adapters give a Zendesk request the time left: none, so nothing is even sent.
    assert expired_when_the_logic_started in ([], [True])  # the guard may answer before it starts


# ---------------------------------------------------------------------------- the bot's code hook
def test_the_bots_first_turn_counts_the_tracer_load_against_its_budget(
    step_env: None, clock: FakeClock, slow_tracer: None
) -> None:
    budget = LEX_BUDGET_SECONDS
    seen: list[float] = []

    def logic(request: LexRequest, services: Services) -> LexReply:
        found = current_deadline()
        assert found is not None
        seen.append(found.remaining())
        return LexReply(DialogAction.DELEGATE, intent_name=request.intent_name, slots=request.raw_slots)

    handler = lex_code_hook_handler(logic, LEX_REQUIRED_ENV)
    event_file = PROJECT_ROOT / "events" / "lex_fulfillment" / "check_ticket_status_dialog.json"
    event = json.loads(event_file.read_text(encoding="utf-8"))

    response = handler(event, RoomyContext())

    assert response["sessionState"]["dialogAction"]["type"] == "Delegate"
    assert seen == [pytest.approx(budget - SLOW_TRACER_SECONDS)]
