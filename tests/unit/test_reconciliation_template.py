"""template.yaml's reconciliation resources against the code: the index the adapter queries, the
schedule and its failure destination, least-privilege access, the alarms on the emitted metrics."""

from __future__ import annotations

import json
from typing import Any

from connect_zendesk.reconciliation.adapters import CURSOR_KEY, PENDING_ATTRIBUTE, PENDING_INDEX
from connect_zendesk_local.cfn_template import PROJECT_ROOT, load_template
from test_post_call_template import INSTANCE, deployed, emitted_metrics, required_env

RESOURCES: dict[str, dict[str, Any]] = load_template()["Resources"]
FUNCTION = "PostCallReconciliationFunction"


def statements(**parameters: str) -> dict[str, dict[str, Any]]:
    policies = deployed(**parameters).properties(FUNCTION)["Policies"]
    return {s["Sid"]: s for policy in policies for s in policy["Statement"]}


def test_the_pending_index_is_the_one_the_sweep_queries_and_projects_what_it_reads() -> None:
    table = RESOURCES["ContactsTable"]["Properties"]
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == PENDING_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [PENDING_ATTRIBUTE, "updatedAt"]
    assert set(index["Projection"]["NonKeyAttributes"]) == {
        "instanceArn",
        "postCall",
        "outcome",
        "reconciliation",
    }


def test_the_sweep_runs_on_its_schedule_one_at_a_time_and_keeps_failed_runs() -> None:
    function = RESOURCES[FUNCTION]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == {"Ref": "ReconcileSchedule"}
    assert json.loads(event["Properties"]["Input"]) == json.loads(
        (PROJECT_ROOT / "events/post_call_reconciliation/scheduled.json").read_text()
    )
    dead_letters = {"Fn::GetAtt": ["PostCallReconciliationDeadLetterQueue", "Arn"]}
    assert event["Properties"]["DeadLetterConfig"] == {"Arn": dead_letters}
    assert function["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == dead_letters
    assert function["ReservedConcurrentExecutions"] == 1
    spec = deployed().function("post_call_reconciliation")
    assert {
        name for name in required_env("post_call_reconciliation") if not spec.environment.get(name)
    } == set()


def test_describe_contact_is_allowed_on_the_instances_contacts_only() -> None:
    scoped = statements(ConnectInstanceArn=INSTANCE)["DescribeContacts"]
    assert scoped["Action"] == ["connect:DescribeContact"]
    assert scoped["Resource"] == f"{INSTANCE}/contact/*"
    unscoped = statements()["DescribeContacts"]["Resource"]
    assert unscoped.startswith("arn:aws:connect:")
    assert unscoped.endswith(":instance/*/contact/*")


def test_every_action_is_named_and_the_cursor_is_the_only_item_it_may_put() -> None:
    granted = statements(ConnectInstanceArn=INSTANCE)
    assert all("*" not in action for s in granted.values() for action in s["Action"])
    cursor = granted["SweepCursorItemOnly"]
    assert set(cursor["Action"]) == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert cursor["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [CURSOR_KEY]}}
    assert granted["PendingContacts"]["Resource"].endswith(f"/index/{PENDING_INDEX}")
    assert granted["ReconciledContactEvents"]["Resource"] == "arn:aws:test:PostCallQueue:Arn"


def test_the_alarms_watch_metrics_the_sweep_emits_above_zero() -> None:
    for alarm, metric in (
        ("ContactsReconciledAlarm", "ContactsReconciled"),
        ("ContactsUnreconcilableAlarm", "ContactsUnreconcilable"),
    ):
        properties = RESOURCES[alarm]["Properties"]
        assert properties["MetricName"] == metric
        assert metric in emitted_metrics()
        assert {d["Name"]: d["Value"] for d in properties["Dimensions"]}["step"] == "post_call_reconciliation"
        assert (properties["Threshold"], properties["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert "Reconciliation runbook" in properties["AlarmDescription"]
