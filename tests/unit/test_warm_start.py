"""ContactFlowWarmStart: SnapStart or provisioned concurrency on the contact-flow functions, Connect
and Lex calling the published alias when it is on, and the SnapStart runtime hooks."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
import snapshot_restore_py
from connect_zendesk import warm_start
from connect_zendesk.adapters.aws_clients import aws_client, reset_clients
from connect_zendesk_local.cfn_template import PROJECT_ROOT, TEMPLATE_PATH, load_template
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

WARM_FUNCTIONS = {
    "CallerLookupFunction": "caller_lookup",
    "TicketLookupFunction": "ticket_lookup",
    "LexFulfillmentFunction": "lex_fulfillment",
    "StartStreamingFunction": "start_streaming",
}
OPTIONS = ("None", "SnapStart", "ProvisionedConcurrency")
DOCUMENT = load_template()


class _NoManagedPolicies(ManagedPolicyLoader):
    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {}


def _rendered(option: str) -> dict[str, Any]:
    """The template as SAM turns it into CloudFormation, with the option set."""
    document = json.loads(json.dumps(DOCUMENT))
    document["Parameters"]["ContactFlowWarmStart"]["Default"] = option
    for body in document["Resources"].values():  # as `sam package` leaves them: code in S3
        for key in ("CodeUri", "ContentUri"):
            if key in body.get("Properties", {}):
                body["Properties"][key] = f"s3://artifacts/{body['Properties'][key].strip('/')}.zip"
    try:
        with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):
            rendered: dict[str, Any] = transform(
                document, {"ContactFlowWarmStart": option}, _NoManagedPolicies(), feature_toggle=None
            )
    except InvalidDocumentException as exc:  # pragma: no cover - the message says what SAM refused
        raise AssertionError("; ".join(str(cause) for cause in exc.causes)) from exc
    return rendered


@pytest.fixture(scope="module", params=OPTIONS)
def rendered(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _rendered(str(request.param))


def _alias_arn(logical_id: str) -> dict[str, Any]:
    return {"Ref": f"{logical_id}Aliaslive"}


def test_the_option_offers_exactly_none_snapstart_and_provisioned_concurrency() -> None:
    parameter = DOCUMENT["Parameters"]["ContactFlowWarmStart"]
    assert parameter["Default"] == "None"
    assert parameter["AllowedValues"] == list(OPTIONS)
    assert DOCUMENT["Parameters"]["ContactFlowProvisionedConcurrency"]["MinValue"] >= 1


@pytest.mark.parametrize("logical_id", sorted(WARM_FUNCTIONS))
def test_every_contact_flow_function_publishes_a_version_behind_the_live_alias(
    rendered: dict[str, Any], logical_id: str
) -> None:
    resources = rendered["Resources"]
    alias = resources[f"{logical_id}Aliaslive"]
    versions = [
        body
        for body in resources.values()
        if body["Type"] == "AWS::Lambda::Version"
        and body["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]
    assert alias["Type"] == "AWS::Lambda::Alias"
    assert len(versions) == 1
    snapstart = resources[logical_id]["Properties"]["SnapStart"]["ApplyOn"]
    assert snapstart == {"Fn::If": ["ContactFlowSnapStart", "PublishedVersions", "None"]}
    provisioned = alias["Properties"]["ProvisionedConcurrencyConfig"]
    assert provisioned["Fn::If"][0] == "ContactFlowProvisioned"
    assert provisioned["Fn::If"][1] == {
        "ProvisionedConcurrentExecutions": {"Ref": "ContactFlowProvisionedConcurrency"}
    }
    assert provisioned["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def _invoked_arns(rendered: dict[str, Any], logical_id: str) -> list[Any]:
    """Every ARN by which Connect or Lex reaches the function: permissions, associations, code hooks."""
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("Fn::If", [None])[0] == "ContactFlowWarmStartOn":
                found.append(value)
                return
            if value == {"Fn::GetAtt": [logical_id, "Arn"]}:
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for body in rendered["Resources"].values():
        if body["Type"] in {
            "AWS::Lambda::Permission",
            "AWS::Connect::IntegrationAssociation",
            "AWS::Lex::Bot",
        }:
            walk(body["Properties"])
        if body["Type"] == "AWS::Lex::BotAlias":
            walk(body["Properties"])
    return [arn for arn in found if logical_id in json.dumps(arn)]


@pytest.mark.parametrize("logical_id", sorted(WARM_FUNCTIONS))
def test_connect_and_lex_call_the_alias_when_the_option_is_on_and_the_function_otherwise(
    rendered: dict[str, Any], logical_id: str
) -> None:
    arns = _invoked_arns(rendered, logical_id)
    assert arns, f"nothing invokes {logical_id}"
    expected = {
        "Fn::If": ["ContactFlowWarmStartOn", _alias_arn(logical_id), {"Fn::GetAtt": [logical_id, "Arn"]}]
    }
    assert all(arn == expected for arn in arns), arns
    conditions = rendered["Conditions"]
    assert conditions["ContactFlowWarmStartOn"] == {
        "Fn::Or": [{"Condition": "ContactFlowSnapStart"}, {"Condition": "ContactFlowProvisioned"}]
    }


@pytest.mark.parametrize("option", OPTIONS)
def test_cfn_lint_is_clean_with_each_option(option: str, tmp_path: Path) -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    marker = "  ContactFlowWarmStart:\n    Type: String\n    Default: None\n"
    assert marker in text
    copy = tmp_path / "template.yaml"
    copy.write_text(
        text.replace(marker, marker.replace("Default: None", f"Default: {option}")), encoding="utf-8"
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(copy)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- runtime hooks
def test_outside_a_snapstart_init_no_hook_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    registered: list[Any] = []
    monkeypatch.setattr(snapshot_restore_py, "register_before_snapshot", lambda *a: registered.append(a))

    assert warm_start.prepare_snapshot("caller_lookup") is False
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    assert warm_start.prepare_snapshot("caller_lookup") is False
    assert registered == []


@pytest.mark.parametrize("step", sorted(WARM_FUNCTIONS.values()))
def test_a_snapstart_init_primes_the_steps_clients_before_the_snapshot_and_reseeds_after_restore(
    monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # Given a SnapStart init (the runtime's hook module records what is registered)
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    before: list[tuple[Any, ...]] = []
    after: list[tuple[Any, ...]] = []
    monkeypatch.setattr(snapshot_restore_py, "register_before_snapshot", lambda f, *a: before.append((f, *a)))
    monkeypatch.setattr(snapshot_restore_py, "register_after_restore", lambda f, *a: after.append((f, *a)))
    reset_clients()
    made: list[str] = []
    real_client = boto3.session.Session.client
    monkeypatch.setattr(
        boto3.session.Session,
        "client",
        lambda self, name, **kw: made.append(name) or real_client(self, name, **kw),
    )

    # When the step's handler module initialises, and Lambda then runs the hooks
    assert warm_start.prepare_snapshot(step) is True
    ((prime, clients),) = before
    prime(clients)
    ((reseed,),) = after

    # Then every client the step uses exists before the snapshot, and none is made again on use
    assert sorted(made) == sorted(service for service, _ in warm_start.STEP_CLIENTS[step])
    for service, profile in warm_start.STEP_CLIENTS[step]:
        aws_client(service, profile)
    assert len(made) == len(warm_start.STEP_CLIENTS[step])
    # And the restored environment draws its own random sequence
    random.seed(1)
    pinned = random.random()
    random.seed(1)
    reseed()
    assert random.random() != pinned
    reset_clients()


def test_every_contact_flow_step_handler_registers_its_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(warm_start.STEP_CLIENTS) == set(WARM_FUNCTIONS.values())
    for step in WARM_FUNCTIONS.values():
        source = (PROJECT_ROOT / "functions" / step / "app.py").read_text(encoding="utf-8")
        assert "contact_flow_handler(" in source or "lex_code_hook_handler(" in source, step
