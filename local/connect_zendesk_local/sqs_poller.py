"""Delivers SQS messages to a function the way Lambda's SQS event source mapping does.

Receive up to the mapping's batch size (with every attribute Lambda passes on), invoke the handler
with a Lambda SQS event, then delete what succeeded:
- the handler raises: nothing is deleted (the whole batch comes back after its visibility timeout);
- it returns `batchItemFailures` (ReportBatchItemFailures): every other message is deleted; an
  empty list means full success; an identifier that is not in the batch fails the whole batch,
  as Lambda treats it.
Visibility changes the handler makes (delays) and the queue's redrive policy act as in SQS itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any]], Any]
LAMBDA_MAX_BATCH = 10  # one ReceiveMessage returns at most 10


@dataclass
class PollResult:
    received: int = 0
    deleted: int = 0
    failed: list[str] = field(default_factory=list)
    raised: BaseException | None = None


class SqsPoller:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        *,
        batch_size: int = 10,
        region: str = "us-east-1",
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._handler = handler
        self._batch_size = max(1, min(batch_size, LAMBDA_MAX_BATCH))
        self._region = region
        # Receipt handles of the last batch: a test can end their visibility as a timeout would.
        self.last_receipt_handles: list[str] = []

    def poll_once(self, wait_seconds: int = 0) -> PollResult:
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        result = PollResult(received=len(messages))
        if not messages:
            return result
        self.last_receipt_handles = [m["ReceiptHandle"] for m in messages]
        try:
            response = self._handler({"Records": [self._record(m) for m in messages]})
        except Exception as exc:  # noqa: BLE001 - as Lambda: a failed invocation keeps the whole batch
            result.raised = exc
            result.failed = [m["MessageId"] for m in messages]
            return result
        failed = _failed_ids(response, [m["MessageId"] for m in messages])
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
                result.deleted += 1
        result.failed = sorted(failed)
        return result

    def drain(self, max_polls: int = 50, wait_seconds: int = 0) -> list[PollResult]:
        """Poll until a receive comes back empty (or max_polls); delayed messages stay in the queue."""
        results = []
        for _ in range(max_polls):
            result = self.poll_once(wait_seconds)
            if result.received == 0:
                break
            results.append(result)
        return results

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                key: str(attributes[key])
                for key in (
                    "ApproximateReceiveCount",
                    "SentTimestamp",
                    "SenderId",
                    "ApproximateFirstReceiveTimestamp",
                )
                if key in attributes
            },
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's checksum
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }


def _failed_ids(response: Any, batch: list[str]) -> set[str]:
    """The messages Lambda would leave in the queue for this handler response."""
    if not isinstance(response, dict) or response.get("batchItemFailures") is None:
        return set()  # no partial-failure report: the invocation succeeded, the batch is done
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return set(batch)
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch:
            return set(batch)  # Lambda: an invalid identifier fails the whole batch
        ids.add(identifier)
    return ids
