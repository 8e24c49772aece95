"""The project's cfn-lint rules (tools/cfn_lint_rules, E9001-E9099).

Every rule gets a passing template (which must be clean for *all* of cfn-lint, so the fixtures are
real CloudFormation) and a failing one whose resources each break the rule in one way; the tests
assert which resource each finding names. Templates are linted through `cfnlint.api.lint` with the
rules directory appended, the way `.cfnlintrc` appends it for the `cfn-lint` command, which is
itself run on template.yaml and on a bad template to prove the configuration loads the rules.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.match import Match
from cfnlint.rules import CloudFormationLintRule, Rules

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "tools" / "cfn_lint_rules"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
RULE_IDS = ("E9001", "E9002", "E9003", "E9004", "E9005", "E9006", "E9007", "E9008")
SAM = "AWS::Serverless-2016-10-31"
ACCOUNT = "123456789012"


# ---------------------------------------------------------------------------- linting
@functools.cache
def _lint_text(text: str) -> tuple[Match, ...]:
    config: Any = {"regions": ["us-east-1"], "append_rules": [str(RULES_DIR)]}
    return tuple(lint(text, config=config))


def lint_template(template: dict[str, Any]) -> list[Match]:
    return list(_lint_text(json.dumps(template, indent=1)))


def findings(template: dict[str, Any], rule_id: str) -> list[str]:
    return [match.message for match in lint_template(template) if match.rule.id == rule_id]


def describe(matches: list[Match]) -> str:
    return "\n".join(f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches)


# ---------------------------------------------------------------------------- template builders
def template(resources: dict[str, Any], *, sam: bool = False, **sections: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if sam:
        document["Transform"] = SAM
    document.update(sections)
    document["Resources"] = resources
    return document


IS_PROD = {"Environment": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]}}
IS_PROD_CONDITION = {"IsProd": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}}


def without_none(properties: dict[str, Any]) -> dict[str, Any]:
    """Builders take `Key=None` to mean "leave the property out"."""
    return {key: value for key, value in properties.items() if value is not None}


def log_group(retention: Any = 14) -> dict[str, Any]:
    properties = {} if retention is None else {"RetentionInDays": retention}
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": properties,
    }


def statement(action: Any, resource: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": resource or f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/contacts",
        **extra,
    }


def document(*statements: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def role(*statements: Any, managed: list[Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": document(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ),
        "ManagedPolicyArns": managed
        if managed is not None
        else [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}],
    }
    if statements:
        properties["Policies"] = [{"PolicyName": "inline", "PolicyDocument": document(*statements)}]
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def function(logs: str | None = "Logs", role_id: str = "FunctionRole", **overrides: Any) -> dict[str, Any]:
    """A plain AWS::Lambda::Function that passes every project rule."""
    properties: dict[str, Any] = {
        "Runtime": "python3.13",
        "Architectures": ["arm64"],
        "Handler": "index.handler",
        "Role": {"Fn::GetAtt": [role_id, "Arn"]},
        "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
    }
    if logs is not None:
        properties["LoggingConfig"] = {"LogGroup": {"Ref": logs}}
    properties.update(overrides)
    return {"Type": "AWS::Lambda::Function", "Properties": without_none(properties)}


def sam_function(logs: str | None = "SamLogs", **overrides: Any) -> dict[str, Any]:
    """An AWS::Serverless::Function that passes every project rule."""
    properties: dict[str, Any] = {
        "Runtime": "python3.13",
        "Architectures": ["arm64"],
        "Handler": "app.lambda_handler",
        "CodeUri": "functions/caller_lookup/",
        "Policies": [document(statement(["dynamodb:GetItem"]))],
    }
    if logs is not None:
        properties["LoggingConfig"] = {"LogGroup": {"Ref": logs}}
    properties.update(overrides)
    return {"Type": "AWS::Serverless::Function", "Properties": without_none(properties)}


def function_stack(**functions: dict[str, Any]) -> dict[str, Any]:
    """The functions plus the log groups and role the builders above refer to."""
    return {"Logs": log_group(), "SamLogs": log_group(), "FunctionRole": role(), **functions}


def table(**overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "SSESpecification": {"SSEEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
    }
    properties.update(overrides)
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": without_none(properties),
    }


PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
SSE_S3 = {
    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
}


def bucket(**overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BucketEncryption": SSE_S3,
        "PublicAccessBlockConfiguration": PUBLIC_ACCESS_BLOCK,
    }
    properties.update(overrides)
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": without_none(properties),
    }


def tls_deny(bucket_id: str, principal: Any = "*", secure_transport: Any = "false") -> dict[str, Any]:
    return {
        "Sid": "DenyPlainHttp",
        "Effect": "Deny",
        "Principal": principal,
        "Action": "s3:*",
        "Resource": [
            {"Fn::GetAtt": [bucket_id, "Arn"]},
            {"Fn::Sub": "${" + bucket_id + ".Arn}/*"},
        ],
        "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
    }


def bucket_policy(bucket_id: str, *statements: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": bucket_id}, "PolicyDocument": document(*statements)},
    }


def queue(dlq: str | None = "DeadLetters") -> dict[str, Any]:
    properties: dict[str, Any] = {"SqsManagedSseEnabled": True}
    if dlq is not None:
        properties["RedrivePolicy"] = {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
            "maxReceiveCount": 5,
        }
    return {
        "Type": "AWS::SQS::Queue",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": properties,
    }


def stream() -> dict[str, Any]:
    return {
        "Type": "AWS::Kinesis::Stream",
        "Properties": {
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        },
    }


def stream_mapping(source: Any, **overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "FunctionName": {"Ref": "Consumer"},
        "EventSourceArn": source,
        "StartingPosition": "LATEST",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 3,
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["DeadLetters", "Arn"]}}},
    }
    properties.update(overrides)
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": without_none(properties),
    }


def queue_mapping(source: Any, **overrides: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "FunctionName": {"Ref": "Consumer"},
        "EventSourceArn": source,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    properties.update(overrides)
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": without_none(properties),
    }


def consumer_stack(**resources: Any) -> dict[str, Any]:
    return {
        **function_stack(Consumer=function()),
        "DeadLetters": queue(dlq=None),
        "Segments": stream(),
        "Work": queue(),
        "Transcripts": table(
            StreamSpecification={"StreamViewType": "NEW_IMAGE"},
        ),
        **resources,
    }


def cases(expected: dict[str, str]) -> list[Any]:
    return [pytest.param(logical_id, fragment, id=logical_id) for logical_id, fragment in expected.items()]


def assert_clean(document_: dict[str, Any]) -> None:
    matches = lint_template(document_)
    assert matches == [], describe(matches)


def assert_reported(document_: dict[str, Any], rule_id: str, logical_id: str, fragment: str) -> None:
    messages = findings(document_, rule_id)
    named = [message for message in messages if re.search(rf"\b{logical_id}\b", message)]
    assert named, f"{rule_id} says nothing about {logical_id}; it says:\n" + "\n".join(messages)
    assert any(fragment in message for message in named), "\n".join(named)


# ---------------------------------------------------------------------------- E9001
E9001_GOOD = template(
    {
        **function_stack(
            PlainFunction=function(),
            SamFunction=sam_function(),
            ParameterRetentionFunction=function(logs="ParameterRetentionLogs"),
            EitherGroupFunction=function(
                logs=None,
                LoggingConfig={
                    "LogGroup": {"Fn::If": ["IsProd", {"Ref": "Logs"}, {"Ref": "ParameterRetentionLogs"}]}
                },
            ),
        ),
        "ParameterRetentionLogs": log_group({"Ref": "Retention"}),
    },
    sam=True,
    Parameters={
        **IS_PROD,
        "Retention": {"Type": "Number", "Default": 30, "AllowedValues": [7, 30, 90]},
    },
    Conditions=IS_PROD_CONDITION,
)
E9001_BAD = template(
    {
        **function_stack(
            NoLoggingFunction=function(logs=None),
            SamNoLoggingFunction=sam_function(logs=None),
            NamedGroupFunction=function(logs=None, LoggingConfig={"LogGroup": "/custom/log-group"}),
            ParameterGroupFunction=function(logs="GroupName"),
            ForeverFunction=function(logs="ForeverLogs"),
            ProdOnlyFunction=function(
                logs=None,
                LoggingConfig={"LogGroup": {"Fn::If": ["IsProd", {"Ref": "Logs"}, {"Ref": "AWS::NoValue"}]}},
            ),
        ),
        "ForeverLogs": log_group(retention=None),
    },
    sam=True,
    Parameters={**IS_PROD, "GroupName": {"Type": "String", "Default": "/custom/group"}},
    Conditions=IS_PROD_CONDITION,
)


def test_e9001_given_functions_with_own_expiring_log_groups_then_clean() -> None:
    assert_clean(E9001_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "NoLoggingFunction": "has no LoggingConfig.LogGroup",
            "SamNoLoggingFunction": "has no LoggingConfig.LogGroup",
            "NamedGroupFunction": "must be !Ref an AWS::Logs::LogGroup",
            "ParameterGroupFunction": "must be !Ref an AWS::Logs::LogGroup",
            "ForeverLogs": "has no RetentionInDays",
            "ProdOnlyFunction": "has no LoggingConfig.LogGroup",
        }
    ),
)
def test_e9001_given_a_function_without_an_expiring_template_log_group_then_reported(
    logical_id: str, fragment: str
) -> None:
    assert_reported(E9001_BAD, "E9001", logical_id, fragment)


def test_e9001_reports_only_the_bad_functions() -> None:
    named = " ".join(findings(E9001_BAD, "E9001"))
    assert "PlainFunction" not in named
    assert "SamFunction " not in named


# ---------------------------------------------------------------------------- E9002
E9002_GOOD = template(
    {
        **function_stack(
            SamFunction=sam_function(
                Policies=[
                    document(
                        statement(["dynamodb:GetItem", "dynamodb:PutItem"]),
                        {
                            "Fn::If": [
                                "IsProd",
                                statement("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"),
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                    ),
                    {"DynamoDBReadPolicy": {"TableName": "contacts"}},
                    "AWSLambdaBasicExecutionRole",
                ]
            ),
        ),
        "ScopedRole": role(
            statement("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:work"),
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
        "ScopedPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "scoped",
                "Roles": [{"Ref": "ScopedRole"}],
                "PolicyDocument": document(statement(["s3:GetObject"], "arn:aws:s3:::bucket/*")),
            },
        },
        "ScopedManagedPolicy": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": document(statement("dynamodb:Query"))},
        },
    },
    sam=True,
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)
E9002_BAD = template(
    {
        **function_stack(
            SamStarFunction=sam_function(Policies=[document(statement("dynamodb:*"))]),
            SamFullAccessFunction=sam_function(Policies=["AmazonDynamoDBFullAccess"]),
            SamProdOnlyStarFunction=sam_function(
                Policies=[
                    document(
                        {
                            "Fn::If": [
                                "IsProd",
                                statement("sqs:*", f"arn:aws:sqs:us-east-1:{ACCOUNT}:work"),
                                statement("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:work"),
                            ]
                        }
                    )
                ]
            ),
        ),
        "StarRole": role(statement("*", "*")),
        "FullAccessRole": role(managed=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
        "ServiceStarPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "service-star",
                "Roles": [{"Ref": "FunctionRole"}],
                "PolicyDocument": document(statement(["s3:GetObject", "s3:*"], "arn:aws:s3:::bucket/*")),
            },
        },
        "NotActionPolicy": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "PolicyDocument": document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
            },
        },
    },
    sam=True,
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)


def test_e9002_given_scoped_actions_then_clean() -> None:
    assert_clean(E9002_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "SamStarFunction": "allows the action 'dynamodb:*'",
            "SamFullAccessFunction": "managed policy 'AmazonDynamoDBFullAccess'",
            "SamProdOnlyStarFunction": "allows the action 'sqs:*'",
            "StarRole": "allows the action '*'",
            "FullAccessRole": "AmazonS3FullAccess",
            "ServiceStarPolicy": "allows the action 's3:*'",
            "NotActionPolicy": "allows NotAction",
        }
    ),
)
def test_e9002_given_a_wildcard_allow_then_reported(logical_id: str, fragment: str) -> None:
    assert_reported(E9002_BAD, "E9002", logical_id, fragment)


def test_e9002_ignores_deny_statements_and_resource_policies() -> None:
    resources = {
        **function_stack(),
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "EnableKeyRotation": True,
                "KeyPolicy": document(
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
                        },
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ),
            },
        },
    }
    assert findings(template(resources), "E9002") == []


# ---------------------------------------------------------------------------- E9003
E9003_GOOD = template(
    {
        "Plain": table(),
        "ConditionalKey": table(
            SSESpecification={
                "Fn::If": [
                    "IsProd",
                    {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/contacts"},
                    {"SSEEnabled": True},
                ]
            }
        ),
        "Global": {
            "Type": "AWS::DynamoDB::GlobalTable",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "Replicas": [{"Region": "us-east-1"}],
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
                "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
            },
        },
    },
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)
PROVISIONED = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
E9003_BAD = template(
    {
        "NoSseTable": table(SSESpecification=None),
        "SseOffTable": table(SSESpecification={"SSEEnabled": False}),
        "ProvisionedTable": table(BillingMode="PROVISIONED", ProvisionedThroughput=PROVISIONED),
        "DefaultBillingTable": table(BillingMode=None, ProvisionedThroughput=PROVISIONED),
        "NoTtlTable": table(TimeToLiveSpecification=None),
        "TtlOffTable": table(TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": False}),
        "ProvisionedInDevTable": table(
            BillingMode={"Fn::If": ["IsProd", "PAY_PER_REQUEST", "PROVISIONED"]},
            ProvisionedThroughput={"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, PROVISIONED]},
        ),
        "Simple": {
            "Type": "AWS::Serverless::SimpleTable",
            "Properties": {"PrimaryKey": {"Name": "pk", "Type": "String"}},
        },
    },
    sam=True,
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)


def test_e9003_given_encrypted_on_demand_expiring_tables_then_clean() -> None:
    assert_clean(E9003_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "NoSseTable": "SSESpecification.SSEEnabled: true",
            "SseOffTable": "SSESpecification.SSEEnabled: true",
            "ProvisionedTable": "BillingMode: PAY_PER_REQUEST (got 'PROVISIONED')",
            "DefaultBillingTable": "BillingMode: PAY_PER_REQUEST (got None)",
            "NoTtlTable": "TimeToLiveSpecification",
            "TtlOffTable": "TimeToLiveSpecification",
            "ProvisionedInDevTable": "BillingMode: PAY_PER_REQUEST (got 'PROVISIONED')",
            "Simple": "AWS::Serverless::SimpleTable",
        }
    ),
)
def test_e9003_given_a_table_missing_a_setting_then_reported(logical_id: str, fragment: str) -> None:
    assert_reported(E9003_BAD, "E9003", logical_id, fragment)


def test_e9003_reports_each_problem_once_per_table() -> None:
    messages = findings(E9003_BAD, "E9003")
    assert len(messages) == len(set(messages))
    assert sum("NoSseTable" in message for message in messages) == 1


# ---------------------------------------------------------------------------- E9004
E9004_GOOD = template(
    {
        "Analytics": bucket(),
        "AnalyticsPolicy": bucket_policy("Analytics", tls_deny("Analytics")),
        "Recordings": bucket(
            BucketEncryption={
                "Fn::If": [
                    "IsProd",
                    {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    },
                    SSE_S3,
                ]
            }
        ),
        "RecordingsPolicy": bucket_policy(
            "Recordings", tls_deny("Recordings", principal={"AWS": "*"}, secure_transport=False)
        ),
    },
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)
E9004_BAD = template(
    {
        "UnencryptedBucket": bucket(BucketEncryption=None),
        "UnencryptedBucketPolicy": bucket_policy("UnencryptedBucket", tls_deny("UnencryptedBucket")),
        "PartlyPublicBucket": bucket(
            PublicAccessBlockConfiguration={**PUBLIC_ACCESS_BLOCK, "RestrictPublicBuckets": False}
        ),
        "PartlyPublicBucketPolicy": bucket_policy("PartlyPublicBucket", tls_deny("PartlyPublicBucket")),
        "NoBlockBucket": bucket(PublicAccessBlockConfiguration=None),
        "NoBlockBucketPolicy": bucket_policy("NoBlockBucket", tls_deny("NoBlockBucket")),
        "NoPolicyBucket": bucket(),
        "WeakPolicyBucket": bucket(),
        "WeakPolicy": bucket_policy(
            "WeakPolicyBucket",
            {**tls_deny("WeakPolicyBucket"), "Action": "s3:PutObject"},
            {**tls_deny("WeakPolicyBucket"), "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        ),
        "ProdOnlyTlsBucket": bucket(),
        "ProdOnlyTlsPolicy": bucket_policy(
            "ProdOnlyTlsBucket",
            {"Fn::If": ["IsProd", tls_deny("ProdOnlyTlsBucket"), {"Ref": "AWS::NoValue"}]},
        ),
    },
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)


def test_e9004_given_private_encrypted_tls_only_buckets_then_clean() -> None:
    assert_clean(E9004_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "UnencryptedBucket": "BucketEncryption",
            "PartlyPublicBucket": "PublicAccessBlockConfiguration RestrictPublicBuckets to true",
            "NoBlockBucket": "BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets",
            "NoPolicyBucket": "has no AWS::S3::BucketPolicy",
            "WeakPolicyBucket": "must deny s3:* to every principal",
            "ProdOnlyTlsBucket": "must deny s3:* to every principal",
        }
    ),
)
def test_e9004_given_an_unprotected_bucket_then_reported(logical_id: str, fragment: str) -> None:
    assert_reported(E9004_BAD, "E9004", logical_id, fragment)


def test_e9004_reports_only_what_is_wrong_with_each_bucket() -> None:
    messages = findings(E9004_BAD, "E9004")
    unencrypted = [message for message in messages if "UnencryptedBucket " in message]
    assert unencrypted == [
        "S3 bucket UnencryptedBucket must set BucketEncryption.ServerSideEncryptionConfiguration"
    ]


# ---------------------------------------------------------------------------- E9005
STREAM_ARN = {"Fn::GetAtt": ["Segments", "Arn"]}
TABLE_STREAM_ARN = {"Fn::GetAtt": ["Transcripts", "StreamArn"]}
QUEUE_ARN = {"Fn::GetAtt": ["Work", "Arn"]}
E9005_GOOD = template(
    consumer_stack(
        KinesisMapping=stream_mapping(STREAM_ARN),
        DynamoMapping=stream_mapping(TABLE_STREAM_ARN, MaximumRetryAttempts={"Ref": "Retries"}),
        QueueMapping=queue_mapping(QUEUE_ARN, BatchSize=10),
        SamConsumer=sam_function(
            Events={
                "Segments": {
                    "Type": "Kinesis",
                    "Properties": {
                        "Stream": STREAM_ARN,
                        "StartingPosition": "LATEST",
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "BisectBatchOnFunctionError": True,
                        "MaximumRetryAttempts": 2,
                        "DestinationConfig": {
                            "OnFailure": {
                                "Type": "SQS",
                                "Destination": {"Fn::GetAtt": ["DeadLetters", "Arn"]},
                            }
                        },
                    },
                },
                "Work": {
                    "Type": "SQS",
                    "Properties": {"Queue": QUEUE_ARN, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
                },
            }
        ),
    ),
    sam=True,
    Parameters={"Retries": {"Type": "Number", "Default": 3, "MinValue": 0, "MaxValue": 10}},
)
E9005_BAD = template(
    consumer_stack(
        NoPartialMapping=stream_mapping(STREAM_ARN, FunctionResponseTypes=None),
        NoBisectMapping=stream_mapping(STREAM_ARN, BisectBatchOnFunctionError=False),
        ForeverMapping=stream_mapping(STREAM_ARN, MaximumRetryAttempts=-1),
        DefaultRetriesMapping=stream_mapping(TABLE_STREAM_ARN, MaximumRetryAttempts=None),
        UnboundedParameterMapping=stream_mapping(STREAM_ARN, MaximumRetryAttempts={"Ref": "AnyRetries"}),
        NoDestinationMapping=stream_mapping(TABLE_STREAM_ARN, DestinationConfig=None),
        ArnStreamMapping=stream_mapping(
            f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/elsewhere", FunctionResponseTypes=None
        ),
        NoPartialQueueMapping=queue_mapping(QUEUE_ARN, FunctionResponseTypes=None),
        NoDlqQueue=queue(dlq=None),
        NoDlqQueueMapping=queue_mapping({"Fn::GetAtt": ["NoDlqQueue", "Arn"]}),
        ImportedQueueMapping=queue_mapping(f"arn:aws:sqs:us-east-1:{ACCOUNT}:elsewhere"),
        SamConsumer=sam_function(
            Events={
                "Segments": {
                    "Type": "Kinesis",
                    "Properties": {"Stream": STREAM_ARN, "StartingPosition": "LATEST"},
                },
                "Work": {"Type": "SQS", "Properties": {"Queue": QUEUE_ARN}},
            }
        ),
    ),
    sam=True,
    Parameters={"AnyRetries": {"Type": "Number", "Default": 3, "MinValue": -1}},
)


def test_e9005_given_consumers_that_handle_failed_records_then_clean() -> None:
    assert_clean(E9005_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "NoPartialMapping": "FunctionResponseTypes [ReportBatchItemFailures]",
            "NoBisectMapping": "BisectBatchOnFunctionError true",
            "ForeverMapping": "MaximumRetryAttempts between 0 and 10000 (got -1",
            "DefaultRetriesMapping": "MaximumRetryAttempts between 0 and 10000 (got None",
            "UnboundedParameterMapping": "MaximumRetryAttempts between 0 and 10000",
            "NoDestinationMapping": "DestinationConfig.OnFailure.Destination",
            "ArnStreamMapping": "reads a stream: set FunctionResponseTypes",
            "NoPartialQueueMapping": "reads SQS: set FunctionResponseTypes",
            "NoDlqQueue": "RedrivePolicy with a deadLetterTargetArn",
            "ImportedQueueMapping": "EventSourceArn must be !GetAtt <Queue>.Arn",
            "SamConsumer": "event Segments reads a stream",
        }
    ),
)
def test_e9005_given_a_consumer_that_can_lose_or_loop_on_records_then_reported(
    logical_id: str, fragment: str
) -> None:
    assert_reported(E9005_BAD, "E9005", logical_id, fragment)


def test_e9005_checks_every_stream_setting_of_a_sam_event_and_its_sqs_event() -> None:
    messages = [m for m in findings(E9005_BAD, "E9005") if "SamConsumer" in m]
    assert sum("event Segments" in m for m in messages) == 4, messages
    assert any("event Work reads SQS: set FunctionResponseTypes" in m for m in messages), messages


# ---------------------------------------------------------------------------- E9006
E9006_GOOD = template(
    function_stack(
        PlainFunction=function(),
        SamFunction=sam_function(Runtime=None, Architectures=None),
    ),
    sam=True,
    Globals={"Function": {"Runtime": "python3.13", "Architectures": ["arm64"]}},
)
E9006_BAD = template(
    function_stack(
        OldRuntimeFunction=function(Runtime="python3.12"),
        X86Function=function(Architectures=["x86_64"]),
        DefaultArchitectureFunction=function(Architectures=None),
        ImageFunction=function(
            Runtime=None,
            Handler=None,
            PackageType="Image",
            Code={"ImageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:latest"},
        ),
        NodeFunction=sam_function(Runtime="nodejs20.x", Handler="index.handler", Architectures=None),
        DevRuntimeFunction=function(Runtime={"Fn::If": ["IsProd", "python3.13", "python3.12"]}),
        # SAM adds list-valued Globals to the function's own list: Lambda then gets [arm64, arm64].
        DoubledArchitectureFunction=sam_function(),
    ),
    sam=True,
    Globals={"Function": {"Architectures": ["arm64"]}},
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)


def test_e9006_given_python313_arm64_functions_then_clean() -> None:
    assert_clean(E9006_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "OldRuntimeFunction": "Runtime python3.13 (got 'python3.12')",
            "X86Function": "Architectures [arm64] (got ['x86_64']",
            "DefaultArchitectureFunction": "Architectures [arm64] (got None",
            "ImageFunction": "is a container image",
            "NodeFunction": "Runtime python3.13 (got 'nodejs20.x')",
            "DevRuntimeFunction": "Runtime python3.13 (got 'python3.12')",
            "DoubledArchitectureFunction": "Architectures [arm64] (got ['arm64', 'arm64']",
        }
    ),
)
def test_e9006_given_another_runtime_or_architecture_then_reported(logical_id: str, fragment: str) -> None:
    assert_reported(E9006_BAD, "E9006", logical_id, fragment)


# ---------------------------------------------------------------------------- E9007
def encrypted(kind: str, **properties: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": without_none(properties)}


E9007_GOOD = template(
    {
        "SseSqsQueue": encrypted("AWS::SQS::Queue", SqsManagedSseEnabled=True),
        "KmsQueue": encrypted("AWS::SQS::Queue", KmsMasterKeyId="alias/aws/sqs"),
        "KeyByIntrinsicQueue": encrypted(
            "AWS::SQS::Queue",
            KmsMasterKeyId={"Fn::Sub": "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:alias/q"},
        ),
        "Topic": encrypted("AWS::SNS::Topic", KmsMasterKeyId="alias/aws/sns"),
        "Stream": stream(),
    }
)
E9007_BAD = template(
    {
        "PlainQueue": encrypted("AWS::SQS::Queue", MessageRetentionPeriod=60),
        "SseOffQueue": encrypted("AWS::SQS::Queue", SqsManagedSseEnabled=False),
        "EmptyKeyQueue": encrypted("AWS::SQS::Queue", KmsMasterKeyId=""),
        "DevQueue": encrypted("AWS::SQS::Queue", SqsManagedSseEnabled={"Fn::If": ["IsProd", True, False]}),
        "PlainTopic": encrypted("AWS::SNS::Topic", TopicName="alerts"),
        "PlainStream": encrypted("AWS::Kinesis::Stream", ShardCount=1),
        "ManagedOnlyStream": encrypted(
            "AWS::Kinesis::Stream", ShardCount=1, StreamEncryption={"EncryptionType": "NONE", "KeyId": "k"}
        ),
    },
    Parameters=IS_PROD,
    Conditions=IS_PROD_CONDITION,
)


def test_e9007_given_encrypted_queues_topics_and_streams_then_clean() -> None:
    assert_clean(E9007_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "PlainQueue": "SqsManagedSseEnabled: true or a KmsMasterKeyId",
            "SseOffQueue": "SqsManagedSseEnabled: true or a KmsMasterKeyId",
            "EmptyKeyQueue": "SqsManagedSseEnabled: true or a KmsMasterKeyId",
            "DevQueue": "SqsManagedSseEnabled: true or a KmsMasterKeyId",
            "PlainTopic": "must set KmsMasterKeyId",
            "PlainStream": "must set StreamEncryption",
            "ManagedOnlyStream": "must set StreamEncryption",
        }
    ),
)
def test_e9007_given_an_unencrypted_queue_topic_or_stream_then_reported(
    logical_id: str, fragment: str
) -> None:
    assert_reported(E9007_BAD, "E9007", logical_id, fragment)


# ---------------------------------------------------------------------------- E9008
QUEUE_ARN = {"Fn::GetAtt": ["FailedEvents", "Arn"]}
ON_FAILURE = {"DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": QUEUE_ARN}}}
SCHEDULE = {"Nightly": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 day)"}}}


def async_permission(function_id: str, principal: str = "events.amazonaws.com") -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": principal,
        },
    }


def invoke_config(function_id: str, **config: Any) -> dict[str, Any]:
    properties = {"FunctionName": {"Ref": function_id}, "Qualifier": "$LATEST", **config}
    return {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": properties}


def e9008_stack(**resources_: dict[str, Any]) -> dict[str, Any]:
    """Each function gets its own log group (<Id>Logs) so only E9008 can speak."""
    logs = {f"{logical_id}Logs": log_group() for logical_id in resources_ if logical_id.endswith("Fn")}
    queue = {"FailedEvents": encrypted("AWS::SQS::Queue", SqsManagedSseEnabled=True)}
    return {"FunctionRole": role(), **queue, **logs, **resources_}


E9008_GOOD = template(
    e9008_stack(
        ScheduledFn=sam_function("ScheduledFnLogs", Events=SCHEDULE, EventInvokeConfig=ON_FAILURE),
        DlqFn=sam_function(
            "DlqFnLogs", Events=SCHEDULE, DeadLetterQueue={"Type": "SQS", "TargetArn": QUEUE_ARN}
        ),
        SyncFn=sam_function("SyncFnLogs"),
        TargetFn=function("TargetFnLogs"),
        TargetPermission=async_permission("TargetFn"),
        TargetInvokeConfig=invoke_config(
            "TargetFn", DestinationConfig={"OnFailure": {"Destination": QUEUE_ARN}}
        ),
        DlqTargetFn=function("DlqTargetFnLogs", DeadLetterConfig={"TargetArn": QUEUE_ARN}),
        DlqTargetPermission=async_permission("DlqTargetFn", "s3.amazonaws.com"),
        ConnectFn=function("ConnectFnLogs"),
        ConnectPermission=async_permission("ConnectFn", "connect.amazonaws.com"),
    ),
    sam=True,
)
E9008_BAD = template(
    e9008_stack(
        ScheduleOnlyFn=sam_function("ScheduleOnlyFnLogs", Events=SCHEDULE),
        RetriesOnlyFn=sam_function("RetriesOnlyFnLogs", EventInvokeConfig={"MaximumRetryAttempts": 2}),
        EventTargetFn=function("EventTargetFnLogs"),
        EventTargetPermission=async_permission("EventTargetFn", "scheduler.amazonaws.com"),
        NoDestinationFn=function("NoDestinationFnLogs"),
        NoDestinationInvokeConfig=invoke_config("NoDestinationFn", MaximumRetryAttempts=0),
    ),
    sam=True,
)


def test_e9008_given_async_functions_with_a_destination_or_dlq_then_clean() -> None:
    assert_clean(E9008_GOOD)


@pytest.mark.parametrize(
    ("logical_id", "fragment"),
    cases(
        {
            "ScheduleOnlyFn": "(ScheduleV2 event(s)) must set EventInvokeConfig",
            "RetriesOnlyFn": "(asynchronous invocation) must set EventInvokeConfig",
            "EventTargetFn": "must have an AWS::Lambda::EventInvokeConfig with an OnFailure destination",
            "NoDestinationFn": "must have an AWS::Lambda::EventInvokeConfig with an OnFailure destination",
        }
    ),
)
def test_e9008_given_an_async_function_that_can_drop_events_then_reported(
    logical_id: str, fragment: str
) -> None:
    assert_reported(E9008_BAD, "E9008", logical_id, fragment)


# ---------------------------------------------------------------------------- conditions and odd shapes
def test_given_properties_chosen_by_a_condition_then_each_branch_is_checked() -> None:
    good = function()["Properties"]
    old = {**good, "Runtime": "python3.12"}
    resources = function_stack(
        BothGood={
            "Type": "AWS::Lambda::Function",
            "Properties": {"Fn::If": ["IsProd", good, copy.deepcopy(good)]},
        },
        DevOld={"Type": "AWS::Lambda::Function", "Properties": {"Fn::If": ["IsProd", good, old]}},
    )
    messages = findings(template(resources, Parameters=IS_PROD, Conditions=IS_PROD_CONDITION), "E9006")
    assert messages == ["Function DevOld must set Runtime python3.13 (got 'python3.12')"]


@pytest.mark.parametrize(
    "dev_condition",
    [
        pytest.param("IsProd", id="same-condition"),
        pytest.param("IsDev", id="related-condition"),
    ],
)
def test_given_conditions_then_only_possible_combinations_are_checked(dev_condition: str) -> None:
    # Exactly one of the two TLS statements exists in every deployment: in prod the first, otherwise
    # the second. Deciding each Fn::If on its own would also try "neither" and report the bucket.
    first = {"Fn::If": ["IsProd", tls_deny("Data"), {"Ref": "AWS::NoValue"}]}
    second = (
        {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, tls_deny("Data")]}
        if dev_condition == "IsProd"
        else {"Fn::If": ["IsDev", tls_deny("Data"), {"Ref": "AWS::NoValue"}]}
    )
    resources = {"Data": bucket(), "DataPolicy": bucket_policy("Data", first, second)}
    conditions = {**IS_PROD_CONDITION, "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]}}

    assert findings(template(resources, Parameters=IS_PROD, Conditions=conditions), "E9004") == []


ODD_PROPERTIES: list[Any] = [
    None,
    "not-a-mapping",
    ["a", "list"],
    7,
    {"Fn::If": ["UndefinedCondition", {"Runtime": "python3.13"}]},
    {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, {"LoggingConfig": "x"}]},
    {
        "LoggingConfig": {"LogGroup": {"Fn::GetAtt": "Broken"}},
        "Policies": [5, {"Statement": "x"}, {"Statement": [5, {"Action": {"Fn::Join": ["", ["s3", ":*"]]}}]}],
        "PolicyDocument": '{"Statement": {"Effect": "Allow", "Action": "*"}',
        "ManagedPolicyArns": {"Ref": "Arns"},
        "Events": {"E": "x", "F": {"Type": "SQS", "Properties": "x"}, "G": {"Type": "Kinesis"}},
        "EventSourceArn": {"Fn::GetAtt": ["Missing", "Arn"]},
        "RedrivePolicy": "not json",
        "Architectures": "arm64",
        "BillingMode": {"Ref": "Mode"},
        "TimeToLiveSpecification": [],
        "PublicAccessBlockConfiguration": "x",
        "Bucket": {"Fn::Sub": ["${Name}", {"Name": "x"}]},
    },
]
RULE_TYPES = (
    "AWS::Lambda::Function",
    "AWS::Serverless::Function",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Serverless::StateMachine",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::Lambda::EventSourceMapping",
    "AWS::SQS::Queue",
    "AWS::Logs::LogGroup",
)


@functools.cache
def project_rules() -> tuple[CloudFormationLintRule, ...]:
    return tuple(Rules.create_from_directory(str(RULES_DIR)).values())


@pytest.mark.parametrize("properties", ODD_PROPERTIES, ids=lambda p: type(p).__name__)
def test_given_odd_shapes_then_no_rule_raises(properties: Any) -> None:
    resources: dict[str, Any] = {
        f"R{index}": {"Type": resource_type, "Properties": copy.deepcopy(properties)}
        for index, resource_type in enumerate(RULE_TYPES)
    }
    resources["NotAMapping"] = "x"
    resources["NoProperties"] = {"Type": "AWS::Lambda::Function"}
    resources["Mapping"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"EventSourceArn": {"Fn::GetAtt": ["R12", "Arn"]}, "FunctionName": "f"},
    }
    document_ = template(resources, Parameters=IS_PROD, Conditions=IS_PROD_CONDITION)

    # Straight to the rules, without cfn-lint's condition solver (conditions=None) ...
    bare = SimpleNamespace(template=document_, conditions=None)
    for rule in project_rules():
        rule.match(bare)
    # ... and through cfn-lint, whose own rules reject these shapes (some of them even stumble on
    # them) but whose runner must never see a project rule fail ("Unknown exception while
    # processing rule E90..").
    crashed = [m for m in lint_template(document_) if m.rule.id == "E0002" and "rule E90" in m.message]
    assert crashed == [], describe(crashed)


def test_given_a_template_that_is_not_a_mapping_then_no_rule_raises() -> None:
    for broken in ({}, {"Resources": []}, {"Resources": None}, {"Resources": {"A": {"Type": 5}}}):
        for rule in project_rules():
            assert rule.match(SimpleNamespace(template=broken, conditions=None)) == []


# ---------------------------------------------------------------------------- the rule set itself
def test_the_rules_directory_holds_one_documented_rule_per_module() -> None:
    rules = project_rules()
    ids = sorted(rule.id for rule in rules)
    assert ids == list(RULE_IDS)
    modules = sorted(path.name for path in RULES_DIR.glob("[A-Za-z1-9]*.py"))
    assert len(modules) == len(rules)
    for rule in rules:
        assert 9001 <= int(rule.id[1:]) <= 9099
        assert rule.id.startswith("E")
        assert rule.shortdesc
        assert len(rule.description) > len(rule.shortdesc)
        assert rule.source_url.startswith("https://")
        assert any(name.startswith(rule.id.lower() + "_") for name in modules), rule.id


def test_cfnlintrc_appends_the_rules_and_names_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = yaml.safe_load((ROOT / ".cfnlintrc").read_text(encoding="utf-8"))
    assert settings["templates"] == ["template.yaml", "stacks/*.yaml"]
    assert "tools/cfn_lint_rules" in settings["append_rules"]

    monkeypatch.chdir(ROOT)
    config = ConfigMixIn([])
    # the nested stacks too: every file template.yaml deploys as a nested application
    nested = sorted(f"stacks/{path.name}" for path in (ROOT / "stacks").glob("*.yaml"))
    assert len(nested) >= 3
    assert sorted(config.templates) == sorted(["template.yaml", *nested])
    assert any(Path(path).resolve() == RULES_DIR for path in config.append_rules[1:])


# ---------------------------------------------------------------------------- the real template and the CLI
def run_cfn_lint(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CFN_LINT), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )


def test_template_yaml_passes_cfn_lint_with_the_project_rules() -> None:
    result = run_cfn_lint("template.yaml")

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_cfn_lint_without_arguments_lints_template_yaml_and_the_nested_stacks_cleanly() -> None:
    result = run_cfn_lint()

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_cfn_lint_follows_template_yaml_into_its_nested_stacks(tmp_path: Path) -> None:
    # A parameter the nested stack does not declare is caught while linting template.yaml (E3043).
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "child.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Parameters:\n  Known: {Type: String}\n"
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
        "    Properties: {KmsMasterKeyId: alias/aws/sns, TopicName: !Ref Known}\n",
        encoding="utf-8",
    )
    parent = tmp_path / "template.yaml"
    parent.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
        "Resources:\n  Child:\n    Type: AWS::Serverless::Application\n"
        "    Properties:\n      Location: stacks/child.yaml\n"
        "      Parameters: {Known: a, Unknown: b}\n",
        encoding="utf-8",
    )
    result = run_cfn_lint(str(parent))

    assert result.returncode != 0
    assert "Unknown" in result.stdout


def test_template_yaml_passes_the_project_rules_through_the_api() -> None:
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    decoded, errors = decode_str(text)
    assert not errors
    assert decoded is not None
    matches = list(_lint_text(text))
    assert matches == [], describe(matches)


def test_cfn_lint_run_through_cfnlintrc_reports_every_project_rule(tmp_path: Path) -> None:
    # One template breaking every project rule, linted exactly like template.yaml is: from the project
    # root, so the project's .cfnlintrc is what appends the rules.
    resources = {
        **E9005_BAD["Resources"],
        "ForeverLogs": log_group(retention=None),
        "Leaky": function(logs="ForeverLogs", Runtime="python3.12"),
        "StarRole": role(statement("*", "*")),
        "NoSseTable": table(SSESpecification=None),
        "NoPolicyBucket": bucket(),
        "PlainQueue": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": False}},
        "ScheduleOnlyFnLogs": log_group(),
        "ScheduleOnlyFn": sam_function("ScheduleOnlyFnLogs", Events=SCHEDULE),
    }
    bad = tmp_path / "bad-template.yaml"
    bad.write_text(yaml.safe_dump(template(resources, sam=True, Parameters=E9005_BAD["Parameters"])))

    result = run_cfn_lint(str(bad))

    assert result.returncode != 0
    for rule_id in RULE_IDS:
        assert f"{rule_id} " in result.stdout, result.stdout
    assert "Leaky must set Runtime python3.13" in result.stdout
    assert "E0002" not in result.stdout
