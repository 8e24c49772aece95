"""Cold init of every function against `import boto3` + one client, in fresh processes.

Each sample is a new Python process that imports the handler module exactly as the local invoke
does (its template environment applied first) and times only that import, so interpreter start-up
is not counted. Baseline and function samples are interleaved so machine noise hits both alike.

The contact-flow functions (a caller waits in silence while Connect starts them) must stay within
1.25x the baseline: lazy imports, clients made on first use, no Tracer before the first call. The
others run off the caller's path (streams, queues, WebSocket routes, schedules) and get a looser
budget of 1.5x: they may load what their every invocation needs (Powertools' batch and idempotency
utilities, the sentiment lexicon, awscrt).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.stack import LocalStack

from bench.report import Row, median_ms

SAMPLES = 12
CONTACT_FLOW_FUNCTIONS = frozenset({"caller_lookup", "ticket_lookup", "lex_fulfillment", "start_streaming"})
CONTACT_FLOW_BUDGET = 1.25
OFF_CALL_PATH_BUDGET = 1.5

BASELINE = """
import time
t = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(time.perf_counter() - t)
"""

HANDLER = """
import os, pathlib, time
from connect_zendesk_local.cfn_template import FunctionSpec
from connect_zendesk_local.functions import load_handler
spec = FunctionSpec({logical_id!r}, {name!r}, pathlib.Path({code_dir!r}), {handler!r}, 8, 512, {{}})
os.environ.update({env})
t = time.perf_counter()
load_handler(spec)
print(time.perf_counter() - t)
"""


def budget_for(function: str) -> float:
    return CONTACT_FLOW_BUDGET if function in CONTACT_FLOW_FUNCTIONS else OFF_CALL_PATH_BUDGET


def _sample(code: str) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT, env=env
    )
    return float(result.stdout.strip().splitlines()[-1])


def _handler_code(stack: LocalStack, name: str) -> str:
    spec = stack.template.function(name)
    return HANDLER.format(
        logical_id=spec.logical_id,
        name=spec.name,
        code_dir=str(spec.code_dir),
        handler=spec.handler,
        env=json.dumps({**spec.environment, **stack.environment}),
    )


def run(stack: LocalStack) -> list[Row]:
    names = sorted(stack.template.functions(), key=lambda n: (n not in CONTACT_FLOW_FUNCTIONS, n))
    codes = {name: _handler_code(stack, name) for name in names}
    baseline: list[float] = []
    timings: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(SAMPLES):
        baseline.append(_sample(BASELINE))
        for name, code in codes.items():
            timings[name].append(_sample(code))
    base = median_ms(baseline)
    return [
        Row(
            name=f"cold init {name}",
            measured=f"{median_ms(samples):.0f} ms (baseline {base:.0f} ms)",
            ratio=median_ms(samples) / base,
            budget=budget_for(name),
            basis=f"import boto3 + one client, medians of {SAMPLES} fresh processes"
            + ("" if name in CONTACT_FLOW_FUNCTIONS else "; off the caller's path"),
        )
        for name, samples in timings.items()
    ]
