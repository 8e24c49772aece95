"""template.yaml's after-call resources against the code and the contracts they serve: the rule and
queue path, delivery limits, tables the adapters use, buckets, Athena, the dashboard."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest
from connect_zendesk.adapters.idempotency import PowertoolsIdempotency
from connect_zendesk.adapters.resolution_queue import BY_DUE_DATE_INDEX
from connect_zendesk.sqs.batch_step import MESSAGE_RESERVE_SECONDS
from connect_zendesk_local.cfn_template import PROJECT_ROOT, PhysicalResource, Template, load_template

DOCUMENT = load_template()
RESOURCES: dict[str, dict[str, Any]] = DOCUMENT["Resources"]
PACKAGE = PROJECT_ROOT / "layers" / "common" / "connect_zendesk"
INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def props(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return properties


def deployed(**parameters: str) -> Template:
    stack = Template(
        load_template(),
        parameters={"ZendeskSubdomain": "acme", "ZendeskEmail": "a@example.com", **parameters},
    )
    for logical_id in stack.resources:
        stack.physical[logical_id] = PhysicalResource(
            ref=f"physical-{logical_id}",
            attributes={
                name: f"arn:aws:test:{logical_id}:{name}" for name in ("Arn", "QueueName", "StreamArn")
            },
        )
    return stack


def required_env(function_folder: str) -> set[str]:
    tree = ast.parse((PROJECT_ROOT / "functions" / function_folder / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "REQUIRED_ENV" for t in node.targets):
            return {
                elt.value
                for elt in ast.walk(node.value)
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
            }
    raise AssertionError(f"{function_folder} declares no REQUIRED_ENV")


def emitted_metrics() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_metric":
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        names.add(str(keyword.value.value))
    return names


# ---------------------------------------------------------------------------------- trigger and queue
def test_the_rule_takes_disconnected_contact_events_of_the_configured_instance_only() -> None:
    pattern = deployed(ConnectInstanceArn=INSTANCE).properties("ContactDisconnectedRule")["EventPattern"]
    assert pattern == {
        "source": ["aws.connect"],
        "detail-type": ["Amazon Connect Contact Event"],
        "detail": {"eventType": ["DISCONNECTED"], "instanceArn": [INSTANCE]},
    }
    assert deployed().properties("ContactDisconnectedRule")["EventPattern"]["detail"] == {
        "eventType": ["DISCONNECTED"]
    }
    (target,) = props("ContactDisconnectedRule")["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["PostCallQueue", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["PostCallDeadLetterQueue", "Arn"]}}


def test_only_the_rule_may_send_to_the_queues_and_only_over_tls() -> None:
    policy = props("PostCallQueuePolicy")
    assert policy["Queues"] == [{"Ref": "PostCallQueue"}, {"Ref": "PostCallDeadLetterQueue"}]
    allow, deny = policy["PolicyDocument"]["Statement"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow",
        {"Service": "events.amazonaws.com"},
        "sqs:SendMessage",
    )
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ContactDisconnectedRule", "Arn"]}}
    }
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


@pytest.mark.parametrize(
    "queue", ["PostCallQueue", "PostCallDeadLetterQueue", "ResolutionMeteringDeadLetterQueue"]
)
def test_queues_are_encrypted(queue: str) -> None:
    assert props(queue)["SqsManagedSseEnabled"] is True


def test_the_queue_fits_the_function_and_hands_over_to_its_dead_letter_queue() -> None:
    queue = props("PostCallQueue")
    function = props("PostCallUpdateFunction")
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["PostCallDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "PostCallMaxReceives"},
    }
    assert function["Environment"]["Variables"]["POST_CALL_MAX_RECEIVES"] == {"Ref": "PostCallMaxReceives"}
    assert props("PostCallDeadLetterQueue")["MessageRetentionPeriod"] == 14 * 86400
    # a message can wait for every retry: 12 receives at the 15-minute backoff cap stay within 4 days
    assert queue["MessageRetentionPeriod"] > 100 * 900
    # the runner keeps MESSAGE_RESERVE_SECONDS per message: the timeout allows a few messages per batch
    assert function["Timeout"] > 3 * MESSAGE_RESERVE_SECONDS


def test_the_event_source_reports_partial_failures_and_bounds_concurrency() -> None:
    function = props("PostCallUpdateFunction")
    assert "Events" not in function  # an explicit mapping, so the queue permissions stay scoped
    properties = props("PostCallUpdateEventSource")
    assert properties["FunctionName"] == {"Ref": "PostCallUpdateFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["PostCallQueue", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= properties["BatchSize"] <= 10
    assert properties["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "PostCallConcurrency"}
    assert function["ReservedConcurrentExecutions"] == {"Ref": "PostCallConcurrency"}
    assert int(DOCUMENT["Parameters"]["PostCallConcurrency"]["MinValue"]) >= 2  # SQS's minimum
    statements = function["Policies"][0]["Statement"]
    (consume,) = [s for s in statements if isinstance(s, dict) and s.get("Sid") == "ConsumeContactEvents"]
    assert set(consume["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }
    assert consume["Resource"] == {"Fn::GetAtt": ["PostCallQueue", "Arn"]}


@pytest.mark.parametrize(
    ("alarm", "queue"),
    [
        ("PostCallDeadLetterAlarm", "PostCallDeadLetterQueue"),
        ("ResolutionMeteringDeadLetterAlarm", "ResolutionMeteringDeadLetterQueue"),
    ],
)
def test_dead_letter_queues_are_alarmed_on_their_first_message(alarm: str, queue: str) -> None:
    properties = props(alarm)
    assert (properties["Namespace"], properties["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert properties["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert deployed(AlarmTopicArn="arn:aws:sns:us-east-1:123456789012:ops").properties(alarm)[
        "AlarmActions"
    ] == ["arn:aws:sns:us-east-1:123456789012:ops"]
    assert "AlarmActions" not in deployed().properties(alarm)


# ---------------------------------------------------------------------------------- functions
@pytest.mark.parametrize("folder", ["post_call_update", "resolution_metering"])
def test_after_call_functions_get_what_they_require(folder: str) -> None:
    spec = deployed().function(folder)
    missing = {name for name in required_env(folder) if not spec.environment.get(name)}
    assert missing == set()


def test_the_metering_schedule_retries_and_keeps_failed_runs() -> None:
    function = props("ResolutionMeteringFunction")
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == {"Ref": "MeteringSchedule"}
    assert json.loads(event["Properties"]["Input"]) == json.loads(
        (PROJECT_ROOT / "events/resolution_metering/scheduled.json").read_text()
    )
    dead_letters = {"Fn::GetAtt": ["ResolutionMeteringDeadLetterQueue", "Arn"]}
    assert event["Properties"]["DeadLetterConfig"] == {"Arn": dead_letters}
    assert function["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == dead_letters
    assert function["ReservedConcurrentExecutions"] == 1


def test_recording_access_exists_only_when_audio_is_attached() -> None:
    def statement_ids(stack: Template) -> set[str]:
        policies = stack.properties("PostCallUpdateFunction")["Policies"]
        return {s["Sid"] for policy in policies for s in policy["Statement"]}

    assert {"RecordingsRead", "RecordingsFind", "RecordingsKey", "TextAnalysis"}.isdisjoint(
        statement_ids(deployed(AnalyzeEntities="false"))
    )
    with_audio = deployed(
        AttachRecordingAudio="true",
        RecordingsBucketName="acme-recordings",
        RecordingsPrefix="connect/acme/CallRecordings",
        RecordingsKmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/abc",
    )
    assert {"RecordingsRead", "RecordingsFind", "RecordingsKey", "TextAnalysis"} <= statement_ids(with_audio)
    environment = with_audio.function("post_call_update").environment
    assert (environment["ATTACH_RECORDING_AUDIO"], environment["RECORDINGS_BUCKET"]) == (
        "true",
        "acme-recordings",
    )
    # asked for audio without a bucket: the function is told not to attach rather than failing at cold start
    no_bucket = deployed(AttachRecordingAudio="true").function("post_call_update").environment
    assert (no_bucket["ATTACH_RECORDING_AUDIO"], no_bucket["RECORDINGS_BUCKET"]) == ("false", "")


# ---------------------------------------------------------------------------------- tables
def keys(logical_id: str) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in props(logical_id)["KeySchema"]}


def test_the_transcripts_table_is_the_data_models() -> None:
    table = props("TranscriptsTable")
    assert keys("TranscriptsTable") == {"HASH": "contactId", "RANGE": "position"}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert "TRANSCRIPTS_TABLE" in (PROJECT_ROOT / "docs" / "data-model.md").read_text()


def test_the_idempotency_table_has_powertools_keys() -> None:
    layer = PowertoolsIdempotency("t", key_prefix="p", expires_after_seconds=1)
    assert layer is not None
    assert keys("IdempotencyTable") == {"HASH": "id"}
    assert props("IdempotencyTable")["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_the_resolution_queue_table_has_the_index_the_metering_reads() -> None:
    assert keys("ResolutionQueueTable") == {"HASH": "conversationId"}
    (index,) = props("ResolutionQueueTable")["GlobalSecondaryIndexes"]
    assert index["IndexName"] == BY_DUE_DATE_INDEX
    assert {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]} == {
        "HASH": "dueDate",
        "RANGE": "dueAt",
    }


# ---------------------------------------------------------------------------------- analytics
@pytest.mark.parametrize("bucket", ["AnalyticsBucket", "AthenaResultsBucket"])
def test_buckets_expire_what_they_hold(bucket: str) -> None:
    rules = props(bucket)["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" and "ExpirationInDays" in rule for rule in rules)
    assert RESOURCES[bucket]["DeletionPolicy"] == "Retain"


def test_the_workgroup_enforces_encrypted_results() -> None:
    configuration = props("AnalyticsWorkGroup")["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    assert configuration["ResultConfiguration"]["OutputLocation"] == {
        "Fn::Sub": "s3://${AthenaResultsBucket}/results/"
    }


def test_glue_names_are_lower_case_as_athena_requires() -> None:
    columns = props("CallsTable")["TableInput"]["StorageDescriptor"]["Columns"]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", column["Name"]) for column in columns)
    assert re.fullmatch(DOCUMENT["Parameters"]["AnalyticsDatabaseName"]["AllowedPattern"], "connect_zendesk")


# ---------------------------------------------------------------------------------- dashboard
def dashboard() -> dict[str, Any]:
    body = deployed().properties("OperationsDashboard")["DashboardBody"]
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def test_the_dashboard_is_valid_json_with_the_widgets_the_operators_need() -> None:
    titles = [widget["properties"]["title"] for widget in dashboard()["widgets"]]
    assert titles == [
        "Calls after the call",
        "Automated resolutions",
        "Post-call failures",
        "Dead-letter queue depth",
        "Zendesk 429s",
    ]


def test_every_metric_on_the_dashboard_is_emitted_by_the_code() -> None:
    named: set[str] = set()
    for widget in dashboard()["widgets"]:
        namespace = ""
        for metric in widget["properties"]["metrics"]:
            if isinstance(metric[0], dict):
                expression = metric[0]["expression"]
                named.update(re.findall(r'MetricName=\\?"(\w+)\\?"', expression))
                continue
            namespace = metric[0] if metric[0] != "." else namespace
            if namespace == "ConnectZendesk":
                named.add(metric[1])
    emitted = emitted_metrics()
    assert {"CallsProcessed", "AutomatedResolutions", "MessageDeadLettered", "ZendeskRateLimited"} <= named
    assert named - emitted == set()
