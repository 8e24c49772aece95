"""Warm latency of a self-service bot turn on the local stack, and its answer while Zendesk hangs,
each as a ratio of the bot's time budget (LEX_TIME_BUDGET_MS): the caller waits in silence meanwhile.

A turn is what Lex does for one caller input: the dialog code hook, then (after Delegate) the
fulfillment code hook, played by LexConversation.
"""

from __future__ import annotations

import io
import time
from typing import Any

from connect_zendesk.settings import Settings
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.lex_conversation import LexConversation
from connect_zendesk_local.stack import LocalStack, function_output_to
from connect_zendesk_local.zendesk_emulator import FaultConfig

from bench.report import Row, latency_row

SAMPLES = 100  # p99 is the second-slowest sample
TURNS_PER_CALL = 10  # a new conversation every ten turns, as calls are: none reaches the 50-entry log bound
JANE = "+14155552671"
LATENCY_SHARE = 0.1  # as for the contact-flow steps: a tenth of the budget or less on loopback


def run(stack: LocalStack) -> list[Row]:
    budget = Settings.from_env(stack.template.function("lex_fulfillment").environment).lex_time_budget_seconds
    with function_output_to(io.StringIO()):
        _check_ticket(_conversation(stack))  # warm: imports, clients, token, caches
        turns = _samples(stack, _check_ticket)
        orders = _samples(stack, _order_status)
        hang = _hang(stack, budget)
    label = f"bot time budget {budget:.1f} s (2 invocations a turn)"
    return [
        latency_row("warm lex_fulfillment, bot turn, ticket status", turns, budget, LATENCY_SHARE, label),
        latency_row("warm lex_fulfillment, bot turn, order status", orders, budget, LATENCY_SHARE, label),
        Row(
            "bot answer while Zendesk hangs",
            f"{hang:.2f} s, then a handoff",
            hang / budget,
            1.1,
            f"bot time budget {budget:.1f} s (Lex waits 30 s)",
        ),
    ]


def _samples(stack: LocalStack, turn: Any) -> list[float]:
    samples: list[float] = []
    while len(samples) < SAMPLES:
        conversation = _conversation(stack)
        samples += [_timed(lambda call=conversation: turn(call)) for _ in range(TURNS_PER_CALL)]
    return samples[:SAMPLES]


def _conversation(stack: LocalStack) -> LexConversation:
    event = contact_flow_event(JANE)
    stack.invoke("caller_lookup", event)
    stack.invoke("ticket_lookup", event)

    def invoke(lex_event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = stack.invoke("lex_fulfillment", lex_event)
        return response

    contact_id = event["Details"]["ContactData"]["ContactId"]
    return LexConversation(invoke, contact_id=contact_id, session_attributes={"callerNumber": JANE})


def _check_ticket(conversation: LexConversation) -> None:
    conversation.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})


def _order_status(conversation: LexConversation) -> None:
    conversation.say("order 60415", intent="OrderStatus", slots={"OrderNumber": "60415"})


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _hang(stack: LocalStack, budget: float) -> float:
    """One fulfillment call while every Zendesk request hangs: the caller must hear the apology in time."""
    assert stack.zendesk is not None
    conversation = _conversation(stack)
    stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=60)
    try:
        started = time.perf_counter()
        turn = conversation.say("ticket 1002", intent="CheckTicketStatus", slots={"TicketNumber": "1002"})
        elapsed = time.perf_counter() - started
    finally:
        stack.zendesk.faults = FaultConfig()
    if turn.session_attributes.get("handoff") != "true":
        raise AssertionError("the bot did not hand the caller over while Zendesk hung")
    return elapsed
