"""The Contacts table: one item per contact, written piecewise by every step of the call.

Each step updates only its own attributes (UpdateItem SET), so steps never overwrite each other.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.models import BotTurnRecord, ConversationEntry
from connect_zendesk.errors import StorageError

MAX_CONVERSATION_ENTRIES = 50  # the newest 50 keep the item far below DynamoDB's 400 KB


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

    def record_bot_turn(self, contact_id: str, turn: BotTurnRecord) -> None:
        """One UpdateItem per bot turn. `conversationTurns` counts every entry ever appended and the
        write is conditional on it, so a concurrent writer's entries are never dropped: the loser
        re-reads the conversation and tries once more."""
        if self._write_turn(contact_id, turn):
            return
        current = self.get(contact_id) or {}
        stored = [
            ConversationEntry.from_item(e) for e in current.get("conversation") or [] if isinstance(e, dict)
        ]
        retry = dataclasses.replace(
            turn, previous=tuple(stored), seen_turns=int(current.get("conversationTurns", 0))
        )
        if not self._write_turn(contact_id, retry):
            raise StorageError(f"UpdateItem on {self._table} failed: concurrent bot turns")

    def _write_turn(self, contact_id: str, turn: BotTurnRecord) -> bool:
        conversation = [*turn.previous, *turn.entries][-MAX_CONVERSATION_ENTRIES:]
        values: dict[str, Any] = {
            "conversation": [entry.to_item() for entry in conversation],
            "conversationTurns": turn.seen_turns + len(turn.entries),
            "callerE164": turn.caller_e164,
            "zendeskUserId": turn.zendesk_user_id,
            "selectedTicketId": turn.selected_ticket_id,
            "handoff": turn.handoff,
        }
        return self._update(
            contact_id,
            values,
            add={"fulfilledIntents": {turn.fulfilled_intent}} if turn.fulfilled_intent else None,
            condition=(
                "attribute_not_exists(#conversationTurns) OR #conversationTurns = :seenTurns",
                {":seenTurns": turn.seen_turns},
            ),
        )

    def get(self, contact_id: str) -> dict[str, Any] | None:
        with storage_errors(self._table, "GetItem"):
            item = aws_client("dynamodb").get_item(
                TableName=self._table, Key={"contactId": {"S": contact_id}}
            )
        return from_item(item["Item"]) if "Item" in item else None

    def _update(
        self,
        contact_id: str,
        values: dict[str, Any],
        *,
        add: dict[str, set[str]] | None = None,
        condition: tuple[str, dict[str, Any]] | None = None,
    ) -> bool:
        """SET the values (and ADD to sets); False when `condition` does not hold."""
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
        expression_values = {f":{key}": value for key, value in values.items()}
        expression = "SET " + ", ".join(assignments)
        if add:
            names.update({f"#{key}": key for key in add})
            expression_values.update({f":add_{key}": value for key, value in add.items()})
            expression += " ADD " + ", ".join(f"#{key} :add_{key}" for key in add)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"contactId": {"S": contact_id}},
            "UpdateExpression": expression,
        }
        if condition is not None:
            request["ConditionExpression"] = condition[0]
            names.update({f"#{name}": name for name in re.findall(r"#(\w+)", condition[0])})
            expression_values.update(condition[1])
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = to_item(expression_values)
        with storage_errors(self._table, "UpdateItem"):
            try:
                aws_client("dynamodb").update_item(**request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                return False
        return True
