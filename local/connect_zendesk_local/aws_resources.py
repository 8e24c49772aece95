"""Creates the template's AWS resources on a local endpoint (moto server, or moto's mock_aws).

One provisioner per resource type; each records the physical ids and attributes the template's
!Ref and !GetAtt resolve to. Types without a provisioner are ignored (Lambda permissions, IAM,
log groups, Connect resources): they have no local behaviour to emulate.
"""

from __future__ import annotations

import json
import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any

from connect_zendesk_local.cfn_template import PhysicalResource, Template

Provisioner = Callable[[Template, str, dict[str, Any], Callable[[str], Any]], PhysicalResource]

# Types provisioned before the rest because others refer to them (e.g. dead-letter queues, secrets).
_ORDER = [
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
    "AWS::Logs::LogGroup",
    "AWS::Kinesis::Stream",
    "AWS::SQS::Queue",
    "AWS::ApiGatewayV2::Api",
    "AWS::S3::Bucket",
]
_NAMES_ONLY = {"AWS::Serverless::Function"}


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
        SecretString=str(props.get("SecretString") or _generated_secret(props.get("GenerateSecretString"))),
        Description=str(props.get("Description", "")),
    )
    return PhysicalResource(ref=created["ARN"], attributes={"Id": created["ARN"]})


def _generated_secret(spec: Any) -> str:
    """What GenerateSecretString makes: the template JSON with one random key (letters and digits here)."""
    if not isinstance(spec, dict):
        return "{}"
    alphabet = string.ascii_letters + string.digits
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" not in spec:
        return value
    document = json.loads(str(spec.get("SecretStringTemplate") or "{}"))
    document[str(spec["GenerateStringKey"])] = value
    return json.dumps(document)


def provision_kinesis_stream(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    kinesis = client("kinesis")
    name = str(props.get("Name") or local_name(template, logical_id))
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=int(props.get("ShardCount", 1)))
    encryption = props.get("StreamEncryption")
    if encryption:
        kinesis.start_stream_encryption(
            StreamName=name, EncryptionType=encryption["EncryptionType"], KeyId=str(encryption["KeyId"])
        )
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return PhysicalResource(ref=name, attributes={"Arn": arn})


def provision_function(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """Functions run in-process (and through the local Lambda API): only their names are recorded."""
    del props, client
    arn = f"arn:aws:lambda:{template.region}:{template.account_id}:function:{logical_id}"
    return PhysicalResource(ref=logical_id, attributes={"Arn": arn})


def provision_queue(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """An SQS queue with the template's timeouts, retention, encryption and redrive (moto applies it)."""
    sqs = client("sqs")
    name = str(props.get("QueueName") or local_name(template, logical_id))
    attributes: dict[str, str] = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "SqsManagedSseEnabled",
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


def provision_websocket_api(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """An API id and the ApiEndpoint AWS would give (the local stack binds its gateway emulator instead)."""
    api_id = uuid.uuid4().hex[:10]
    scheme = "wss" if props.get("ProtocolType") == "WEBSOCKET" else "https"
    endpoint = f"{scheme}://{api_id}.execute-api.{template.region}.amazonaws.com"
    return PhysicalResource(ref=api_id, attributes={"ApiEndpoint": endpoint, "ApiId": api_id})


def provision_log_group(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    """Names only: functions log to the local process, but templates refer to their groups' ARNs."""
    name = str(props.get("LogGroupName") or local_name(template, logical_id))
    arn = f"arn:aws:logs:{template.region}:{template.account_id}:log-group:{name}:*"
    return PhysicalResource(ref=name, attributes={"Arn": arn})


def provision_stage(
    template: Template, logical_id: str, props: dict[str, Any], client: Callable[[str], Any]
) -> PhysicalResource:
    return PhysicalResource(ref=str(props.get("StageName", "$default")))


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
    "AWS::Kinesis::Stream": provision_kinesis_stream,
    "AWS::SQS::Queue": provision_queue,
    "AWS::ApiGatewayV2::Api": provision_websocket_api,
    "AWS::ApiGatewayV2::Stage": provision_stage,
    "AWS::Logs::LogGroup": provision_log_group,
    "AWS::S3::Bucket": provision_bucket,
    "AWS::Serverless::Function": provision_function,
    "AWS::Events::Rule": provision_rule,
}


def provision(
    template: Template, client: Callable[[str], Any], secret_values: dict[str, dict[str, str]] | None = None
) -> None:
    """Create every provisionable resource, in dependency order, recording its physical ids.

    `secret_values` replaces the template's placeholder secret strings (logical id -> JSON object),
    e.g. with the Zendesk emulator's token. Resources the caller already bound in `template.physical`
    (the local stack binds the WebSocket API to its gateway emulator) are left as they are.
    """
    secret_values = secret_values or {}
    ordered = _ORDER + [t for t in PROVISIONERS if t not in _ORDER]
    for resource_type in ordered:
        pending = [i for i in template.resources_of_type(resource_type) if i not in template.physical]
        while pending:
            # Resources of one type may refer to each other (a queue to its dead-letter queue):
            # create those whose references resolve, then the rest. Functions refer to each other
            # (and to themselves through policies): their properties resolve when they are invoked.
            ready = []
            for logical_id in pending:
                try:
                    props = {} if resource_type in _NAMES_ONLY else template.properties(logical_id)
                except KeyError:
                    continue
                ready.append((logical_id, props))
            if not ready:
                template.properties(pending[0])  # raises the KeyError that names the missing reference
            for logical_id, props in ready:
                if logical_id in secret_values:
                    props["SecretString"] = json.dumps(secret_values[logical_id])
                template.physical[logical_id] = PROVISIONERS[resource_type](
                    template, logical_id, props, client
                )
                pending.remove(logical_id)
