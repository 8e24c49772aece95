"""kvs_transcriber's progress in the Contacts item: transcriptStatus, checkpoint and lease.

Attributes (docs/data-model.md): `transcriptStatus`, `kvsCheckpoint`
("<runId>#<fragment number>#<sample>": the audio before that sample, read from that fragment on, is
transcribed), `kvsOwner` (the invocation holding the lease, or the token of
the continuation it was handed to) and `kvsLeaseUntil` (epoch seconds). Conditional writes make a
second delivery of the same invocation back off while the first one is alive.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, to_item
from connect_zendesk.errors import StorageError
from connect_zendesk.kvs.ports import Progress


class DynamoTranscriptionProgress:
    def __init__(self, table_name: str, retention_days: int, clock: Callable[[], float] = time.time) -> None:
        self._table = table_name
        self._retention_seconds = retention_days * 86400
        self._clock = clock

    def claim(
        self, contact_id: str, run_id: str, owner: str, token: str, lease_seconds: float
    ) -> Progress | None:
        now = self._clock()
        values = {
            ":owner": owner,
            ":until": int(now + lease_seconds),
            ":now": int(now),
            ":token": token,
            ":status": "STARTED",
            **self._stamps(now),
        }
        try:
            answer = self._update(
                contact_id,
                "SET kvsOwner = :owner, kvsLeaseUntil = :until, transcriptStatus = :status, "
                + self._stamp_assignments(),
                values,
                condition="attribute_not_exists(kvsOwner) OR kvsLeaseUntil < :now OR kvsOwner = :token",
                return_old=True,
            )
        except _ConditionFailed:
            return None
        old = from_item(answer.get("Attributes", {}))
        checkpoint_run, _, rest = str(old.get("kvsCheckpoint", "")).partition("#")
        fragment, _, sample = rest.partition("#")
        same_run = checkpoint_run == run_id
        return Progress(
            run_id=checkpoint_run,
            fragment_number=fragment if same_run else "",
            owner=owner,
            lease_until=now + lease_seconds,
            status="STARTED",
            resume_at_sample=int(sample) if same_run and sample.isdigit() else 0,
        )

    def checkpoint(
        self,
        contact_id: str,
        *,
        owner: str,
        run_id: str,
        fragment_number: str,
        resume_at_sample: int,
        lease_seconds: float,
        handover: str = "",
    ) -> bool:
        now = self._clock()
        assignments = "SET kvsOwner = :next, kvsLeaseUntil = :until, " + self._stamp_assignments()
        values: dict[str, Any] = {
            ":owner": owner,
            ":next": handover or owner,
            ":until": int(now + lease_seconds),
            **self._stamps(now),
        }
        if fragment_number:
            assignments += ", kvsCheckpoint = :checkpoint"
            values[":checkpoint"] = f"{run_id}#{fragment_number}#{resume_at_sample}"
        try:
            self._update(contact_id, assignments, values, condition="kvsOwner = :owner")
        except _ConditionFailed:
            return False
        return True

    def release(self, contact_id: str, owner: str, status: str) -> None:
        now = self._clock()
        values = {":owner": owner, ":status": status, ":zero": 0, **self._stamps(now)}
        # If another invocation holds the contact now, its status wins.
        with contextlib.suppress(_ConditionFailed):
            self._update(
                contact_id,
                "SET transcriptStatus = :status, kvsLeaseUntil = :zero, " + self._stamp_assignments(),
                values,
                condition="kvsOwner = :owner",
            )

    # ------------------------------------------------------------------ internals
    def _stamps(self, now: float) -> dict[str, Any]:
        return {
            ":updatedAt": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            ":ttl": int(now) + self._retention_seconds,
        }

    @staticmethod
    def _stamp_assignments() -> str:
        return "updatedAt = :updatedAt, #ttl = :ttl, createdAt = if_not_exists(createdAt, :updatedAt)"

    def _update(
        self,
        contact_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        condition: str,
        return_old: bool = False,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"contactId": {"S": contact_id}},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#ttl": "ttl"},
            "ExpressionAttributeValues": to_item(values),
        }
        if return_old:
            request["ReturnValues"] = "ALL_OLD"
        try:
            return aws_client("dynamodb", "batch").update_item(**request)  # type: ignore[no-any-return]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailed from None
            raise StorageError(f"UpdateItem on {self._table} failed: {code}") from None
        except BotoCoreError as exc:
            raise StorageError(f"UpdateItem on {self._table} failed: {type(exc).__name__}") from None


class _ConditionFailed(Exception):
    pass
