"""`make flows`: the flows with the ARNs of a deployed stack, for users who import them by hand.

Values come from the stack's Outputs and Parameters (placeholders are named after them), then from
`--set Name=value` (e.g. the ARNs of flows imported by hand before). Every rendered flow is checked
with the same validator the tests use; nothing is written unless all of them pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contact_flows import (
    BOT_PLACEHOLDER,
    FLOW_SPECS,
    FLOWS_BY_NAME,
    FUNCTION_PLACEHOLDERS,
    fill,
    flow_text,
    placeholders_in,
)
from contact_flows.validation import Wiring, attributes_set, problems


class RenderError(Exception):
    """Missing values or a flow that fails validation: the message says which and how to fix it."""


def stack_values(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's Parameters and Outputs (Outputs win), without empty values."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    values.update({o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs", [])})
    return {k: v for k, v in values.items() if v}


def render_flows(values: Mapping[str, str]) -> dict[str, str]:
    """flow name -> rendered JSON text; RenderError when a value is missing or a flow is unsound."""
    needed = {name for spec in FLOW_SPECS for name in placeholders_in(flow_text(spec))}
    if missing := sorted(needed - set(values)):
        raise RenderError(
            "no value for "
            + ", ".join(missing)
            + ": deploy with ConnectInstanceArn, ConnectQueueArn and ConnectHoursOfOperationArn set, or pass"
            " --set Name=value (import customer_queue and agent_whisper first and pass their ARNs as"
            " CustomerQueueFlowArn and AgentWhisperFlowArn)"
        )
    wiring = Wiring(
        functions={values[p]: f for p, f in FUNCTION_PLACEHOLDERS.items() if p in values},
        bot_aliases=frozenset({values[BOT_PLACEHOLDER]}),
        placeholders_allowed=False,
        known_attributes=attributes_set(json.loads(fill(flow_text(FLOWS_BY_NAME["inbound"]), dict(values)))),
    )
    rendered: dict[str, str] = {}
    found: list[str] = []
    for spec in FLOW_SPECS:
        text = fill(flow_text(spec), dict(values))
        found += [f"{spec.name}: {p}" for p in problems(json.loads(text), spec.type, wiring)]
        rendered[spec.name] = text
    if found:
        raise RenderError("the rendered flows are not sound:\n  " + "\n  ".join(found))
    return rendered


def write_flows(rendered: Mapping[str, str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        path = out_dir / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
