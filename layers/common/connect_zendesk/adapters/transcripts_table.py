"""The Transcripts table (docs/data-model.md): final segments of a call, in order of their position."""

from __future__ import annotations

from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors
from connect_zendesk.domain.call_record import TranscriptSegment

MAX_SEGMENTS = 20_000  # a ten-hour call; anything beyond is not a conversation


class DynamoTranscripts:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def segments(self, contact_id: str) -> list[TranscriptSegment]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#contactId = :contactId",
            "ExpressionAttributeNames": {"#contactId": "contactId"},
            "ExpressionAttributeValues": {":contactId": {"S": contact_id}},
            "ConsistentRead": True,  # the last segments were written seconds ago
        }
        found: list[TranscriptSegment] = []
        while len(found) < MAX_SEGMENTS:
            with storage_errors(self._table, "Query"):
                page = aws_client("dynamodb", "batch").query(**request)
            for item in page.get("Items", []):
                segment = TranscriptSegment.from_item(from_item(item))
                if segment is not None:
                    found.append(segment)
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        # `position` orders by begin offset already; a stable sort also fixes hand-written positions.
        return sorted(found, key=lambda s: s.begin_ms)


class NoTranscripts:
    """No transcription step is deployed (TRANSCRIPTS_TABLE is empty): every call has no transcript."""

    def segments(self, contact_id: str) -> list[TranscriptSegment]:
        return []
