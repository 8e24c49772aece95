"""Creates the template's AWS resources on a local endpoint (moto server, or moto's mock_aws).

One provisioner per resource type; each records the physical ids and attributes the template's
!Ref and !GetAtt resolve to. Types without a provisioner are ignored (Lambda permissions, IAM,
log groups, Connect resources): they have no local behaviour to emulate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connect_zendesk_local.cfn_template import PhysicalResource, Template

Provisioner = Callable[[Template, str, dict[str, Any], Callable[[str], Any]], PhysicalResource]

# Types provisioned before the rest because others refer to them (e.g. dead-letter queues, secrets).
_ORDER = ["AWS::SecretsManager::Secret", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"]


def local_name(template: Template, logical_id: str) -> str:
    return f"{template.stack_name}-{logical_id}"


def provision_table(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    dynamodb = client("dynamodb")
    name = str(props.get("TableName") or local_name(template, logical_id))
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            request[index_kind] = [
                {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
                for index in props[index_kind]
            ]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True}
    description = dynamodb.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )
    attributes = {"Arn": description["TableArn"]}
    if "LatestStreamArn" in description:
        attributes["StreamArn"] = description["LatestStreamArn"]
    return PhysicalResource(ref=name, attributes=attributes)


def provision_secret(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    created = client("secretsmanager").create_secret(
        Name=str(props.get("Name") or local_name(template, logical_id)),
        SecretString=str(props.get("SecretString", "")),
        Description=str(props.get("Description", "")),
    )
    return PhysicalResource(ref=created["ARN"], attributes={"Id": created["ARN"]})


def provision_queue(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """An SQS queue with the template's timeouts, retention and redrive policy (moto applies it)."""
    sqs = client("sqs")
    name = str(props.get("QueueName") or local_name(template, logical_id))
    attributes: dict[str, str] = {
        key: str(props[key])
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
        )
        if key in props
    }
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, str):
        redrive = json.loads(redrive)
    if redrive:
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": redrive["deadLetterTargetArn"],
                "maxReceiveCount": int(redrive["maxReceiveCount"]),
            }
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return PhysicalResource(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def provision_bucket(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    s3 = client("s3")
    name = str(props.get("BucketName") or local_name(template, logical_id)).lower()
    s3.create_bucket(Bucket=name)
    rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    if (
        rules
    ):  # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                    | ({"BucketKeyEnabled": bool(r["BucketKeyEnabled"])} if "BucketKeyEnabled" in r else {})
                    for r in rules
                ]
            },
        )
    if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return PhysicalResource(
        ref=name, attributes={"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}
    )


def provision_rule(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """An EventBridge rule on the default bus with its targets: moto routes matching put_events to them."""
    events = client("events")
    name = str(props.get("Name") or local_name(template, logical_id))
    request: dict[str, Any] = {"Name": name, "State": str(props.get("State", "ENABLED"))}
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    if "ScheduleExpression" in props:
        request["ScheduleExpression"] = props["ScheduleExpression"]
    arn = events.put_rule(**request)["RuleArn"]
    targets = [
        {
            key: target[key]
            for key in ("Id", "Arn", "Input", "InputPath", "RetryPolicy", "DeadLetterConfig")
            if key in target
        }
        for target in props.get("Targets", [])
    ]
    if targets:
        events.put_targets(Rule=name, Targets=targets)
    return PhysicalResource(ref=name, attributes={"Arn": arn})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::SecretsManager::Secret": provision_secret,
    "AWS::DynamoDB::Table": provision_table,
    "AWS::SQS::Queue": provision_queue,
    "AWS::S3::Bucket": provision_bucket,
    "AWS::Events::Rule": provision_rule,
}


def provision(
    template: Template, client: Callable[[str], Any], secret_values: dict[str, dict[str, str]] | None = None
) -> None:
    """Create every provisionable resource, in dependency order, recording its physical ids.

    `secret_values` replaces the template's placeholder secret strings (logical id -> JSON object),
    e.g. with the Zendesk emulator's token.
    """
    secret_values = secret_values or {}
    ordered = _ORDER + [t for t in PROVISIONERS if t not in _ORDER]
    for resource_type in ordered:
        pending = list(template.resources_of_type(resource_type))
        while pending:
            # Resources of one type may refer to each other (a queue to its dead-letter queue):
            # create those whose references resolve, then the rest.
            ready = []
            for logical_id in pending:
                try:
                    ready.append((logical_id, template.properties(logical_id)))
                except KeyError:
                    continue
            if not ready:
                template.properties(pending[0])  # raises the KeyError that names the missing reference
            for logical_id, props in ready:
                if logical_id in secret_values:
                    props["SecretString"] = json.dumps(secret_values[logical_id])
                template.physical[logical_id] = PROVISIONERS[resource_type](
                    template, logical_id, props, client
                )
                pending.remove(logical_id)
