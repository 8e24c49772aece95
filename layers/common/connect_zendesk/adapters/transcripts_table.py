"""The Transcripts table: final transcript segments keyed by (contactId, position) (docs/data-model.md).

Writes are BatchWriteItem requests of up to 25 items; items DynamoDB leaves unprocessed (throttling)
are sent again with a short exponential backoff, and whatever is still left is a StorageError so
the caller reports those records as failed instead of losing them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.call_record import TranscriptSegment
from connect_zendesk.errors import StorageError

MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.05
MAX_SEGMENTS = 20_000  # a ten-hour call; anything beyond is not a conversation


class DynamoTranscripts:
    def __init__(self, table_name: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self._table = table_name
        self._sleep = sleep

    def put_many(self, items: Sequence[dict[str, Any]]) -> None:
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": to_item(item)}} for item in items]
        for attempt in range(MAX_ATTEMPTS):
            if not requests:
                return
            if attempt:
                self._sleep(BASE_DELAY_SECONDS * 2**attempt * (0.5 + random.random()))  # noqa: S311 - jitter
            with storage_errors(self._table, "BatchWriteItem"):
                answer = aws_client("dynamodb", "batch").batch_write_item(
                    RequestItems={self._table: requests}
                )
            requests = list(answer.get("UnprocessedItems", {}).get(self._table, []))
        if requests:
            raise StorageError(f"BatchWriteItem on {self._table} left {len(requests)} item(s) unprocessed")

    def contact_segments(self, contact_id: str, attributes: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every segment of a contact in call order (strongly consistent), optionally projected."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "contactId = :contact",
            "ExpressionAttributeValues": {":contact": {"S": contact_id}},
            "ConsistentRead": True,
        }
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(("contactId", "position", *attributes))}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        items: list[dict[str, Any]] = []
        while len(items) < MAX_SEGMENTS:
            with storage_errors(self._table, "Query"):
                page = aws_client("dynamodb", "batch").query(**request)
            items.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    def segments(self, contact_id: str) -> list[TranscriptSegment]:
        """The call's final segments as the post-call note reads them, in call order."""
        found = [
            segment
            for item in self.contact_segments(contact_id)
            if (segment := TranscriptSegment.from_item(item)) is not None
        ]
        # `position` orders by begin offset already; a stable sort also fixes hand-written positions.
        return sorted(found, key=lambda s: s.begin_ms)


class NoTranscripts:
    """No transcription step is deployed (TRANSCRIPTS_TABLE is empty): every call has no transcript."""

    def segments(self, contact_id: str) -> list[TranscriptSegment]:
        return []
