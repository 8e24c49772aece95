"""stacks/contact_flows.yaml: one AWS::Connect::ContactFlow per flow, Content = Fn::Sub over the flow
JSON with a variable for every placeholder it holds. Every ARN a flow needs from template.yaml (the
functions, the bot alias, queue, hours) is a parameter of that stack named after its placeholder; the
flows' own ARNs are its outputs. A unit test fails when the file and this generator differ
(`make flows-template` rewrites it)."""

from __future__ import annotations

import json
from typing import Any

from stack_writer import GeneratedStack

from contact_flows import (
    FLOW_ARN_PLACEHOLDERS,
    FLOW_SPECS,
    PLACEHOLDERS,
    FlowSpec,
    flow_text,
    load_flow,
    placeholders_in,
)
from contact_flows.validation import targets

APPLICATION = "ContactFlowsStack"  # the nested application in template.yaml
CONDITION = "DeployContactFlows"  # template.yaml's condition on it
INSTANCE_PARAMETER = "ConnectInstanceArn"
COLUMN_WIDTH = 280
ROW_HEIGHT = 200


def content(spec: FlowSpec) -> str:
    """The flow as deployed: the source JSON plus designer positions, so it opens laid out."""
    flow = load_flow(spec)
    flow["Metadata"] = layout(flow)
    text = json.dumps(flow, indent=2, ensure_ascii=False)
    if placeholders_in(text) != placeholders_in(flow_text(spec)):  # the layout must add none
        raise ValueError(f"{spec.path.name}: the designer layout changed the placeholders")
    return text


def layout(flow: dict[str, Any]) -> dict[str, Any]:
    """Columns by the longest path from the start (the graph is acyclic), rows in source order."""
    by_id = {a["Identifier"]: a for a in flow["Actions"]}
    column: dict[str, int] = {flow["StartAction"]: 0}
    order = [a["Identifier"] for a in flow["Actions"]]
    changed = True
    while changed:  # relax until stable: at most len(order) rounds on an acyclic graph
        changed = False
        for ident in order:
            if ident not in column:
                continue
            for target in targets(by_id[ident]):
                if column.get(target, -1) < column[ident] + 1:
                    column[target] = column[ident] + 1
                    changed = True
    rows: dict[int, int] = {}
    positions: dict[str, Any] = {}
    for ident in order:
        col = column.get(ident, 0)
        row = rows.get(col, 0)
        rows[col] = row + 1
        positions[ident] = {"position": {"x": 160 + col * COLUMN_WIDTH, "y": 40 + row * ROW_HEIGHT}}
    return {"entryPointPosition": {"x": 40, "y": 40}, "ActionMetadata": positions}


def stack_parameters() -> list[str]:
    """The placeholders the flows take from template.yaml, in order of first use."""
    used = [name for spec in FLOW_SPECS for name in placeholders_in(content(spec))]
    return [name for name in dict.fromkeys(used) if name not in FLOW_ARN_PLACEHOLDERS]


def application_parameters() -> dict[str, Any]:
    """What template.yaml's ContactFlowsStack must pass: the instance and every placeholder's value."""
    values = {name: PLACEHOLDERS[name].template_value for name in stack_parameters()}
    return {INSTANCE_PARAMETER: {"Ref": INSTANCE_PARAMETER}, **values}


def _variable(name: str) -> dict[str, Any]:
    return PLACEHOLDERS[name].template_value if name in FLOW_ARN_PLACEHOLDERS else {"Ref": name}


def flow_resources() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for spec in FLOW_SPECS:
        text = content(spec)
        names = placeholders_in(text)
        body: Any = {"Fn::Sub": [text, {name: _variable(name) for name in names}]} if names else text
        resources[spec.logical_id] = {
            "Type": "AWS::Connect::ContactFlow",
            "Properties": {
                "InstanceArn": {"Ref": INSTANCE_PARAMETER},
                "Name": {"Fn::Sub": f"${{ParentStackName}} {spec.title}"},
                "Type": spec.type.value,
                "State": "ACTIVE",
                "Description": spec.description,
                "Content": body,
                "Tags": [{"Key": "application", "Value": "connect-zendesk"}],
            },
        }
    return resources


def _parameter(name: str) -> dict[str, Any]:
    return {
        "Type": "String",
        "Description": f"What the flows use for their {name} placeholder (from template.yaml).",
    }


def stack() -> GeneratedStack:
    parameters = {
        "ParentStackName": {
            "Type": "String",
            "Description": "template.yaml's stack name: the flows are named after it in the Connect console.",
        },
        INSTANCE_PARAMETER: {
            "Type": "String",
            "Description": "The Amazon Connect instance the flows live in.",
        },
        **{name: _parameter(name) for name in stack_parameters()},
    }
    outputs = {
        name: {
            "Description": f"ARN of the {spec.title} flow.",
            "Value": PLACEHOLDERS[name].template_value,
        }
        for spec in FLOW_SPECS
        for name in [f"{spec.logical_id.removesuffix('ContactFlow')}FlowArn"]
    }
    return GeneratedStack(
        file_name="contact_flows.yaml",
        command="make flows-template",
        sources="flows/*.json (tools/contact_flows)",
        description="connect-zendesk contact flows (flows/*.json) in the Amazon Connect instance.",
        parameters=parameters,
        resources=flow_resources(),
        outputs=outputs,
    )
