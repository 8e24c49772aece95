"""The first call of a fresh execution environment while Zendesk hangs, against the budget + 100 ms.

Each sample is a new function process (connect_zendesk_local.lambda_pool, one worker): it imports the
function (the init phase, reported apart and not counted, as Lambda's init is not part of the
invocation), then makes its first call, which creates the Tracer, the AWS clients and the Zendesk
session and meets a Zendesk that never answers. The time budget starts at handler entry, so that
work is inside the budget; the 100 ms allow for answering after the deadline (the response, the
log line, the metrics flush).
"""

from __future__ import annotations

import statistics

from connect_zendesk.settings import Settings
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.lambda_pool import LambdaPool
from connect_zendesk_local.stack import LocalStack
from connect_zendesk_local.zendesk_emulator import FaultConfig

from bench.report import Row

SAMPLES = 5  # fresh processes per function (each waits out the whole budget)
FUNCTIONS = ("caller_lookup", "ticket_lookup")
ANSWER_ALLOWANCE_SECONDS = 0.1


def run(stack: LocalStack) -> list[Row]:
    assert stack.zendesk is not None
    rows = []
    stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=60)
    try:
        for function in FUNCTIONS:
            budget = Settings.from_env(stack.template.function(function).environment).flow_time_budget_seconds
            rows.append(_row(stack, function, budget))
    finally:
        stack.zendesk.faults = FaultConfig()
    return rows


def _row(stack: LocalStack, function: str, budget: float) -> Row:
    answers, inits = [], []
    for sample in range(SAMPLES):
        with LambdaPool(stack, workers=1) as pool:  # a new process: a fresh execution environment
            first = pool.run(function, contact_flow_event(f"+1415555{7000 + sample:04d}"))
        if first.error is not None or not first.first_call:
            raise RuntimeError(f"{function}: not a clean first call:\n{first.error}")
        if (first.response["lambdaResult"], first.response["errorType"]) != ("Error", "Timeout"):
            raise RuntimeError(f"{function} answered {first.response} while Zendesk hangs")
        answers.append(first.seconds)
        inits.append(first.init_seconds)
    limit = budget + ANSWER_ALLOWANCE_SECONDS
    imported_ms = statistics.median(inits) * 1000
    return Row(
        f"first call of a fresh environment, {function}, Zendesk hanging",
        f"{max(answers):.3f} s worst of {len(answers)} (import {imported_ms:.0f} ms, not counted)",
        max(answers) / limit,
        1.0,
        f"time budget {budget:.1f} s + {ANSWER_ALLOWANCE_SECONDS * 1000:.0f} ms; a new process per sample",
    )
