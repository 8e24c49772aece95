"""Contact flows as code: flows/*.json against the flow language, the function contracts and the template."""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from connect_zendesk.connect.contracts import FLOW_CONTRACTS, SELF_SERVICE_BOT
from connect_zendesk_local.cfn_template import PROJECT_ROOT, load_nested_stack, load_template
from contact_flows import (
    FLOW_ARN_PLACEHOLDERS,
    FLOW_SPECS,
    FLOWS_BY_NAME,
    FUNCTION_PLACEHOLDERS,
    PLACEHOLDERS,
    FlowType,
    canonical_text,
    flow_text,
    load_flow,
    placeholders_in,
)
from contact_flows.__main__ import main as contact_flows_main
from contact_flows.stack import APPLICATION, CONDITION, application_parameters, content, layout, stack
from contact_flows.validation import ACTION_RULES, attributes_set, problems, targets, template_wiring
from stack_writer import render

PACKAGE = PROJECT_ROOT / "layers" / "common" / "connect_zendesk"
INBOUND = FLOWS_BY_NAME["inbound"]
# Where each contact-flow function reads its parameters (ticket_lookup falls back on caller lookup).
READERS = {
    "caller_lookup": ["domain/caller_lookup.py"],
    "ticket_lookup": ["domain/ticket_lookup.py", "domain/caller_lookup.py"],
    "start_streaming": ["kvs/start_streaming.py"],
}


def wiring() -> Any:
    return template_wiring(attributes_set(load_flow(INBOUND)))


def actions(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["Identifier"]: a for a in flow["Actions"]}


def resources() -> dict[str, Any]:
    return dict(load_template()["Resources"])


# ---------------------------------------------------------------------------- the flows themselves
@pytest.mark.parametrize("spec", FLOW_SPECS, ids=lambda s: s.name)
def test_every_flow_parses_and_is_sound(spec: Any) -> None:
    # Given a flow as shipped, When it is validated as the template deploys it, Then nothing is wrong
    flow = load_flow(spec)
    assert problems(flow, spec.type, wiring()) == []
    assert flow_text(spec) == canonical_text(flow)  # one formatting: diffs show real changes


def test_the_inbound_flow_does_what_the_issue_asks() -> None:
    flow = load_flow(INBOUND)
    kinds = {a["Type"] for a in flow["Actions"]}
    for kind in (
        "UpdateFlowLoggingBehavior",
        "UpdateContactRecordingBehavior",
        "UpdateContactMediaStreamingBehavior",
        "ConnectParticipantWithLexBot",
        "GetParticipantInput",
        "CheckHoursOfOperation",
        "TransferContactToQueue",
        "UpdateContactEventHooks",
    ):
        assert kind in kinds, kind
    called = {
        FUNCTION_PLACEHOLDERS[n] for n in placeholders_in(flow_text(INBOUND)) if n in FUNCTION_PLACEHOLDERS
    }
    assert called == set(FLOW_CONTRACTS)
    by_id = actions(flow)
    menu = by_id["keypad-menu"]["Transitions"]["Conditions"]
    assert sorted(c["Condition"]["Operands"][0] for c in menu) == ["0", "1", "2", "3"]
    contact_lens = by_id["start-contact-lens"]["Parameters"]["AnalyticsBehavior"]
    assert contact_lens["ChannelConfiguration"]["Voice"]["AnalyticsModes"] == ["RealTime"]
    # the queue gets the ticket and the Zendesk user as contact attributes
    assert {"zendeskUserId", "zendeskTicketId"} <= attributes_set(flow)


def test_every_path_ends_in_a_queue_transfer_or_a_polite_disconnect() -> None:
    flow = load_flow(INBOUND)
    by_id = actions(flow)
    ends = {i for i, a in by_id.items() if not targets(a)}
    assert {by_id[i]["Type"] for i in ends} == {"DisconnectParticipant"}
    # whatever leads to the disconnect: a message first, or a successful queue transfer
    into_disconnect = {i for i, a in by_id.items() if "disconnect" in targets(a)}
    assert {by_id[i]["Type"] for i in into_disconnect} == {"MessageParticipant", "TransferContactToQueue"}


@pytest.mark.parametrize("spec", FLOW_SPECS, ids=lambda s: s.name)
def test_every_action_that_can_fail_has_its_error_branches(spec: Any) -> None:
    for action in load_flow(spec)["Actions"]:
        wired = {e["ErrorType"] for e in action["Transitions"].get("Errors", [])}
        assert wired == ACTION_RULES[action["Type"]].errors, action["Identifier"]


# ---------------------------------------------------------------------------- the validator can fail
def _mutated(change: Callable[[dict[str, Any]], None]) -> list[str]:
    flow = copy.deepcopy(load_flow(INBOUND))
    change(flow)
    return problems(flow, FlowType.CONTACT_FLOW, wiring())


def _action(flow: dict[str, Any], ident: str) -> dict[str, Any]:
    return actions(flow)[ident]


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("version", lambda f: f.update(Version="2020-01-01"), "Version must be"),
    ("start", lambda f: f.update(StartAction="nowhere"), "StartAction"),
    ("no actions", lambda f: f.update(Actions=[]), "non-empty list"),
    (
        "dangling",
        lambda f: _action(f, "goodbye")["Transitions"].update(NextAction="nowhere"),
        "'nowhere', which is not an action",
    ),
    (
        "missing error",
        lambda f: _action(f, "lookup-caller")["Transitions"].update(Errors=[]),
        "lookup-caller: error branches not wired: NoMatchingError",
    ),
    (
        "unknown error",
        lambda f: _action(f, "goodbye")["Transitions"]["Errors"].append(
            {"ErrorType": "QueueAtCapacity", "NextAction": "disconnect"}
        ),
        "has no error branches QueueAtCapacity",
    ),
    ("unknown type", lambda f: _action(f, "goodbye").update(Type="PlayMusic"), "unknown action type"),
    (
        "loop to start",
        lambda f: _action(f, "goodbye")["Transitions"].update(NextAction="enable-flow-logs"),
        "goodbye: goes back to the start",
    ),
    (
        "loop",
        lambda f: _action(f, "goodbye")["Transitions"].update(NextAction="keypad-menu"),
        "loops back",
    ),
    (
        "terminal with transitions",
        lambda f: _action(f, "disconnect").update(Transitions={"NextAction": "goodbye"}),
        "ends the flow",
    ),
    (
        "unreachable",
        lambda f: f["Actions"].append(
            {"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ),
        "orphan: no path from the start reaches it",
    ),
    (
        "duplicate id",
        lambda f: f["Actions"].append(copy.deepcopy(_action(f, "disconnect"))),
        "Identifier is not unique",
    ),
    (
        "bad id",
        lambda f: f["Actions"].append(
            {"Identifier": "a:b", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ),
        "forbidden character",
    ),
    (
        "unknown key",
        lambda f: _action(f, "remember-caller")["Parameters"]["Attributes"].update(x="$.External.email"),
        "reads $.External.email, which caller_lookup does not return",
    ),
    (
        "key of another function",
        lambda f: _action(f, "remember-caller")["Parameters"]["Attributes"].update(x="$.External.ticketId"),
        "which caller_lookup does not return",
    ),
    (
        "external on an error path",
        lambda f: _action(f, "greet-caller")["Parameters"].update(Text="Hi $.External.customerName"),
        "greet-caller: reads $.External.customerName on a path with no Lambda before it",
    ),
    (
        "unknown parameter",
        lambda f: _action(f, "lookup-caller")["Parameters"].update(LambdaInvocationAttributes={"email": "x"}),
        "passes ['email'] to caller_lookup",
    ),
    (
        "not our function",
        lambda f: _action(f, "lookup-caller")["Parameters"].update(LambdaFunctionARN="arn:aws:lambda:x"),
        "not a contact-flow function of the stack",
    ),
    (
        "json response",
        lambda f: _action(f, "lookup-caller")["Parameters"]["ResponseValidation"].update(ResponseType="JSON"),
        "STRING_MAP",
    ),
    (
        "too long",
        lambda f: _action(f, "lookup-caller")["Parameters"].update(InvocationTimeLimitSeconds="9"),
        "1 to 8",
    ),
    (
        "unknown placeholder",
        lambda f: _action(f, "set-working-queue")["Parameters"].update(QueueId="${SomeQueue}"),
        "not one the template fills",
    ),
    (
        "other bot",
        lambda f: _action(f, "ask-how-to-help")["Parameters"]["LexV2Bot"].update(AliasArn="arn:other"),
        "not the stack's self-service bot",
    ),
    (
        "unread session attribute",
        lambda f: _action(f, "ask-how-to-help")["Parameters"]["LexSessionAttributes"].update(email="x"),
        "the bot does not read",
    ),
    (
        "unknown bot key",
        lambda f: _action(f, "handoff-from-bot")["Parameters"]["Attributes"].update(
            x="$.Lex.SessionAttributes.mood"
        ),
        "which the bot does not return",
    ),
    (
        "bot key before the bot",
        lambda f: _action(f, "greet-caller")["Parameters"].update(Text="$.Lex.SessionAttributes.handoff"),
        "where the bot has not run",
    ),
    (
        "unknown handoff reason",
        lambda f: _action(f, "check-handoff-reason")["Transitions"]["Conditions"][0]["Condition"].update(
            Operands=["Bored"]
        ),
        "never gives handoffReason 'Bored'",
    ),
    (
        "unset attribute",
        lambda f: _action(f, "goodbye")["Parameters"].update(Text="Bye $.Attributes.nickname"),
        "reads $.Attributes.nickname, which no flow sets",
    ),
    (
        "hours without False",
        lambda f: _action(f, "check-hours")["Transitions"]["Conditions"].pop(),
        "exactly the conditions True and False",
    ),
    (
        "conditions where none are taken",
        lambda f: _action(f, "goodbye")["Transitions"].update(
            Conditions=[{"NextAction": "disconnect", "Condition": {"Operator": "Equals", "Operands": ["x"]}}]
        ),
        "takes no Conditions",
    ),
    (
        "bad operator",
        lambda f: _action(f, "check-caller-found")["Transitions"]["Conditions"][0]["Condition"].update(
            Operator="Contains"
        ),
        "must be Equals",
    ),
    (
        "nowhere to go",
        lambda f: _action(f, "goodbye").update(
            Transitions={"Errors": _action(f, "goodbye")["Transitions"]["Errors"]}
        ),
        "neither NextAction nor Conditions",
    ),
    (
        "error wired twice",
        lambda f: _action(f, "goodbye")["Transitions"]["Errors"].append(
            {"ErrorType": "NoMatchingError", "NextAction": "disconnect"}
        ),
        "wired twice",
    ),
    (
        "transitions not an object",
        lambda f: _action(f, "goodbye").update(Transitions=[]),
        "must be an object",
    ),
    ("no identifier", lambda f: f["Actions"].append({"Type": "EndFlowExecution"}), "has no Identifier"),
]


@pytest.mark.parametrize(("case", "change", "expected"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_validator_reports_each_broken_rule(
    case: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    # Given the inbound flow with one rule broken, When validated, Then the problem is named
    found = _mutated(change)
    assert any(expected in p for p in found), (case, found)


def test_actions_are_checked_against_their_flow_type() -> None:
    whisper = load_flow(FLOWS_BY_NAME["agent_whisper"])
    whisper["Actions"][-1] = {
        "Identifier": "end-whisper",
        "Type": "TransferContactToQueue",
        "Parameters": {},
        "Transitions": {"NextAction": "x"},
    }
    assert any(
        "not allowed in a AGENT_WHISPER flow" in p
        for p in problems(whisper, FlowType.AGENT_WHISPER, wiring())
    )
    assert problems([], FlowType.CONTACT_FLOW, wiring()) == ["the flow is not a JSON object"]


def test_a_rendered_flow_must_have_no_placeholder_left() -> None:
    rendered = template_wiring()
    rendered = type(rendered)(
        rendered.functions,
        rendered.bot_aliases,
        placeholders_allowed=False,
        known_attributes=attributes_set(load_flow(INBOUND)),
    )
    assert any("is not filled" in p for p in problems(load_flow(INBOUND), FlowType.CONTACT_FLOW, rendered))


# ---------------------------------------------------------------------------- contracts, one table
@pytest.mark.parametrize("function", sorted(FLOW_CONTRACTS))
def test_each_function_reads_exactly_the_parameters_its_contract_lists(function: str) -> None:
    read: set[str] = set()
    for relative in READERS[function]:
        for node in ast.walk(ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"value", "get"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.func.value, ast.Attribute | ast.Name)
                and (
                    getattr(node.func.value, "attr", "") == "parameters"
                    or getattr(node.func.value, "id", "") == "request"
                )
            ):
                read.add(str(node.args[0].value))
    assert read == set(FLOW_CONTRACTS[function].parameters)


def test_the_bot_contract_matches_what_the_code_hook_reads_and_sets() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "lex").rglob("*.py"))
    source += "\n".join(
        p.read_text(encoding="utf-8") for p in (PACKAGE / "domain" / "self_service").rglob("*.py")
    )
    for name in (
        *SELF_SERVICE_BOT.session_parameters,
        *SELF_SERVICE_BOT.returns,
        *SELF_SERVICE_BOT.handoff_reasons,
    ):
        assert f'"{name}"' in source, name


# ---------------------------------------------------------------------------- the template carries them
def test_the_flows_stack_is_what_the_generator_writes() -> None:
    assert contact_flows_main(["sync", "--check"]) == 0
    assert (PROJECT_ROOT / "stacks" / "contact_flows.yaml").read_text(encoding="utf-8") == render(stack())


def test_template_yaml_passes_the_flows_stack_every_value_it_needs() -> None:
    template = load_template()
    application = template["Resources"][APPLICATION]
    assert application["Type"] == "AWS::Serverless::Application"
    assert application["Condition"] == CONDITION
    assert application["Properties"]["Location"] == "stacks/contact_flows.yaml"
    passed = application["Properties"]["Parameters"]
    assert passed == {"ParentStackName": {"Ref": "AWS::StackName"}, **application_parameters()}
    assert set(passed) == set(load_nested_stack(APPLICATION)["Parameters"])
    for name, value in passed.items():
        for referenced in _references(value, template):
            assert referenced in template["Resources"] or referenced in template["Parameters"], name


@pytest.mark.parametrize("spec", FLOW_SPECS, ids=lambda s: s.name)
def test_every_placeholder_is_filled_by_the_template(spec: Any) -> None:
    template = load_nested_stack(APPLICATION)
    resource = template["Resources"][spec.logical_id]
    assert resource["Type"] == "AWS::Connect::ContactFlow"
    assert resource["Properties"]["Type"] == spec.type.value
    body = resource["Properties"]["Content"]
    names = placeholders_in(flow_text(spec))
    if not names:
        assert json.loads(body)["Actions"] == load_flow(spec)["Actions"]
        return
    text, variables = body["Fn::Sub"]
    assert json.loads(text.replace("${", "{"))  # valid JSON once substituted
    assert text == content(spec)
    assert set(variables) == set(names)
    for name, value in variables.items():
        # a flow's own ARN resolves in the flows stack; everything else is the parameter of that name
        wanted = PLACEHOLDERS[name].template_value if name in FLOW_ARN_PLACEHOLDERS else {"Ref": name}
        assert value == wanted
        for referenced in _references(value, template):
            assert referenced in template["Resources"] or referenced in template["Parameters"], name


def _references(value: dict[str, Any], template: dict[str, Any]) -> list[str]:
    """Logical ids an intrinsic refers to (`Function.Alias` is SAM's reference to a function's alias)."""
    ((kind, target),) = value.items()
    if kind == "Fn::If":
        condition, when_true, when_false = target
        assert condition in template["Conditions"]
        return _references(when_true, template) + _references(when_false, template)
    referenced = target if kind == "Ref" else target[0]
    if referenced.startswith("AWS::"):  # a pseudo parameter
        return []
    return [referenced.removesuffix(".Alias")]


def test_with_warm_start_the_flows_invoke_the_published_alias() -> None:
    # Given ContactFlowWarmStart on, SnapStart and provisioned environments exist only on versions
    template = load_template()
    for name in FUNCTION_PLACEHOLDERS:
        resource = name.removesuffix("Arn")
        # Then each function placeholder switches to the "live" alias under that condition
        alias, function = {"Ref": f"{resource}.Alias"}, {"Fn::GetAtt": [resource, "Arn"]}
        assert PLACEHOLDERS[name].template_value == {"Fn::If": ["ContactFlowWarmStartOn", alias, function]}
        assert template["Resources"][resource]["Properties"]["AutoPublishAlias"] == "live"


def test_the_flows_open_laid_out_in_the_designer() -> None:
    flow = load_flow(INBOUND)
    positions = layout(flow)["ActionMetadata"]
    assert set(positions) == set(actions(flow))
    spots = {(p["position"]["x"], p["position"]["y"]) for p in positions.values()}
    assert len(spots) == len(positions)  # no two blocks on top of each other


def test_every_function_the_flows_call_exists_with_the_connect_permission_and_association() -> None:
    template = resources()
    called = {
        name
        for spec in FLOW_SPECS
        for name in placeholders_in(flow_text(spec))
        if name in FUNCTION_PLACEHOLDERS
    }
    for name in called:
        function = name.removesuffix("Arn")
        assert template[function]["Type"] == "AWS::Serverless::Function"
        # the ARN the flow invokes: the permission and the association name the same one
        invoked = PLACEHOLDERS[name].template_value
        permissions = [
            r
            for r in template.values()
            if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["FunctionName"] == invoked
        ]
        assert any(
            p["Properties"]["Principal"] == "connect.amazonaws.com"
            and p["Properties"]["SourceArn"] == {"Ref": "ConnectInstanceArn"}
            and p["Condition"] == "HasConnectInstance"
            for p in permissions
        ), function
        assert any(
            r["Type"] == "AWS::Connect::IntegrationAssociation"
            and r["Properties"]["IntegrationArn"] == invoked
            for r in template.values()
        ), function
    assert any(
        r["Type"] == "AWS::Connect::IntegrationAssociation"
        and r["Properties"]
        == {
            "InstanceId": {"Ref": "ConnectInstanceArn"},
            "IntegrationType": "LEX_BOT",
            "IntegrationArn": PLACEHOLDERS["SelfServiceBotAliasArn"].template_value,
        }
        for r in template.values()
    )


def test_flows_deploy_only_with_an_instance_a_queue_and_hours_and_their_arns_are_outputs() -> None:
    template = load_template()
    condition = template["Conditions"][CONDITION]["Fn::And"]
    assert {"Condition": "HasConnectInstance"} in condition
    # the switch, and the bot the inbound flow hands callers to
    assert {"Fn::Equals": [{"Ref": "ContactFlowsEnabled"}, "true"]} in condition
    assert {"Condition": "DeploySelfServiceBot"} in condition
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ConnectQueueArn"}, ""]}]} in condition
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ConnectHoursOfOperationArn"}, ""]}]} in condition
    outputs = template["Outputs"]
    for spec in FLOW_SPECS:
        output = outputs[f"{spec.logical_id.removesuffix('ContactFlow')}FlowArn"]
        assert output["Condition"] == CONDITION
        name = f"{spec.logical_id.removesuffix('ContactFlow')}FlowArn"
        assert output["Value"] == {"Fn::GetAtt": [APPLICATION, f"Outputs.{name}"]}
        inner = load_nested_stack(APPLICATION)["Outputs"][name]
        assert inner["Value"] == {"Fn::GetAtt": [spec.logical_id, "ContactFlowArn"]}
    for placeholder in PLACEHOLDERS.values():  # what `make flows` reads from the stack
        assert placeholder.name in (outputs if placeholder.from_output else template["Parameters"])


def test_media_streaming_and_contact_lens_segments_are_wired_to_the_instance() -> None:
    template = resources()
    configs = {
        r["Properties"]["ResourceType"]: r
        for r in template.values()
        if r["Type"] == "AWS::Connect::InstanceStorageConfig"
    }
    assert configs["MEDIA_STREAMS"]["Properties"]["StorageType"] == "KINESIS_VIDEO_STREAM"
    assert configs["MEDIA_STREAMS"]["Condition"] == "StreamMediaToKvs"
    for segments in ("REAL_TIME_CONTACT_ANALYSIS_VOICE_SEGMENTS", "REAL_TIME_CONTACT_ANALYSIS_CHAT_SEGMENTS"):
        assert configs[segments]["Properties"]["KinesisStreamConfig"] == {
            "StreamArn": {"Fn::GetAtt": ["TranscriptStream", "Arn"]}
        }
