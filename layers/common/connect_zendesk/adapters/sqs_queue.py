"""The post-call queue: delay a message (visibility), or copy it to the dead-letter queue with a reason."""

from __future__ import annotations

from collections.abc import Mapping

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors
from connect_zendesk.sqs.retry import MAX_VISIBILITY_SECONDS


class SqsMessageQueue:
    def __init__(self, queue_url: str, dead_letter_queue_url: str) -> None:
        self._queue_url = queue_url
        self._dead_letter_queue_url = dead_letter_queue_url

    def delay(self, receipt_handle: str, seconds: int) -> None:
        with storage_errors("the post-call queue", "ChangeMessageVisibility"):
            aws_client("sqs", "batch").change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=max(0, min(int(seconds), MAX_VISIBILITY_SECONDS)),
            )

    def dead_letter(self, body: str, attributes: Mapping[str, str]) -> None:
        with storage_errors("the post-call dead-letter queue", "SendMessage"):
            aws_client("sqs", "batch").send_message(
                QueueUrl=self._dead_letter_queue_url,
                MessageBody=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value or "-"}
                    for name, value in attributes.items()
                },
            )
