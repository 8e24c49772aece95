"""What the real-time functions write on the Contacts record: transcript status, Contact Lens
categories and summary, the sentiment aggregate and alert, agent notes (on the contact's notes item,
realtime.agent_notes), the agent's connection.

Like every writer of the table it updates only its own attributes (UpdateItem), keeps `updatedAt`
and the TTL fresh and sets `createdAt` only if no step set it before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.contacts_table import DynamoContactLog
from connect_zendesk.adapters.dynamo import storage_errors, to_item
from connect_zendesk.realtime.agent_notes import MAX_NOTES, note_attribute, notes_key

TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED"})


class _Update:
    """Builds one UpdateItem request from SET/ADD clauses with generated names and values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.sets: list[str] = []
        self.adds: list[str] = []

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> None:
        self.sets.append(f"{self.name(attribute)} = {self.value(value)}")

    def set_if_absent(self, attribute: str, value: Any) -> None:
        name = self.name(attribute)
        self.sets.append(f"{name} = if_not_exists({name}, {self.value(value)})")

    def expression(self) -> str:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.adds:
            parts.append("ADD " + ", ".join(self.adds))
        return " ".join(parts)


class DynamoContactRealtime(DynamoContactLog):
    def record_transcript(
        self,
        contact_id: str,
        *,
        status: str | None = None,
        categories: Iterable[str] = (),
        summary: Mapping[str, str] | None = None,
    ) -> None:
        update = self._base()
        if status in TERMINAL_STATUSES:
            update.set("transcriptStatus", status)
        elif status:
            # STARTED never overwrites COMPLETED/FAILED, even when a replay delivers it late.
            update.set_if_absent("transcriptStatus", status)
        names = sorted(set(categories))
        if names:
            update.adds.append(f"{update.name('categories')} {update.value(set(names))}")
        if summary:
            if summary.get("content"):
                update.set("postContactSummary", summary["content"])
            update.set("postContactSummaryStatus", summary.get("status") or "COMPLETED")
        self._send(contact_id, update)

    def record_sentiment(
        self, contact_id: str, sentiment: Mapping[str, Any], key_phrases: list[Mapping[str, Any]]
    ) -> None:
        update = self._base()
        update.set("sentiment", dict(sentiment))
        update.set("keyPhrases", list(key_phrases))
        self._send(contact_id, update)

    def claim_sentiment_alert(self, contact_id: str, streak_start: str, length: int) -> bool:
        """Record that the negative streak starting at `streak_start` was alerted; False if it already was."""
        update = self._base()
        at = self._now_iso()
        update.set("sentimentAlert", {"streakStart": streak_start, "length": length, "at": at})
        alert, start = update.name("sentimentAlert"), update.name("streakStart")
        condition = f"attribute_not_exists({alert}) OR {alert}.{start} <> {update.value(streak_start)}"
        return self._send(contact_id, update, condition=condition)

    def append_agent_note(self, contact_id: str, *, note_id: str, agent_id: str, text: str) -> bool:
        """Store a note on the contact's notes item once per note id; False when that note is
        already stored or the contact has MAX_NOTES (the caller bounds the text: agent_notes).

        Each note is its own attribute (`note:<noteId>`), so a write adds one note instead of
        rewriting a list of all of them."""
        update = self._base()
        ids = update.name("agentNoteIds")
        note = {"noteId": note_id, "agentId": agent_id, "text": text, "at": self._now_iso()}
        update.set(note_attribute(note_id), note)
        update.adds.append(f"{ids} {update.value({note_id})}")
        condition = (
            f"attribute_not_exists({ids}) OR "
            f"(NOT contains({ids}, {update.value(note_id)}) AND size({ids}) < {update.value(MAX_NOTES)})"
        )
        return self._send(notes_key(contact_id), update, condition=condition)

    def mark_agent_connected(self, contact_id: str) -> None:
        update = self._base()
        update.set("agentConnected", True)
        self._send(contact_id, update)

    # ------------------------------------------------------------------ helpers
    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")

    def _base(self) -> _Update:
        update = _Update()
        now = self._now_iso()
        update.set("updatedAt", now)
        update.set("ttl", int(self._clock()) + self._retention_seconds)
        update.set_if_absent("createdAt", now)
        return update

    def _send(self, contact_id: str, update: _Update, condition: str | None = None) -> bool:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"contactId": {"S": contact_id}},
            "UpdateExpression": update.expression(),
            "ExpressionAttributeNames": update.names,
            "ExpressionAttributeValues": to_item(update.values),
        }
        if condition:
            request["ConditionExpression"] = condition
        with storage_errors(self._table, "UpdateItem"):
            try:
                aws_client("dynamodb").update_item(**request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    return False
                raise
        return True
