"""Conversations waiting for their automated-resolution verdict, one item per conversation.

Key `conversationId`; index `ByDueDate` (`dueDate` YYYY-MM-DD + `dueAt` ISO) lets the metering run
read what is due without scanning. A conversation's window starts at its last bot-resolved contact:
a later contact of the same conversation moves `dueAt` forward and joins `contactIds`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.call_records import conditional_update
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.call_record import iso, parse_time
from connect_zendesk.domain.post_call_ports import PendingResolution

BY_DUE_DATE_INDEX = "ByDueDate"
LOOKBACK_DAYS = 30  # metering catches up on this many days of missed runs
KEEP_DAYS = 60  # TTL after the due time: a verdict never reached by then is dropped


class DynamoResolutionQueue:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def enqueue(
        self, conversation_id: str, *, contact_id: str, caller_e164: str, ended_at: datetime, due_at: datetime
    ) -> None:
        key = {"conversationId": {"S": conversation_id}}
        values: dict[str, Any] = {
            ":due": iso(due_at),
            ":day": due_at.astimezone(UTC).strftime("%Y-%m-%d"),
            ":ended": iso(ended_at),
            ":ids": {contact_id},
            ":expires": int((due_at + timedelta(days=KEEP_DAYS)).timestamp()),
        }
        set_caller = ""
        if caller_e164:
            values[":caller"] = caller_e164
            set_caller = ", callerE164 = if_not_exists(callerE164, :caller)"
        moved = conditional_update(
            self._table,
            Key=key,
            UpdateExpression=(
                "SET dueAt = :due, dueDate = :day, firstContactAt = if_not_exists(firstContactAt, :ended), "
                f"expiresAt = :expires{set_caller} ADD contactIds :ids"
            ),
            ConditionExpression="attribute_not_exists(dueAt) OR dueAt < :due",
            ExpressionAttributeValues=to_item(values),
        )
        if not moved:  # a later contact already set a later due time: only join the conversation
            with storage_errors(self._table, "UpdateItem"):
                aws_client("dynamodb", "batch").update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="ADD contactIds :ids",
                    ExpressionAttributeValues=to_item({":ids": {contact_id}}),
                )

    def due(self, now: datetime) -> list[PendingResolution]:
        found: list[PendingResolution] = []
        today = now.astimezone(UTC).date()
        for days_back in range(LOOKBACK_DAYS, -1, -1):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": BY_DUE_DATE_INDEX,
                "KeyConditionExpression": "dueDate = :day AND dueAt <= :now",
                "ExpressionAttributeValues": to_item(
                    {":day": (today - timedelta(days=days_back)).isoformat(), ":now": iso(now)}
                ),
            }
            while True:
                with storage_errors(self._table, "Query"):
                    page = aws_client("dynamodb", "batch").query(**request)
                found += [
                    p for p in (_pending(from_item(item)) for item in page.get("Items", [])) if p is not None
                ]
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def remove(self, conversation_id: str) -> None:
        with storage_errors(self._table, "DeleteItem"):
            aws_client("dynamodb", "batch").delete_item(
                TableName=self._table, Key={"conversationId": {"S": conversation_id}}
            )


def _pending(item: dict[str, Any]) -> PendingResolution | None:
    due_at = parse_time(item.get("dueAt"))
    if due_at is None:
        return None
    ids = item.get("contactIds") or set()
    return PendingResolution(
        conversation_id=str(item["conversationId"]),
        due_at=due_at,
        contact_ids=tuple(sorted(str(i) for i in ids)),
        caller_e164=str(item.get("callerE164") or ""),
        first_contact_at=parse_time(item.get("firstContactAt")),
    )
