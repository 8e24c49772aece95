"""Small helpers shared by the DynamoDB adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.errors import StorageError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


@contextmanager
def storage_errors(table: str, operation: str) -> Iterator[None]:
    """botocore failures become StorageError, naming the table and operation but no key values."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise StorageError(f"{operation} on {table} failed: {code}") from None
    except BotoCoreError as exc:
        raise StorageError(f"{operation} on {table} failed: {type(exc).__name__}") from None
