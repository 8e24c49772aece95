"""The Cache table: short-lived answers from Zendesk (phone -> user, user -> open tickets).

A cache is an optimisation, so this adapter never fails its caller: a DynamoDB error is logged,
counted, and treated as a miss (reads) or skipped (writes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors
from connect_zendesk.errors import StorageError
from connect_zendesk.observability import logger, metrics


class DynamoLookupCache:
    def __init__(self, table_name: str, clock: Callable[[], float] = time.time) -> None:
        self._table = table_name
        self._clock = clock

    def get(self, key: str) -> Any | None:
        try:
            with storage_errors(self._table, "GetItem"):
                item = (
                    aws_client("dynamodb")
                    .get_item(
                        TableName=self._table,
                        Key={"cacheKey": {"S": key}},
                        ProjectionExpression="payload, expiresAt",
                    )
                    .get("Item")
                )
        except StorageError as exc:
            self._degraded(exc)
            return None
        # DynamoDB deletes expired items lazily (up to days later), so expiry is checked here.
        if not item or int(item["expiresAt"]["N"]) <= int(self._clock()):
            metrics.add_metric(name="CacheMiss", unit=MetricUnit.Count, value=1)
            return None
        metrics.add_metric(name="CacheHit", unit=MetricUnit.Count, value=1)
        return json.loads(item["payload"]["S"])

    def put(self, key: str, value: Any, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            return
        item = {
            "cacheKey": {"S": key},
            "payload": {"S": json.dumps(value, separators=(",", ":"), ensure_ascii=False)},
            "expiresAt": {"N": str(int(self._clock()) + ttl_seconds)},
        }
        try:
            with storage_errors(self._table, "PutItem"):
                aws_client("dynamodb").put_item(TableName=self._table, Item=item)
        except StorageError as exc:
            self._degraded(exc)

    @staticmethod
    def _degraded(exc: StorageError) -> None:
        logger.warning("cache unavailable, continuing without it", extra={"reason": str(exc)})
        metrics.add_metric(name="CacheError", unit=MetricUnit.Count, value=1)
