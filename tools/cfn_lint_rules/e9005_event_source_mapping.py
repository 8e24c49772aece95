"""E9005: stream and queue consumers report partial batch failures and never lose or loop on a batch."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule  # type: ignore[import-untyped]

from cfn_lint_rules import (
    CfnTemplate,
    Findings,
    PathItem,
    as_list,
    dig,
    getatt_target,
    is_true,
    json_value,
    literal_text,
    property_variants,
    ref_target,
    resource,
    resources,
)

STREAM, QUEUE = "stream", "queue"
# What an EventSourceArn GetAtt points at.
SOURCE_RESOURCE_KINDS = {
    "AWS::Kinesis::Stream": STREAM,
    "AWS::Kinesis::StreamConsumer": STREAM,
    "AWS::DynamoDB::Table": STREAM,
    "AWS::DynamoDB::GlobalTable": STREAM,
    "AWS::SQS::Queue": QUEUE,
}
SOURCE_ARN_SERVICE = re.compile(r"^arn:[^:]*:(kinesis|dynamodb|sqs):", re.IGNORECASE)
SAM_EVENT_KINDS = {"Kinesis": (STREAM, "Stream"), "DynamoDB": (STREAM, "Stream"), "SQS": (QUEUE, "Queue")}
MAX_RETRY_ATTEMPTS = 10000  # the Lambda maximum; -1 means "retry until the record expires"
PARTIAL_BATCH = "ReportBatchItemFailures"


class EventSourceFailureHandling(CloudFormationLintRule):  # type: ignore[misc]
    id = "E9005"
    shortdesc = "Kinesis/DynamoDB/SQS consumers handle failed records"
    description = (
        "Every AWS::Lambda::EventSourceMapping (and SAM Kinesis/DynamoDB/SQS event) reading a Kinesis "
        "or DynamoDB stream sets FunctionResponseTypes [ReportBatchItemFailures], "
        "BisectBatchOnFunctionError true, MaximumRetryAttempts between 0 and 10000 and "
        "DestinationConfig.OnFailure.Destination, so a poison record cannot block its shard. One "
        "reading SQS sets ReportBatchItemFailures and reads (EventSourceArn: !GetAtt Queue.Arn) a queue "
        "of this template whose RedrivePolicy has a deadLetterTargetArn."
    )
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html"
    tags: ClassVar[tuple[str, ...]] = ("lambda", "kinesis", "dynamodb", "sqs", "resilience")

    def match(self, cfn: CfnTemplate) -> list[Any]:
        findings = Findings(cfn)
        _check_mappings(cfn, findings)
        _check_sam_events(cfn, findings)
        return findings.matches()


def _check_mappings(cfn: CfnTemplate, findings: Findings) -> None:
    for logical_id, body in resources(cfn, "AWS::Lambda::EventSourceMapping"):
        base: list[PathItem] = ["Resources", logical_id, "Properties"]
        label = f"Event source mapping {logical_id}"
        for properties in property_variants(cfn, body):
            kind = _source_kind(cfn, properties.get("EventSourceArn"))
            if kind is None and "StartingPosition" in properties:
                kind = STREAM  # only stream sources take a starting position
            if kind == STREAM:
                _check_stream(cfn, findings, base, label, properties)
            elif kind == QUEUE:
                _check_queue(cfn, findings, base, label, properties, source_key="EventSourceArn")


def _check_sam_events(cfn: CfnTemplate, findings: Findings) -> None:
    for logical_id, body in resources(cfn, "AWS::Serverless::Function"):
        for properties in property_variants(cfn, body):
            events = properties.get("Events")
            for event_id, event in events.items() if isinstance(events, dict) else ():
                kind_and_key = SAM_EVENT_KINDS.get(str(dig(event, "Type")))
                if kind_and_key is None:
                    continue
                event_properties = dig(event, "Properties")
                event_properties = event_properties if isinstance(event_properties, dict) else {}
                kind, source_key = kind_and_key
                base: list[PathItem] = [
                    "Resources",
                    logical_id,
                    "Properties",
                    "Events",
                    str(event_id),
                    "Properties",
                ]
                label = f"Function {logical_id} event {event_id}"
                if kind == STREAM:
                    _check_stream(cfn, findings, base, label, event_properties)
                else:
                    _check_queue(cfn, findings, base, label, event_properties, source_key=source_key)


def _source_kind(cfn: CfnTemplate, source: Any) -> str | None:
    target = getatt_target(source)
    if target is not None:
        body = resource(cfn, target[0])
        return SOURCE_RESOURCE_KINDS.get(str(body.get("Type"))) if body is not None else None
    text = literal_text(source)
    match = SOURCE_ARN_SERVICE.match(text) if text is not None else None
    if match is None:
        return None
    return QUEUE if match.group(1).lower() == "sqs" else STREAM


def _reports_partial_batch(properties: dict[str, Any]) -> bool:
    return PARTIAL_BATCH in as_list(properties.get("FunctionResponseTypes"))


def _check_stream(
    cfn: CfnTemplate, findings: Findings, base: list[PathItem], label: str, properties: dict[str, Any]
) -> None:
    if not _reports_partial_batch(properties):
        findings.add(
            [*base, "FunctionResponseTypes"],
            f"{label} reads a stream: set FunctionResponseTypes [{PARTIAL_BATCH}]",
        )
    if not is_true(properties.get("BisectBatchOnFunctionError")):
        findings.add(
            [*base, "BisectBatchOnFunctionError"],
            f"{label} reads a stream: set BisectBatchOnFunctionError true so a poison record is isolated",
        )
    retries = properties.get("MaximumRetryAttempts")
    if not _is_bounded(cfn, retries):
        findings.add(
            [*base, "MaximumRetryAttempts"],
            f"{label} reads a stream: set MaximumRetryAttempts between 0 and {MAX_RETRY_ATTEMPTS} "
            f"(got {retries!r}; absent or -1 retries until the record expires and blocks the shard)",
        )
    destination = dig(properties, "DestinationConfig", "OnFailure", "Destination")
    if destination is None or destination == "":
        findings.add(
            [*base, "DestinationConfig"],
            f"{label} reads a stream: set DestinationConfig.OnFailure.Destination (an SQS queue or SNS "
            "topic) so records that keep failing are kept, not dropped",
        )


def _is_bounded(cfn: CfnTemplate, value: Any) -> bool:
    number = _as_int(value)
    if number is not None:
        return 0 <= number <= MAX_RETRY_ATTEMPTS
    parameter = ref_target(value)
    parameters = cfn.template.get("Parameters") if isinstance(cfn.template, dict) else None
    spec = parameters.get(parameter) if isinstance(parameters, dict) and parameter is not None else None
    if not isinstance(spec, dict):
        return False
    allowed = [_as_int(item) for item in as_list(spec.get("AllowedValues"))]
    if allowed and all(item is not None and 0 <= item <= MAX_RETRY_ATTEMPTS for item in allowed):
        return True
    low, high = _as_int(spec.get("MinValue")), _as_int(spec.get("MaxValue"))
    return low is not None and low >= 0 and (high is None or high <= MAX_RETRY_ATTEMPTS)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _check_queue(
    cfn: CfnTemplate,
    findings: Findings,
    base: list[PathItem],
    label: str,
    properties: dict[str, Any],
    *,
    source_key: str,
) -> None:
    if not _reports_partial_batch(properties):
        findings.add(
            [*base, "FunctionResponseTypes"],
            f"{label} reads SQS: set FunctionResponseTypes [{PARTIAL_BATCH}]",
        )
    target = getatt_target(properties.get(source_key))
    queue_id = target[0] if target is not None and target[1] == "Arn" else None
    queue = resource(cfn, queue_id)
    if queue_id is None or queue is None or queue.get("Type") != "AWS::SQS::Queue":
        findings.add(
            [*base, source_key],
            f"{label} reads SQS: {source_key} must be !GetAtt <Queue>.Arn of an AWS::SQS::Queue in this "
            "template, so its dead-letter queue can be checked",
        )
        return
    for queue_properties in property_variants(cfn, queue):
        redrive = json_value(queue_properties.get("RedrivePolicy"))
        if dig(redrive, "deadLetterTargetArn") in (None, ""):
            findings.add(
                ["Resources", queue_id, "Properties"],
                f"SQS queue {queue_id} (read by {label[0].lower()}{label[1:]}) must set a RedrivePolicy "
                "with a deadLetterTargetArn, so messages that keep failing leave the queue",
            )
