"""Lambda stream events (Kinesis, DynamoDB Streams) read tolerantly, and the partial-batch response.

A record whose envelope is unusable is still returned, marked `broken`, so the handler reports that
record's sequence number as failed (ReportBatchItemFailures) and the rest of the batch goes on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connect_zendesk.adapters.dynamo import from_item
from connect_zendesk.untrusted import EVENT, Limits, UntrustedInput, check_shape, epoch_seconds

# One record of a stream batch: its envelope is shallow; a Contacts image nests a few maps deep.
STREAM_RECORD = Limits(max_bytes=EVENT.max_bytes, max_depth=EVENT.max_depth, max_nodes=50_000)


class InvalidStreamEvent(ValueError):
    """The event is not a stream batch at all (no Records list)."""


@dataclass(frozen=True)
class KinesisRecord:
    sequence_number: str
    data: bytes | None  # None: the envelope or its base64 is broken
    arrival: float  # approximateArrivalTimestamp, epoch seconds
    partition_key: str = ""

    @property
    def broken(self) -> bool:
        return self.data is None


@dataclass(frozen=True)
class TableStreamRecord:
    sequence_number: str
    event_name: str  # INSERT, MODIFY, REMOVE
    new_image: dict[str, Any] | None  # plain Python values; None when absent or unreadable

    @property
    def broken(self) -> bool:
        return self.event_name in {"INSERT", "MODIFY"} and self.new_image is None


def _records(event: Any) -> list[Any]:
    """The batch's records; a record too deep or too large (or holding NaN) becomes None: it fails alone."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise InvalidStreamEvent("event has no Records list")
    return [_bounded(record) for record in records]


def _bounded(record: Any) -> Any:
    if not isinstance(record, Mapping):
        return record
    try:
        check_shape(record, STREAM_RECORD)
    except UntrustedInput:
        # Only the shallow ids survive, so the record is reported (by its sequence number) and skipped.
        return {
            name: {key: part[key] for key in _ID_KEYS if isinstance(part.get(key), str)}
            for name, part in record.items()
            if name in ("kinesis", "dynamodb") and isinstance(part, Mapping)
        } | {"eventName": "REFUSED", "refused": True}
    return record


_ID_KEYS = ("sequenceNumber", "SequenceNumber", "partitionKey")


def kinesis_records(event: Any) -> list[KinesisRecord]:
    parsed: list[KinesisRecord] = []
    for raw in _records(event):
        kinesis = raw.get("kinesis") if isinstance(raw, Mapping) else None
        kinesis = kinesis if isinstance(kinesis, Mapping) else {}
        sequence = str(kinesis.get("sequenceNumber") or "")
        data: bytes | None
        try:
            data = base64.b64decode(str(kinesis["data"]), validate=True)
        except (KeyError, binascii.Error, ValueError):
            data = None
        parsed.append(
            KinesisRecord(
                sequence_number=sequence,
                data=None if isinstance(raw, Mapping) and raw.get("refused") else data,
                arrival=_arrival(kinesis.get("approximateArrivalTimestamp")),
                partition_key=str(kinesis.get("partitionKey") or ""),
            )
        )
    return parsed


def table_stream_records(event: Any) -> list[TableStreamRecord]:
    parsed: list[TableStreamRecord] = []
    for raw in _records(event):
        body = raw.get("dynamodb") if isinstance(raw, Mapping) else None
        body = body if isinstance(body, Mapping) else {}
        image: dict[str, Any] | None = None
        raw_image = body.get("NewImage")
        if isinstance(raw_image, Mapping):
            try:
                image = from_item(dict(raw_image))
                # NaN or Infinity ("N": "NaN" unmarshals to Decimal('NaN')): DynamoDB stores neither
                check_shape(image, STREAM_RECORD)
            # ArithmeticError: a number DynamoDB's 38 digits cannot hold ("N": "1e309", 40 digits, "x").
            except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
                image = None
        event_name = str(raw.get("eventName") or "") if isinstance(raw, Mapping) else ""
        parsed.append(
            TableStreamRecord(
                sequence_number=str(body.get("SequenceNumber") or ""),
                # a refused record reads as an unreadable INSERT: reported failed, never processed
                event_name="INSERT" if event_name == "REFUSED" else event_name,
                new_image=image,
            )
        )
    return parsed


def _arrival(value: Any) -> float:
    """approximateArrivalTimestamp as epoch seconds; 0 when absent, NaN, infinite or out of range."""
    try:
        return epoch_seconds(value, "approximateArrivalTimestamp")
    except UntrustedInput:
        return 0.0


def batch_response(failed_sequence_numbers: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """ReportBatchItemFailures answer; an empty list means the whole batch succeeded."""
    unique = dict.fromkeys(s for s in failed_sequence_numbers if s)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in unique]}
