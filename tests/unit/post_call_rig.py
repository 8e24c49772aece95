"""The post-call step on moto, driven as Lambda would drive it: messages on the template's queue, the
template's handler invoked by the local SQS poller, a fake Zendesk, a clock the test moves."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import boto3
from connect_zendesk.adapters.dynamo import from_item, to_item
from connect_zendesk.call_services import CallServices
from connect_zendesk.services import use_services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.functions import load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.sqs_poller import PollResult, SqsPoller
from connect_zendesk_local.stack import sqs_event_source
from post_call_doubles import NOW, FakeTextAnalyzer, FakeZendeskTickets, RecordingQueue
from unit_doubles import FakeZendesk

REGION = "us-east-1"


class PostCallRig:
    def __init__(
        self,
        template: Template,
        env: Mapping[str, str],
        zendesk: FakeZendesk,
        zendesk_tickets: FakeZendeskTickets,
    ) -> None:
        self.template = template
        self.env = dict(env)
        self.zendesk = zendesk
        self.tickets = zendesk_tickets
        self.analyzer = FakeTextAnalyzer()
        self.now = NOW
        self.queue = RecordingQueue(env["POST_CALL_QUEUE_URL"], env["POST_CALL_DLQ_URL"])
        self.settings = Settings.from_env(self.env)
        self.services = self._services()
        self._scope: Any = None
        self._clients: dict[str, Any] = {}
        self.context_remaining_ms = 60_000

    # ---------------------------------------------------------------- configuration
    def configure(self, **post_call: Any) -> None:
        """Change post-call settings (the test's stand-in for other template parameters)."""
        self.settings = dataclasses.replace(
            self.settings, post_call=dataclasses.replace(self.settings.post_call, **post_call)
        )
        self._swap_services()

    def configure_metering(self, **metering: Any) -> None:
        self.settings = dataclasses.replace(
            self.settings, metering=dataclasses.replace(self.settings.metering, **metering)
        )
        self._swap_services()

    def _services(self) -> CallServices:
        return CallServices(
            self.settings,
            zendesk=self.zendesk,
            zendesk_tickets=self.tickets,
            text_analyzer=self.analyzer,
            message_queue=self.queue,
            clock=lambda: self.now.timestamp(),  # noqa: PLW0108 - the test moves `now`
        )

    def _swap_services(self) -> None:
        self.services = self._services()
        if self._scope is not None:
            self._scope.__exit__(None, None, None)
            self._scope = use_services(self.services)
            self._scope.__enter__()

    def __enter__(self) -> PostCallRig:
        self._scope = use_services(self.services)
        self._scope.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._scope.__exit__(exc_type, exc, tb)
        self._scope = None

    # ---------------------------------------------------------------- AWS side
    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    def table(self, logical_id: str) -> str:
        return self.template.physical[logical_id].ref

    def seed_contact(self, contact_id: str, **attributes: Any) -> None:
        item = {"contactId": contact_id, "createdAt": "2026-11-21T11:52:00.000+00:00", **attributes}
        self.client("dynamodb").put_item(TableName=self.table("ContactsTable"), Item=to_item(_decimals(item)))

    def seed_transcript(self, items: list[dict[str, Any]]) -> None:
        table, dynamodb = self.table("TranscriptsTable"), self.client("dynamodb")
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": to_item(_decimals(item))}} for item in items[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={table: batch})

    def contact(self, contact_id: str) -> dict[str, Any]:
        item = self.client("dynamodb").get_item(
            TableName=self.table("ContactsTable"), Key={"contactId": {"S": contact_id}}
        )
        return from_item(item.get("Item", {}))

    def analytics(self, contact_id: str) -> dict[str, Any] | None:
        bucket = self.table("AnalyticsBucket")
        for entry in self.client("s3").list_objects_v2(Bucket=bucket, Prefix="calls/").get("Contents", []):
            if entry["Key"].endswith(f"/{contact_id}.json"):
                body = self.client("s3").get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                document: dict[str, Any] = json.loads(body)
                document["_key"] = entry["Key"]
                return document
        return None

    def analytics_keys(self) -> list[str]:
        bucket = self.table("AnalyticsBucket")
        contents = self.client("s3").list_objects_v2(Bucket=bucket, Prefix="calls/").get("Contents", [])
        return sorted(entry["Key"] for entry in contents)

    # ---------------------------------------------------------------- the queue and the function
    def send(self, *events: Mapping[str, Any]) -> None:
        for event in events:
            self.client("sqs").send_message(
                QueueUrl=self.env["POST_CALL_QUEUE_URL"], MessageBody=json.dumps(event)
            )

    def handler(self, event: dict[str, Any]) -> Any:
        """The template's post_call_update handler, as the Lambda runtime loads and calls it."""
        return load_handler(self.template.function("post_call_update"))(
            event, _Context(self.context_remaining_ms)
        )

    def poller(self) -> SqsPoller:
        queue_id, batch_size = sqs_event_source(self.template, "post_call_update")
        queue = self.template.physical[queue_id]
        return SqsPoller(
            self.client("sqs"), queue.ref, queue.attributes["Arn"], self.handler, batch_size=batch_size
        )

    def deliver(self, max_polls: int = 30) -> list[PollResult]:
        return self.poller().drain(max_polls)

    def queued(self) -> int:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.env["POST_CALL_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = (
                self.client("sqs")
                .receive_message(
                    QueueUrl=self.env["POST_CALL_DLQ_URL"],
                    MaxNumberOfMessages=10,
                    MessageAttributeNames=["All"],
                    AttributeNames=["All"],
                )
                .get("Messages", [])
            )
            if not batch:
                return found
            found += batch

    def idempotency_records(self) -> list[dict[str, Any]]:
        items = self.client("dynamodb").scan(TableName=self.table("IdempotencyTable"))["Items"]
        return [from_item(item) for item in items]

    def expire_in_progress_records(self) -> None:
        """Time passes beyond a crashed invocation's timeout: its INPROGRESS record no longer blocks."""
        dynamodb = self.client("dynamodb")
        for record in self.idempotency_records():
            dynamodb.update_item(
                TableName=self.table("IdempotencyTable"),
                Key={"id": {"S": record["id"]}},
                UpdateExpression="SET in_progress_expiration = :past",
                ExpressionAttributeValues={
                    ":past": {"N": str(int(datetime.now(UTC).timestamp() * 1000) - 1)}
                },
            )


class _Context(LocalLambdaContext):
    def __init__(self, remaining_ms: int) -> None:
        super().__init__(function_name="PostCallUpdateFunction", timeout_seconds=60)
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def _decimals(value: Any) -> Any:
    """DynamoDB takes numbers as Decimal: convert floats, keep sets (what the steps store)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value
