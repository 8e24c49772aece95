"""Adapters: DynamoDB, Secrets Manager and the Zendesk gateway, on moto and fakes (no sockets)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from connect_zendesk.adapters import secrets
from connect_zendesk.adapters.contacts_table import DynamoContactLog
from connect_zendesk.adapters.dynamo import storage_errors
from connect_zendesk.adapters.lookup_cache import DynamoLookupCache
from connect_zendesk.adapters.zendesk.gateway import ZendeskGateway
from connect_zendesk.errors import (
    InvalidInput,
    NotConfigured,
    StorageError,
    ZendeskBadResponse,
    ZendeskTimeout,
)
from connect_zendesk_local.cfn_template import Template
from zenpy.lib.exception import ZenpyException

NOW = 1_800_000_000.0


# ---------------------------------------------------------------------------- DynamoDB


def test_storage_errors_name_the_table_and_operation_but_no_key_values() -> None:
    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "+14155552671"}}, "GetItem")
    with pytest.raises(StorageError) as raised, storage_errors("Contacts", "GetItem"):
        raise error
    assert str(raised.value) == "GetItem on Contacts failed: ThrottlingException"
    with pytest.raises(StorageError, match="EndpointConnectionError"), storage_errors("Contacts", "PutItem"):
        raise EndpointConnectionError(endpoint_url="http://dynamodb")


def test_cache_round_trip_and_expiry(aws: Template) -> None:
    table = aws.physical["CacheTable"].ref
    cache = DynamoLookupCache(table, clock=lambda: NOW)
    cache.put("caller#+1", {"user": None, "matchCount": 0}, 60)
    assert cache.get("caller#+1") == {"user": None, "matchCount": 0}
    assert DynamoLookupCache(table, clock=lambda: NOW + 60).get("caller#+1") is None
    assert cache.get("caller#never-written") is None


def test_cache_with_zero_ttl_writes_nothing(aws: Template) -> None:
    table = aws.physical["CacheTable"].ref
    DynamoLookupCache(table, clock=lambda: NOW).put("tickets#1", [], 0)
    assert boto3.client("dynamodb").scan(TableName=table)["Count"] == 0


def test_an_unavailable_cache_is_a_miss_and_a_skipped_write(
    aws: Template, caplog: pytest.LogCaptureFixture
) -> None:
    cache = DynamoLookupCache("no-such-table", clock=lambda: NOW)
    assert cache.get("caller#+1") is None
    cache.put("caller#+1", {"x": 1}, 60)
    assert caplog.messages.count("cache unavailable, continuing without it") == 2


def test_contact_log_merges_writes_from_several_steps(aws: Template) -> None:
    contacts = DynamoContactLog(aws.physical["ContactsTable"].ref, retention_days=1, clock=lambda: NOW)
    contacts.record_caller(
        "c-1",
        caller_e164="",
        zendesk_user_id=None,
        match_count=0,
        channel="CHAT",
        language="",
        instance_arn="",
        lookup_result="Skipped",
    )
    contacts.record_offered_tickets("c-1", zendesk_user_id=7, ticket_ids=[3, 2])
    record = contacts.get("c-1")
    assert record is not None
    assert record["lookupResult"] == "Skipped"
    assert record["offeredTicketIds"] == [3, 2]
    assert "callerE164" not in record  # the ByCaller index stays sparse
    assert "language" not in record  # empty values are not written
    assert int(record["ttl"]) == int(NOW) + 86400
    assert contacts.get("c-unknown") is None


def test_contact_log_reports_storage_failures(aws: Template) -> None:
    contacts = DynamoContactLog("no-such-table", retention_days=1)
    with pytest.raises(StorageError, match="UpdateItem on no-such-table"):
        contacts.record_offered_tickets("c-1", zendesk_user_id=7, ticket_ids=[1])
    with pytest.raises(StorageError, match="GetItem on no-such-table"):
        contacts.get("c-1")


# ---------------------------------------------------------------------------- Secrets Manager


def _secret(value: str) -> str:
    return str(
        boto3.client("secretsmanager").create_secret(Name=f"s-{abs(hash(value))}", SecretString=value)["ARN"]
    )


@pytest.mark.parametrize(
    ("stored", "token"),
    [('{"api_token": "abc"}', "abc"), ('{"token": " def "}', "def"), ("bare-token", "bare-token")],
)
def test_token_shapes_the_secret_may_hold(aws: Template, stored: str, token: str) -> None:
    assert secrets.zendesk_api_token(_secret(stored)) == token


@pytest.mark.parametrize("stored", ['{"api_token": ""}', "{not json", "   "])
def test_an_unusable_secret_is_a_configuration_error(aws: Template, stored: str) -> None:
    arn = _secret(stored) if stored.strip() else _secret('{"api_token": null}')
    with pytest.raises(NotConfigured):
        secrets.zendesk_api_token(arn)


def test_missing_secret_or_no_arn_is_a_configuration_error(aws: Template) -> None:
    with pytest.raises(NotConfigured, match="ResourceNotFoundException"):
        secrets.zendesk_api_token("arn:aws:secretsmanager:us-east-1:123456789012:secret:gone")
    with pytest.raises(NotConfigured, match="ZENDESK_SECRET_ARN"):
        secrets.zendesk_api_token("")


class _FailingSecrets:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def get_secret_value(self, **_: Any) -> dict[str, str]:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "InternalServiceError"}}, "GetSecretValue"),
        EndpointConnectionError(endpoint_url="http://secretsmanager"),
    ],
)
def test_secrets_manager_outages_are_storage_errors(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    monkeypatch.setattr(secrets, "aws_client", lambda _service: _FailingSecrets(error))
    with pytest.raises(StorageError):
        secrets.zendesk_api_token("arn:secret")


def test_the_token_is_cached_for_a_while_and_forgotten_on_request(
    aws: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _secret(json.dumps({"api_token": "first"}))
    assert secrets.zendesk_api_token(arn) == "first"
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString='{"api_token": "second"}')
    assert secrets.zendesk_api_token(arn) == "first"  # cached
    secrets.forget_zendesk_api_token(arn)
    assert secrets.zendesk_api_token(arn) == "second"
    clock = [0.0]
    monkeypatch.setattr(secrets.time, "monotonic", lambda: clock[0])
    secrets.forget_zendesk_api_token()
    assert secrets.zendesk_api_token(arn) == "second"
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString='{"api_token": "third"}')
    clock[0] = secrets.MAX_AGE_SECONDS + 1
    assert secrets.zendesk_api_token(arn) == "third"


# ---------------------------------------------------------------------------- Zendesk gateway


class _Broken:
    """A zenpy stand-in whose every call fails the given way."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def search(self, **_: Any) -> Any:
        raise self.error

    @property
    def users(self) -> Any:
        raise self.error


@pytest.mark.parametrize("digits", ["", "123", "4155552671x", "1" * 16, "*4155552671"])
def test_phone_search_accepts_only_validated_digits(digits: str) -> None:
    gateway = ZendeskGateway(lambda: pytest.fail("Zendesk must not be called"))
    with pytest.raises(InvalidInput):
        gateway.end_users_by_phone(digits)


@pytest.mark.parametrize("user_id", [0, -1, True])
def test_user_ids_must_be_positive_integers(user_id: int) -> None:
    gateway = ZendeskGateway(lambda: _Broken(AssertionError("must not be reached")))
    with pytest.raises(InvalidInput):
        gateway.requested_tickets(user_id)
    with pytest.raises(InvalidInput):
        gateway.phone_identities(user_id)


@pytest.mark.parametrize(
    "error", [ZenpyException("Could not handle response"), KeyError("id"), ValueError("json")]
)
def test_unusable_zendesk_answers_are_bad_responses(error: Exception) -> None:
    gateway = ZendeskGateway(lambda: _Broken(error))
    with pytest.raises(ZendeskBadResponse):
        gateway.end_users_by_phone("4155552671")
    with pytest.raises(ZendeskBadResponse):
        gateway.requested_tickets(5)


def test_typed_zendesk_errors_pass_through_unchanged() -> None:
    gateway = ZendeskGateway(lambda: _Broken(ZendeskTimeout("GET /api/v2/search.json timed out")))
    with pytest.raises(ZendeskTimeout):
        gateway.phone_identities(5)
