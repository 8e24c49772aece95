"""Warm latency of the contact-flow functions on the local stack (cache hit and miss), their overhead
over a bare request to the Zendesk emulator, Zendesk calls per contact, and the answer time while
Zendesk hangs, each as a ratio of the flow's time budget or of the call budget."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from urllib.parse import urlencode

import requests
from connect_zendesk.settings import Settings
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.stack import ZENDESK_EMAIL, ZENDESK_TOKEN, LocalStack, function_output_to
from connect_zendesk_local.zendesk_emulator import FaultConfig

from bench.report import Row, latency_row, median_ms

SAMPLES = 100  # p99 is the second-slowest sample
JANE = "+14155552671"
FIRST_TIME_CALLER = "+14155550134"  # a seeded customer nobody has looked up in this run
LATENCY_SHARE = 0.1  # warm answers should take a tenth of the budget or less on loopback


def run(stack: LocalStack) -> list[Row]:
    assert stack.zendesk is not None
    budget = Settings.from_env(stack.template.function("caller_lookup").environment).flow_time_budget_seconds
    rows: list[Row] = []
    with function_output_to(io.StringIO()):
        invoke(stack, "caller_lookup", JANE)  # warm the containers: imports, clients, token
        invoke(stack, "ticket_lookup", JANE)
        caller_rows, caller_misses = _latency_rows(
            stack, "caller_lookup", budget, miss=lambda i: f"+1212555{1000 + i:04d}"
        )
        ticket_rows, ticket_misses = _latency_rows(stack, "ticket_lookup", budget, miss=None)
        rows += caller_rows + ticket_rows
        misses = {"caller_lookup": caller_misses, "ticket_lookup": ticket_misses}
        rows += _overhead_rows(stack, budget, misses)
        rows += _call_budget_rows(stack)
        rows.append(_hang_row(stack, budget))
    return rows


def invoke(stack: LocalStack, function: str, address: str) -> float:
    started = time.perf_counter()
    stack.invoke(function, contact_flow_event(address))
    return time.perf_counter() - started


def _latency_rows(
    stack: LocalStack, function: str, budget: float, miss: Callable[[int], str] | None
) -> tuple[list[Row], list[float]]:
    hits = [invoke(stack, function, JANE) for _ in range(SAMPLES)]
    if miss is not None:  # every miss is a number never seen before
        misses = [invoke(stack, function, miss(i)) for i in range(SAMPLES)]
    else:  # the same caller with their cached ticket list dropped before each call
        misses = []
        for _ in range(SAMPLES):
            _drop_cached_tickets(stack)
            misses.append(invoke(stack, function, JANE))
    label = f"time budget {budget:.1f} s"
    rows = [
        latency_row(f"warm {function}, cache hit", hits, budget, LATENCY_SHARE, label),
        latency_row(f"warm {function}, cache miss", misses, budget, LATENCY_SHARE, label),
    ]
    return rows, misses


def _overhead_rows(stack: LocalStack, budget: float, misses: dict[str, list[float]]) -> list[Row]:
    """A cache miss against the same Zendesk request sent bare (one keep-alive HTTP client, no function
    around it), measured in this run: what the function adds to the round trip it cannot avoid."""
    rows = []
    for function, samples in misses.items():
        bare = _bare_round_trips(stack, _zendesk_path_of_a_miss(stack, function))
        added = median_ms(samples) - median_ms(bare)
        rows.append(
            Row(
                f"{function} miss over a bare Zendesk round trip",
                f"+{added:.1f} ms (p50 {median_ms(samples):.1f} vs bare {median_ms(bare):.1f} ms,"
                f" {median_ms(samples) / median_ms(bare):.1f}x)",
                added / (budget * 1000),
                LATENCY_SHARE,
                f"added p50 / time budget {budget:.1f} s; bare = the same emulator request alone",
            )
        )
    return rows


def _zendesk_path_of_a_miss(stack: LocalStack, function: str) -> str:
    assert stack.zendesk is not None
    before = len(stack.zendesk.requests_log())
    if function == "ticket_lookup":
        _drop_cached_tickets(stack)
        invoke(stack, function, JANE)
    else:
        invoke(stack, function, "+12125559999")
    request = next(r for r in stack.zendesk.requests_log()[before:] if r.path.startswith("/api/v2/"))
    query = urlencode([(k, v) for k, values in request.query.items() for v in values])
    return f"{request.path}?{query}" if query else request.path


def _bare_round_trips(stack: LocalStack, path: str) -> list[float]:
    assert stack.zendesk is not None
    session = requests.Session()
    session.auth = (f"{ZENDESK_EMAIL}/token", ZENDESK_TOKEN)
    url = f"http://{stack.zendesk.netloc}{path}"
    session.get(url, timeout=5).raise_for_status()  # open the keep-alive connection
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        session.get(url, timeout=5).raise_for_status()
        samples.append(time.perf_counter() - started)
    session.close()
    return samples


def _drop_cached_tickets(stack: LocalStack) -> None:
    table = stack.template.physical["CacheTable"].ref
    dynamodb = stack.client("dynamodb")
    for item in dynamodb.scan(TableName=table, ProjectionExpression="cacheKey")["Items"]:
        if item["cacheKey"]["S"].startswith("tickets#"):
            dynamodb.delete_item(TableName=table, Key={"cacheKey": item["cacheKey"]})


def _call_budget_rows(stack: LocalStack) -> list[Row]:
    first = _calls_for_one_contact(stack, FIRST_TIME_CALLER)
    repeat = _calls_for_one_contact(stack, FIRST_TIME_CALLER)
    return [
        Row("Zendesk calls, first-time caller", f"{first} calls", first / 3, 1.0, "budget 3 per contact"),
        Row("Zendesk calls, repeat caller", f"{repeat} calls", repeat / 1, 1.0, "budget 1 per contact"),
    ]


def _calls_for_one_contact(stack: LocalStack, address: str) -> int:
    assert stack.zendesk is not None
    before = len(stack.zendesk.requests_log())
    event = contact_flow_event(address)
    stack.invoke("caller_lookup", event)
    stack.invoke("ticket_lookup", event)
    return sum(1 for r in stack.zendesk.requests_log()[before:] if r.path.startswith("/api/v2/"))


def _hang_row(stack: LocalStack, budget: float) -> Row:
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=60)
    try:
        answers = [invoke(stack, "caller_lookup", f"+1312555{2000 + i:04d}") for i in range(3)]
    finally:
        stack.zendesk.faults = FaultConfig()
    return Row(
        "answer while Zendesk hangs",
        f"{max(answers):.2f} s worst of {len(answers)}",
        max(answers) / budget,
        1.1,
        f"time budget {budget:.1f} s (Connect allows 8 s)",
    )
