"""The Contacts table: one item per contact, written piecewise by every step of the call.

Each step updates only its own attributes (UpdateItem SET), so steps never overwrite each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import Profile, aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.models import BotTurnRecord

MAX_CONVERSATION_ENTRIES = 50  # the newest 50 keep the item far below DynamoDB's 400 KB
# Agent notes live on the contact's own notes item, one attribute per note (realtime.agent_notes);
# `get` gives them back as the contact's `agentNotes` list, oldest first.
NOTES_KEY_SUFFIX = "#agentNotes"
NOTE_ATTRIBUTE_PREFIX = "note:"
NOTE_ATTRIBUTES = ("agentNotes", "agentNoteIds")
# A contact the flow functions recorded waits for its post-call update in the sparse PendingPostCall
# index (partition: this attribute; sort: updatedAt) until post_call_update or the reconciliation
# sweep takes it out (connect_zendesk.reconciliation).
PENDING_POST_CALL = {"postCallPending": "PENDING"}


class DynamoContactLog:
    def __init__(
        self,
        table_name: str,
        retention_days: int,
        clock: Callable[[], float] = time.time,
        profile: Profile = "interactive",
    ) -> None:
        self._table = table_name
        self._retention_seconds = retention_days * 86400
        self._clock = clock
        self._profile: Profile = profile  # queue consumers can wait longer than a contact flow

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
            **PENDING_POST_CALL,
        }
        if caller_e164:
            values["callerE164"] = caller_e164  # the ByCaller index is sparse: unknown callers stay out
        if zendesk_user_id is not None:
            values["zendeskUserId"] = zendesk_user_id
        self._update(contact_id, values)

    def record_offered_tickets(
        self, contact_id: str, *, zendesk_user_id: int, ticket_ids: Sequence[int]
    ) -> None:
        self._update(
            contact_id,
            {"zendeskUserId": zendesk_user_id, "offeredTicketIds": list(ticket_ids), **PENDING_POST_CALL},
        )

    def record_bot_turn(self, contact_id: str, turn: BotTurnRecord) -> None:
        """Append the turn's entries to the conversation (an atomic list_append: concurrent writers
        never drop each other's entries) and set its outcome, in one UpdateItem. Only a conversation
        that grows past MAX_CONVERSATION_ENTRIES costs a second write that drops its oldest entries."""
        values: dict[str, Any] = {
            "callerE164": turn.caller_e164,
            "zendeskUserId": turn.zendesk_user_id,
            "selectedTicketId": turn.selected_ticket_id,
            "handoff": turn.handoff,
            **PENDING_POST_CALL,
        }
        appended = [entry.to_item() for entry in turn.entries]
        self._update(
            contact_id,
            values,
            add={"fulfilledIntents": {turn.fulfilled_intent}} if turn.fulfilled_intent else None,
            append=appended,
        )
        excess = min(turn.seen_turns, MAX_CONVERSATION_ENTRIES) + len(appended) - MAX_CONVERSATION_ENTRIES
        if excess > 0:
            self._trim_conversation(contact_id, excess)

    def _trim_conversation(self, contact_id: str, excess: int) -> None:
        request = {
            "TableName": self._table,
            "Key": {"contactId": {"S": contact_id}},
            "UpdateExpression": "REMOVE " + ", ".join(f"#conversation[{i}]" for i in range(excess)),
            # A concurrent trim may have shortened it already: never cut below the bound.
            "ConditionExpression": "size(#conversation) >= :longest",
            "ExpressionAttributeNames": {"#conversation": "conversation"},
            "ExpressionAttributeValues": {":longest": {"N": str(MAX_CONVERSATION_ENTRIES + excess)}},
        }
        with storage_errors(self._table, "UpdateItem"):
            try:
                aws_client("dynamodb", self._profile).update_item(**request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise

    def get(
        self, contact_id: str, attributes: Sequence[str] = (), *, consistent: bool = False
    ) -> dict[str, Any] | None:
        """The contact's item, or only the named attributes of it (the conversation log is the bulk);
        `consistent` sees writes made an instant ago (the after-call steps need every one).

        The agent notes (`agentNotes`, `agentNoteIds`) come from the contact's notes item, read only
        when the whole contact or a note attribute is asked for."""
        item = self._get_item(contact_id, attributes, consistent)
        if attributes and not set(attributes) & set(NOTE_ATTRIBUTES):
            return item
        notes = self._get_item(contact_id + NOTES_KEY_SUFFIX, (), consistent)
        if notes is None:
            return item
        return with_agent_notes(item or {}, notes)

    def _get_item(self, key: str, attributes: Sequence[str], consistent: bool) -> dict[str, Any] | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"contactId": {"S": key}},
            "ConsistentRead": consistent,
        }
        if attributes:
            request["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
            request["ExpressionAttributeNames"] = {f"#a{i}": name for i, name in enumerate(attributes)}
        with storage_errors(self._table, "GetItem"):
            item = aws_client("dynamodb", self._profile).get_item(**request)
        return from_item(item["Item"]) if "Item" in item else None

    def _update(
        self,
        contact_id: str,
        values: dict[str, Any],
        *,
        add: dict[str, set[str]] | None = None,
        append: list[dict[str, Any]] | None = None,
        remove: Sequence[str] = (),
    ) -> None:
        """SET the values, ADD to sets, append to the conversation log and REMOVE attributes."""
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
        if append:
            names.update({"#conversation": "conversation", "#conversationTurns": "conversationTurns"})
            assignments.append(
                "#conversation = list_append(if_not_exists(#conversation, :noEntries), :entries)"
            )
            assignments.append("#conversationTurns = if_not_exists(#conversationTurns, :zero) + :appended")
            expression_values.update(
                {":noEntries": [], ":entries": append, ":zero": 0, ":appended": len(append)}
            )
        expression = "SET " + ", ".join(assignments)
        if add:
            names.update({f"#{key}": key for key in add})
            expression_values.update({f":add_{key}": value for key, value in add.items()})
            expression += " ADD " + ", ".join(f"#{key} :add_{key}" for key in add)
        if remove:
            names.update({f"#{key}": key for key in remove})
            expression += " REMOVE " + ", ".join(f"#{key}" for key in remove)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"contactId": {"S": contact_id}},
            "UpdateExpression": expression,
        }
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = to_item(expression_values)
        with storage_errors(self._table, "UpdateItem"):
            aws_client("dynamodb", self._profile).update_item(**request)


def with_agent_notes(item: dict[str, Any], notes_item: dict[str, Any]) -> dict[str, Any]:
    """The contact with the notes of its notes item after any kept on the contact itself (written
    there before notes had their own item), each note id once, oldest first."""
    stored = [
        value
        for name, value in notes_item.items()
        if name.startswith(NOTE_ATTRIBUTE_PREFIX) and isinstance(value, dict)
    ]
    stored.sort(key=lambda note: (str(note.get("at", "")), str(note.get("noteId", ""))))
    seen: set[str] = set()
    kept: list[Any] = []
    for note in [*(item.get("agentNotes") or []), *stored]:
        note_id = str(note.get("noteId", "")) if isinstance(note, dict) else ""
        if note_id not in seen:
            seen.add(note_id)
            kept.append(note)
    ids = set(item.get("agentNoteIds") or ()) | set(notes_item.get("agentNoteIds") or ())
    return {**item, "agentNotes": kept, "agentNoteIds": ids}
