"""The Contacts table: one item per contact, written piecewise by every step of the call.

Each step updates only its own attributes (UpdateItem SET), so steps never overwrite each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item


class DynamoContactLog:
    def __init__(self, table_name: str, retention_days: int, clock: Callable[[], float] = time.time) -> None:
        self._table = table_name
        self._retention_seconds = retention_days * 86400
        self._clock = clock

    def record_caller(
        self,
        contact_id: str,
        *,
        caller_e164: str,
        zendesk_user_id: int | None,
        match_count: int,
        channel: str,
        language: str,
        instance_arn: str,
        lookup_result: str,
    ) -> None:
        values: dict[str, Any] = {
            "lookupResult": lookup_result,
            "matchCount": match_count,
            "channel": channel,
            "language": language,
            "instanceArn": instance_arn,
        }
        if caller_e164:
            values["callerE164"] = caller_e164  # the ByCaller index is sparse: unknown callers stay out
        if zendesk_user_id is not None:
            values["zendeskUserId"] = zendesk_user_id
        self._update(contact_id, values)

    def record_offered_tickets(
        self, contact_id: str, *, zendesk_user_id: int, ticket_ids: Sequence[int]
    ) -> None:
        self._update(contact_id, {"zendeskUserId": zendesk_user_id, "offeredTicketIds": list(ticket_ids)})

    def get(self, contact_id: str) -> dict[str, Any] | None:
        with storage_errors(self._table, "GetItem"):
            item = aws_client("dynamodb").get_item(
                TableName=self._table, Key={"contactId": {"S": contact_id}}
            )
        return from_item(item["Item"]) if "Item" in item else None

    def _update(self, contact_id: str, values: dict[str, Any]) -> None:
        now = self._clock()
        values = {
            **{k: v for k, v in values.items() if v not in ("", None)},
            "updatedAt": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "ttl": int(now) + self._retention_seconds,
        }
        names = {f"#{key}": key for key in values}
        assignments = [f"#{key} = :{key}" for key in values]
        # createdAt is the sort key of the ByCaller index: set once, by whichever step comes first.
        assignments.append("#createdAt = if_not_exists(#createdAt, :updatedAt)")
        names["#createdAt"] = "createdAt"
        with storage_errors(self._table, "UpdateItem"):
            aws_client("dynamodb").update_item(
                TableName=self._table,
                Key={"contactId": {"S": contact_id}},
                UpdateExpression="SET " + ", ".join(assignments),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({f":{key}": value for key, value in values.items()}),
            )
