"""Contact flows as code: the Amazon Connect flow-language JSON in flows/, its placeholders and checks.

`flows/*.json` is the source. Every ARN a flow needs appears there as a `${Name}` placeholder, named
after the stack Output (or Parameter) that carries it. The nested stack stacks/contact_flows.yaml gets
the flows as `AWS::Connect::ContactFlow` resources whose Content is `Fn::Sub` over that JSON (`python -m
contact_flows sync`, `make flows-template`); `make flows` fills the placeholders from a deployed stack
for users who import the flows by hand. `contact_flows.validation` checks both forms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from connect_zendesk.connect.contracts import FLOW_CONTRACTS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = PROJECT_ROOT / "flows"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


class FlowType(StrEnum):
    CONTACT_FLOW = "CONTACT_FLOW"
    CUSTOMER_QUEUE = "CUSTOMER_QUEUE"
    AGENT_WHISPER = "AGENT_WHISPER"


@dataclass(frozen=True)
class FlowSpec:
    name: str  # flows/<name>.json
    type: FlowType
    logical_id: str  # the AWS::Connect::ContactFlow resource
    title: str  # shown in the Connect console after the stack name
    description: str

    @property
    def path(self) -> Path:
        return FLOWS_DIR / f"{self.name}.json"


# Order matters for the template: a flow comes after the flows it names.
FLOW_SPECS: tuple[FlowSpec, ...] = (
    FlowSpec(
        "customer_queue",
        FlowType.CUSTOMER_QUEUE,
        "CustomerQueueContactFlow",
        "customer queue",
        "connect-zendesk: what callers hear while they wait for an agent.",
    ),
    FlowSpec(
        "agent_whisper",
        FlowType.AGENT_WHISPER,
        "AgentWhisperContactFlow",
        "agent whisper",
        "connect-zendesk: tells the agent the caller's name and Zendesk ticket before connecting.",
    ),
    FlowSpec(
        "inbound",
        FlowType.CONTACT_FLOW,
        "InboundContactFlow",
        "inbound",
        "connect-zendesk: Zendesk caller and ticket lookup, self-service bot, keypad menu, agent queue.",
    ),
)
FLOWS_BY_NAME = {spec.name: spec for spec in FLOW_SPECS}


WARM_START_CONDITION = "ContactFlowWarmStartOn"


@dataclass(frozen=True)
class Placeholder:
    name: str
    template_value: dict[str, Any]  # what fills it: in template.yaml, or in the flows stack for a flow ARN
    from_output: bool  # a stack Output of that name (else a stack Parameter) gives it to `make flows`


def function_output(function: str) -> str:
    """caller_lookup -> CallerLookupFunctionArn (the stack Output; the resource is CallerLookupFunction)."""
    return "".join(part.title() for part in function.split("_")) + "FunctionArn"


def _function_arn(resource: str) -> dict[str, Any]:
    """The ARN a flow invokes: the published "live" alias when ContactFlowWarmStart keeps SnapStart
    or provisioned environments (only versions have them), else the function itself."""
    return {"Fn::If": [WARM_START_CONDITION, {"Ref": f"{resource}.Alias"}, {"Fn::GetAtt": [resource, "Arn"]}]}


def _placeholders() -> dict[str, Placeholder]:
    table = [
        Placeholder(
            function_output(f), _function_arn(function_output(f).removesuffix("Arn")), from_output=True
        )
        for f in sorted(FLOW_CONTRACTS)
    ]
    table += [
        Placeholder(
            "SelfServiceBotAliasArn",
            {"Fn::GetAtt": ["SelfServiceBotStack", "Outputs.SelfServiceBotAliasArn"]},
            from_output=True,
        ),
        Placeholder("ConnectQueueArn", {"Ref": "ConnectQueueArn"}, from_output=False),
        Placeholder("ConnectHoursOfOperationArn", {"Ref": "ConnectHoursOfOperationArn"}, from_output=False),
        Placeholder("LiveTranscriptionPath", {"Ref": "LiveTranscriptionPath"}, from_output=False),
    ]
    table += [
        Placeholder(
            f"{spec.logical_id.removesuffix('ContactFlow')}FlowArn",
            {"Fn::GetAtt": [spec.logical_id, "ContactFlowArn"]},
            from_output=True,
        )
        for spec in FLOW_SPECS
    ]
    return {p.name: p for p in table}


PLACEHOLDERS = _placeholders()
FUNCTION_PLACEHOLDERS = {function_output(f): f for f in FLOW_CONTRACTS}
# The flows' own ARNs resolve inside stacks/contact_flows.yaml; every other placeholder is a parameter
# of that stack, which template.yaml passes its template_value.
FLOW_ARN_PLACEHOLDERS = frozenset(
    f"{spec.logical_id.removesuffix('ContactFlow')}FlowArn" for spec in FLOW_SPECS
)
BOT_PLACEHOLDER = "SelfServiceBotAliasArn"


def flow_text(spec: FlowSpec) -> str:
    return spec.path.read_text(encoding="utf-8")


def load_flow(spec: FlowSpec) -> dict[str, Any]:
    flow = json.loads(flow_text(spec))
    if not isinstance(flow, dict):
        raise ValueError(f"{spec.path.name} is not a JSON object")
    return flow


def placeholders_in(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace every `${Name}` with values[Name]; KeyError names the first one without a value."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def canonical_text(flow: dict[str, Any]) -> str:
    return json.dumps(flow, indent=2, ensure_ascii=False) + "\n"
