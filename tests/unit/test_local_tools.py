"""Pieces of the local stack that the integration tests do not reach: the handler loader, the
Lambda context stand-in and resource provisioning details."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from connect_zendesk.services import Services
from connect_zendesk.settings import Settings
from connect_zendesk_local.aws_resources import provision
from connect_zendesk_local.cfn_template import FunctionSpec, Template
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from moto import mock_aws


def _spec(tmp_path: Path, source: str, handler: str = "app.lambda_handler") -> FunctionSpec:
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    return FunctionSpec("F", f"tmp_{tmp_path.name}", tmp_path, handler, 3, 128, {})


def test_a_handler_that_is_not_callable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not callable"):
        load_handler(_spec(tmp_path, "lambda_handler = 42\n"))
    forget_loaded_handlers()


def test_a_module_that_fails_to_import_is_not_left_half_loaded(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "raise RuntimeError('cold start failed')\n")
    with pytest.raises(RuntimeError, match="cold start failed"):
        load_handler(spec)
    assert f"functions.{spec.name}.app" not in sys.modules


def test_a_missing_module_file_is_an_import_error(tmp_path: Path) -> None:
    with pytest.raises((ImportError, FileNotFoundError)):
        load_handler(FunctionSpec("F", "missing", tmp_path, "nowhere.lambda_handler", 3, 128, {}))


def test_loaded_handlers_are_forgotten_like_a_new_container(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path, "COUNT = []\ndef lambda_handler(e, c):\n    COUNT.append(1)\n    return len(COUNT)\n"
    )
    assert load_handler(spec)({}, None) == 1
    assert load_handler(spec)({}, None) == 2
    forget_loaded_handlers()
    assert load_handler(spec)({}, None) == 1
    forget_loaded_handlers()


def test_local_lambda_context_looks_like_lambdas() -> None:
    context = LocalLambdaContext(function_name="CallerLookupFunction", timeout_seconds=8)
    assert (
        context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:CallerLookupFunction"
    )
    assert context.log_group_name == "/aws/lambda/CallerLookupFunction"
    assert context.log_stream_name == "local"
    assert context.function_version == "$LATEST"
    assert 0 < context.get_remaining_time_in_millis() <= 8000


def test_tables_with_streams_local_indexes_and_explicit_names_are_provisioned() -> None:
    document = {
        "Resources": {
            "Segments": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "explicit-name",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                        {"AttributeName": "alt", "AttributeType": "S"},
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "LocalSecondaryIndexes": [
                        {
                            "IndexName": "ByAlt",
                            "KeySchema": [
                                {"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "alt", "KeyType": "RANGE"},
                            ],
                            "Projection": {"ProjectionType": "KEYS_ONLY"},
                        }
                    ],
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                },
            }
        }
    }
    template = Template(document)
    with mock_aws():
        provision(template, lambda service: boto3.client(service, region_name="us-east-1"))
        table = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName="explicit-name")[
            "Table"
        ]
    assert template.physical["Segments"].ref == "explicit-name"
    assert template.physical["Segments"].attributes["StreamArn"] == table["LatestStreamArn"]
    assert table["LocalSecondaryIndexes"][0]["IndexName"] == "ByAlt"


def test_services_accept_injected_adapters(function_env: dict[str, str]) -> None:
    cache, contacts = object(), object()
    services = Services(Settings.from_env(function_env), cache=cache, contacts=contacts)  # type: ignore[arg-type]
    assert services.cache is cache
    assert services.contacts is contacts
