"""Lambda stream events (Kinesis, DynamoDB Streams) read tolerantly, and the partial-batch response.

A record whose envelope is unusable is still returned, marked `broken`, so the handler reports that
record's sequence number as failed (ReportBatchItemFailures) and the rest of the batch goes on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connect_zendesk.adapters.dynamo import from_item


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
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise InvalidStreamEvent("event has no Records list")
    return records


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
        arrival = kinesis.get("approximateArrivalTimestamp")
        parsed.append(
            KinesisRecord(
                sequence_number=sequence,
                data=data,
                arrival=float(arrival) if isinstance(arrival, (int, float)) else 0.0,
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
                if not _all_numbers_finite(image):
                    raise ValueError("NaN or Infinity in a stream image: DynamoDB stores neither")
            # ArithmeticError: a number DynamoDB's 38 digits cannot hold ("N": "1e309", 40 digits, "x").
            except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
                image = None
        parsed.append(
            TableStreamRecord(
                sequence_number=str(body.get("SequenceNumber") or ""),
                event_name=str(raw.get("eventName") or "") if isinstance(raw, Mapping) else "",
                new_image=image,
            )
        )
    return parsed


def _all_numbers_finite(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, Mapping):
        return all(_all_numbers_finite(v) for v in value.values())
    if isinstance(value, (list, set, frozenset, tuple)):
        return all(_all_numbers_finite(v) for v in value)
    return True


def batch_response(failed_sequence_numbers: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """ReportBatchItemFailures answer; an empty list means the whole batch succeeded."""
    unique = dict.fromkeys(s for s in failed_sequence_numbers if s)
    return {"batchItemFailures": [{"itemIdentifier": s} for s in unique]}
