"""The local stack's real-time pieces without sockets: provisioners, the gateway's reading of the
template, and the stream pollers on moto in-process (retries, bisect, the failure destination)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from connect_zendesk_local.aws_resources import provision
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.contact_lens_events import lens_record
from connect_zendesk_local.event_sources import EventSources, mappings_from_template
from connect_zendesk_local.websocket_gateway import socket_api_from_template


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


def test_generated_secrets_streams_queues_and_the_socket_api_are_provisioned(aws: Template) -> None:
    secret = json.loads(
        client("secretsmanager").get_secret_value(SecretId=aws.physical["PanelTokenSigningSecret"].ref)[
            "SecretString"
        ]
    )
    assert len(secret["signing_key"]) == 64
    assert secret["signing_key"].isalnum()
    stream = client("kinesis").describe_stream_summary(StreamName=aws.physical["TranscriptStream"].ref)[
        "StreamDescriptionSummary"
    ]
    assert stream["EncryptionType"] == "KMS"
    queue = aws.physical["RealtimeFailureQueue"]
    assert queue.attributes["Arn"].endswith(queue.attributes["QueueName"])
    api = aws.physical["PanelWebSocketApi"]
    assert api.attributes["ApiEndpoint"] == f"wss://{api.ref}.execute-api.us-east-1.amazonaws.com"
    assert aws.physical["PanelWebSocketStage"].ref == "live"
    assert aws.physical["TranscriptsTable"].attributes["StreamArn"]


def test_secret_generation_without_a_key_or_a_spec() -> None:
    from connect_zendesk_local.aws_resources import _generated_secret

    assert len(_generated_secret({"PasswordLength": 12})) == 12
    assert _generated_secret(None) == "{}"


def test_provisioned_stream_and_queue_shapes_follow_the_template_properties() -> None:
    from moto import mock_aws

    document = {
        "Resources": {
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 2}},
            "Dlq": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": "dlq", "SqsManagedSseEnabled": True},
            },
            "Work": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": 30,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                        "maxReceiveCount": 3,
                    },
                },
            },
        }
    }
    with mock_aws():
        template = Template(document)
        provision(template, client)
        shards = client("kinesis").list_shards(StreamName=template.physical["Stream"].ref)["Shards"]
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=template.physical["Work"].ref, AttributeNames=["All"]
        )["Attributes"]
    assert len(shards) == 2
    assert (
        json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
        == template.physical["Dlq"].attributes["Arn"]
    )


def test_the_gateway_reads_routes_authorizer_and_stage_from_the_template(template: Template) -> None:
    spec = socket_api_from_template(template)

    assert spec is not None
    assert spec.stage == "live"
    assert spec.selection_key == "action"
    assert spec.routes == dict.fromkeys(
        ("$connect", "$disconnect", "saveNote", "sync", "reauth", "$default"), "AgentSocketFunction"
    )
    assert spec.authorizer == "PanelAuthorizerFunction"
    assert spec.identity_sources == ["route.request.querystring.token"]
    assert socket_api_from_template(Template({"Resources": {}})) is None


def test_event_source_mappings_are_read_with_their_failure_handling(aws: Template) -> None:
    mappings = {m.function: m for m in mappings_from_template(aws)}

    consumer, sentiment = mappings["TranscriptionConsumerFunction"], mappings["SentimentFunction"]
    assert (consumer.kind, consumer.batch_size, consumer.max_retries, consumer.reports_item_failures) == (
        "Kinesis",
        100,
        2,
        True,
    )
    assert consumer.source_arn == aws.physical["TranscriptStream"].attributes["Arn"]
    assert consumer.failure_queue_arn == aws.physical["RealtimeFailureQueue"].attributes["Arn"]
    assert (sentiment.kind, sentiment.source_arn) == (
        "DynamoDB",
        aws.physical["TranscriptsTable"].attributes["StreamArn"],
    )


class ScriptedFunctions:
    """Invoked by the pollers: records batches; fails the sequence numbers whose record says so."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[dict[str, Any]]]] = []
        self.raise_once = False

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        self.batches.append((function, event["Records"]))
        if self.raise_once:
            self.raise_once = False
            raise RuntimeError("function error")
        failed = []
        for record in event["Records"]:
            if "kinesis" in record:
                import base64

                if b"poison" in base64.b64decode(record["kinesis"]["data"]):
                    failed.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
        return {"batchItemFailures": failed}


def put(aws: Template, *payloads: bytes) -> None:
    for payload in payloads:
        client("kinesis").put_record(
            StreamName=aws.physical["TranscriptStream"].ref, Data=payload, PartitionKey="c-1"
        )


def run_until_idle(sources: EventSources, rounds: int = 40) -> None:
    for _ in range(rounds):
        sources.round()


def test_a_poison_record_is_retried_then_described_on_the_failure_queue_and_the_shard_moves_on(
    aws: Template,
) -> None:
    functions = ScriptedFunctions()
    sources = EventSources(aws, client, functions)
    put(
        aws,
        json.dumps(lens_record("c-1", "STARTED")).encode(),
        b"poison",
        json.dumps(lens_record("c-1", "COMPLETED")).encode(),
    )

    run_until_idle(sources)

    consumer = sources.poller("TranscriptionConsumer")
    (poison,) = consumer.failed_records
    consumer_batches = [
        records for name, records in functions.batches if name == "TranscriptionConsumerFunction"
    ]
    assert len(consumer_batches[0]) == 3  # the whole batch first
    assert (
        sum(1 for records in consumer_batches if poison in {r["kinesis"]["sequenceNumber"] for r in records})
        == 3
    )  # 1 + 2 retries
    assert consumer_batches[-1][0]["kinesis"]["sequenceNumber"] != poison  # the shard went on past it
    messages = client("sqs").receive_message(QueueUrl=aws.physical["RealtimeFailureQueue"].ref)["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["KinesisBatchInfo"]["startSequenceNumber"] == poison
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert consumer.pending == 0
    sources.drain(timeout=1)


def test_a_function_error_retries_the_batch_and_table_stream_records_are_delivered(aws: Template) -> None:
    functions = ScriptedFunctions()
    functions.raise_once = True
    sources = EventSources(aws, client, functions)
    table = aws.physical["TranscriptsTable"].ref
    client("dynamodb").put_item(
        TableName=table, Item={"contactId": {"S": "c-1"}, "position": {"S": "0000000001#a"}}
    )
    put(aws, b'{"ContactId": "c-1"}')

    run_until_idle(sources)

    sentiment = [records for name, records in functions.batches if name == "SentimentFunction"]
    assert sentiment[0][0]["eventName"] == "INSERT"
    assert sentiment[0][0]["dynamodb"]["NewImage"]["contactId"] == {"S": "c-1"}
    assert isinstance(sentiment[0][0]["dynamodb"]["ApproximateCreationDateTime"], int)
    delivered = [records for name, records in functions.batches if name == "TranscriptionConsumerFunction"]
    assert len(delivered) == 2  # the error, then the retry
    assert sources.poller("SentimentFunction").failed_records == []


def test_an_empty_item_identifier_fails_the_whole_batch(aws: Template) -> None:
    sources = EventSources(
        aws, client, lambda function, event: {"batchItemFailures": [{"itemIdentifier": ""}]}
    )
    put(aws, b"{}")
    run_until_idle(sources, 10)
    assert len(sources.poller("TranscriptionConsumer").failed_records) == 1


def test_the_background_thread_starts_drains_and_stops(aws: Template) -> None:
    sources = EventSources(aws, client, ScriptedFunctions(), interval=0.01).start()
    put(aws, b"{}")
    sources.drain(timeout=10)
    sources.stop()
    assert sources.errors == []


def test_drain_reads_records_written_after_the_streams_went_quiet(aws: Template) -> None:
    # Given sources that have been idle for many rounds
    functions = ScriptedFunctions()
    sources = EventSources(aws, client, functions)
    run_until_idle(sources)
    before = len(functions.batches)
    # When a record arrives and drain is called (no thread polls here, so it cannot go quiet again)
    put(aws, b"{}")
    with pytest.raises(TimeoutError):
        sources.drain(timeout=0.05)
    # Then drain read the record instead of trusting the stale quiet rounds
    assert len(functions.batches) == before + 1


def test_drain_gives_up_when_records_keep_flowing(aws: Template) -> None:
    sources = EventSources(aws, client, ScriptedFunctions(), interval=0.01)
    with pytest.raises(TimeoutError):
        sources.drain(timeout=0.05)  # never polled: never idle
