"""One record of a Lambda SQS batch, read tolerantly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connect_zendesk.untrusted import EVENT, UntrustedInput, check_shape, decode_json, epoch_seconds


class InvalidMessage(ValueError):
    """The message body is not what the consumer expects; retrying cannot fix it."""

    error_type = "InvalidEvent"


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int = 1
    sent_at: datetime | None = None
    source_arn: str = ""

    refused: str = ""  # why the bounded shape check refused the record ("" when it passed)

    @classmethod
    def from_record(cls, record: Any) -> QueueMessage | None:
        """None when the record has no messageId: Lambda could not be told which message failed."""
        if not isinstance(record, Mapping) or not isinstance(record.get("messageId"), str):
            return None
        try:
            check_shape(record, EVENT)
        except UntrustedInput as exc:
            # Lambda sends string bodies; a record this deep or holding NaN is forged: keep only its ids.
            body = record.get("body")
            return cls(
                message_id=record["messageId"],
                receipt_handle=str(record.get("receiptHandle") or "")
                if isinstance(record.get("receiptHandle"), str)
                else "",
                body=body if isinstance(body, str) else "",
                refused=f"record refused: {exc}",
            )
        attributes = record.get("attributes")
        attributes = attributes if isinstance(attributes, Mapping) else {}
        return cls(
            message_id=record["messageId"],
            receipt_handle=str(record.get("receiptHandle") or ""),
            body=str(record.get("body") or ""),
            receive_count=max(_int(attributes.get("ApproximateReceiveCount"), 1), 1),
            sent_at=_epoch_ms(attributes.get("SentTimestamp")),
            source_arn=str(record.get("eventSourceARN") or ""),
        )

    def json(self) -> Any:
        """The body's JSON value; a body the bounded decoder refuses is permanent (dead-lettered at once)."""
        if self.refused:
            raise InvalidMessage(self.refused)
        try:
            return decode_json(self.body)
        except UntrustedInput as exc:
            raise InvalidMessage(f"message {exc}") from None


def _int(value: Any, default: int) -> int:
    # SQS writes its attributes as unsigned decimals; anything else ("+14155552671") is not a count,
    # and 19 digits or more are none either (5,000 digits would even exceed int()'s conversion limit).
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else default


def _epoch_ms(value: Any) -> datetime | None:
    """SentTimestamp (epoch milliseconds as unsigned decimals); None when it is no time from 1970 to 9999."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    try:
        return datetime.fromtimestamp(epoch_seconds(int(text) / 1000, "SentTimestamp"), UTC)
    except (UntrustedInput, OverflowError, OSError):
        return None
