"""`make flows`: the flows rendered with a deployed stack's ARNs (moto's CloudFormation), validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from contact_flows import FLOW_SPECS, PLACEHOLDERS
from contact_flows.__main__ import main
from moto import mock_aws

REGION = "us-east-1"
INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
VALUES = {
    "CallerLookupFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:cz-caller-lookup",
    "TicketLookupFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:cz-ticket-lookup",
    "StartStreamingFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:cz-start-streaming",
    "SelfServiceBotAliasArn": "arn:aws:lex:us-east-1:123456789012:bot-alias/BOTID12345/ALIASID123",
    "CustomerQueueFlowArn": f"{INSTANCE}/contact-flow/aaaaaaaa-0000-0000-0000-000000000001",
    "AgentWhisperFlowArn": f"{INSTANCE}/contact-flow/aaaaaaaa-0000-0000-0000-000000000002",
    "InboundFlowArn": f"{INSTANCE}/contact-flow/aaaaaaaa-0000-0000-0000-000000000003",
}
PARAMETERS = {
    "ConnectQueueArn": f"{INSTANCE}/queue/bbbbbbbb-0000-0000-0000-000000000001",
    "ConnectHoursOfOperationArn": f"{INSTANCE}/operating-hours/cccccccc-0000-0000-0000-000000000001",
    "LiveTranscriptionPath": "KvsStreaming",
}


def _stack_template(outputs: dict[str, str]) -> str:
    """A stand-in for the deployed stack: its Parameters and Outputs are what `make flows` reads."""
    return json.dumps(
        {
            "Parameters": {name: {"Type": "String"} for name in PARAMETERS},
            "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
    )


@pytest.fixture
def stack() -> Any:
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name=REGION)

        def create(name: str, outputs: dict[str, str]) -> str:
            cloudformation.create_stack(
                StackName=name,
                TemplateBody=_stack_template(outputs),
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
            )
            return name

        yield create


def test_make_flows_writes_every_flow_with_the_stacks_arns(stack: Any, tmp_path: Path) -> None:
    # Given a deployed stack with the flows' outputs
    name = stack("cz-prod", VALUES)
    # When the flows are rendered from it
    assert main(["render", "--stack", name, "--region", REGION, "--out", str(tmp_path)]) == 0
    # Then every flow is written, complete and with the stack's ARNs
    for spec in FLOW_SPECS:
        text = (tmp_path / f"{spec.name}.json").read_text(encoding="utf-8")
        assert "${" not in text
        json.loads(text)
    inbound = (tmp_path / "inbound.json").read_text(encoding="utf-8")
    for value in [*VALUES.values(), *PARAMETERS.values()]:
        if value != VALUES["InboundFlowArn"]:
            assert value in inbound


def test_flows_imported_by_hand_come_in_with_set(stack: Any, tmp_path: Path) -> None:
    # Given a stack deployed without the flows (no flow ARN outputs)
    without_flows = {k: v for k, v in VALUES.items() if not k.endswith("FlowArn")}
    name = stack("cz-dev", without_flows)
    arguments = ["render", "--stack", name, "--region", REGION, "--out", str(tmp_path)]
    # When rendered without the ARNs of the hand-imported queue and whisper flows, Then it says which
    assert main(arguments) == 1
    assert not list(tmp_path.iterdir())
    # And with them, it renders
    extra = [
        f"--set=CustomerQueueFlowArn={VALUES['CustomerQueueFlowArn']}",
        f"--set=AgentWhisperFlowArn={VALUES['AgentWhisperFlowArn']}",
    ]
    assert main([*arguments, *extra]) == 0
    assert VALUES["AgentWhisperFlowArn"] in (tmp_path / "inbound.json").read_text(encoding="utf-8")


def test_missing_values_are_named(stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = stack("cz-bare", {})
    assert main(["render", "--stack", name, "--region", REGION, "--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    for placeholder in ("CallerLookupFunctionArn", "SelfServiceBotAliasArn", "CustomerQueueFlowArn"):
        assert placeholder in error


def test_a_value_that_breaks_a_flow_is_refused(
    stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stack whose ticket lookup output names the caller lookup (the flow would read keys it lacks)
    name = stack("cz-odd", {**VALUES, "TicketLookupFunctionArn": VALUES["CallerLookupFunctionArn"]})
    # Then nothing is written and the problem is named
    assert main(["render", "--stack", name, "--region", REGION, "--out", str(tmp_path)]) == 1
    assert "not sound" in capsys.readouterr().err
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_an_unknown_stack_or_bad_set_is_an_error(stack: Any, tmp_path: Path) -> None:
    assert main(["render", "--stack", "nope", "--region", REGION, "--out", str(tmp_path)]) == 1
    assert main(["render", "--stack", "nope", "--region", REGION, "--set", "novalue"]) == 2


def test_every_placeholder_has_a_source_on_the_stack() -> None:
    assert set(PLACEHOLDERS) <= set(VALUES) | set(PARAMETERS)
