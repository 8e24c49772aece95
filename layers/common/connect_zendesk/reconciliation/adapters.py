"""boto3 adapters of the sweep: DescribeContact, the Contacts table's pending index, the post-call queue."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.errors import ServiceError
from connect_zendesk.reconciliation.ports import (
    ConnectContact,
    ConnectThrottled,
    ContactNotFound,
    Cursor,
    PendingContact,
)

PENDING_INDEX = "PendingPostCall"
PENDING_ATTRIBUTE = "postCallPending"  # the index's partition key; flow functions set it
PENDING_BUCKET = "PENDING"
CURSOR_KEY = "#reconciliation-cursor"  # the sweep's own item in the Contacts table (never a contact id)
RECONCILED_ATTRIBUTE = "reconciled"  # message attribute on reconciled post-call messages


class BotoConnectContacts:
    """DescribeContact. The client is made on first use and lives as long as the services container."""

    @functools.cached_property
    def _client(self) -> Any:
        # Few retries: a throttled sweep stops and the next run resumes (Connect's quotas are per
        # account and shared with the contact center). AWS_ENDPOINT_URL_CONNECT points it elsewhere.
        config = Config(
            connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 2, "mode": "standard"}
        )
        return boto3.session.Session().client("connect", config=config)

    def describe(self, instance_arn: str, contact_id: str) -> ConnectContact:
        instance_id = instance_arn.rsplit("/", 1)[-1]
        try:
            answer = self._client.describe_contact(InstanceId=instance_id, ContactId=contact_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "ResourceNotFoundException":
                raise ContactNotFound("Connect does not know the contact") from None
            if code in ("ThrottlingException", "TooManyRequestsException"):
                raise ConnectThrottled("DescribeContact throttled") from None
            raise ServiceError(f"DescribeContact failed: {code}") from None
        except BotoCoreError as exc:
            raise ServiceError(f"DescribeContact failed: {type(exc).__name__}") from None
        return contact_from_description(answer.get("Contact") or {}, contact_id)


def contact_from_description(contact: Mapping[str, Any], contact_id: str) -> ConnectContact:
    agent = contact.get("AgentInfo") or {}
    queue = contact.get("QueueInfo") or {}
    tags = contact.get("Tags")
    return ConnectContact(
        contact_id=str(contact.get("Id") or contact_id),
        arn=str(contact.get("Arn") or ""),
        channel=str(contact.get("Channel") or "").upper(),
        initiation_method=str(contact.get("InitiationMethod") or ""),
        initial_contact_id=str(contact.get("InitialContactId") or ""),
        previous_contact_id=str(contact.get("PreviousContactId") or ""),
        initiated_at=_moment(contact.get("InitiationTimestamp")),
        connected_to_system_at=_moment(contact.get("ConnectedToSystemTimestamp")),
        disconnected_at=_moment(contact.get("DisconnectTimestamp")),
        agent_id=str(agent.get("Id") or ""),
        connected_to_agent_at=_moment(agent.get("ConnectedToAgentTimestamp")),
        queue_id=str(queue.get("Id") or ""),
        enqueued_at=_moment(queue.get("EnqueueTimestamp")),
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else None,
    )


def _moment(value: Any) -> datetime | None:
    """botocore parses Connect's timestamps into datetimes; epoch seconds are accepted too."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


class DynamoPendingContacts:
    def __init__(self, table: str, clock: Callable[[], float]) -> None:
        self._table = table
        self._clock = clock

    def pending(self, after: Cursor, until: str, limit: int) -> list[PendingContact]:
        condition = "#pending = :pending AND #updatedAt <= :until"
        values: dict[str, Any] = {":pending": PENDING_BUCKET, ":until": until}
        if not after.at_start:
            condition = "#pending = :pending AND #updatedAt BETWEEN :after AND :until"
            values[":after"] = after.updated_at
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pending": PENDING_ATTRIBUTE, "#updatedAt": "updatedAt"},
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": True,  # oldest activity first
            "Limit": limit,
        }
        with storage_errors(self._table, "Query"):
            page = aws_client("dynamodb", "batch").query(**request)
        return [_pending(from_item(item)) for item in page.get("Items", [])]

    def cursor(self) -> Cursor:
        with storage_errors(self._table, "GetItem"):
            answer = aws_client("dynamodb", "batch").get_item(
                TableName=self._table, Key={"contactId": {"S": CURSOR_KEY}}, ConsistentRead=True
            )
        item = from_item(answer["Item"]) if "Item" in answer else {}
        return Cursor(str(item.get("cursorUpdatedAt", "")), tuple(map(str, item.get("cursorContactIds", []))))

    def save_cursor(self, cursor: Cursor) -> None:
        item: dict[str, Any] = {
            "contactId": CURSOR_KEY,
            "cursorUpdatedAt": cursor.updated_at,
            "savedAt": self._now(),
        }
        if cursor.contact_ids:
            item["cursorContactIds"] = list(cursor.contact_ids)
        with storage_errors(self._table, "PutItem"):
            aws_client("dynamodb", "batch").put_item(TableName=self._table, Item=to_item(item))

    def mark_sent(self, contact_id: str, resends: int) -> None:
        now = self._now()
        self._update(
            contact_id,
            "SET #reconciliation = :state, #updatedAt = :now",
            {":state": {"status": "SENT", "resends": resends, "at": now}, ":now": now},
        )

    def close(self, contact_id: str, reason: str) -> None:
        self._update(
            contact_id,
            f"SET #reconciliation = :state REMOVE #{PENDING_ATTRIBUTE}",
            {":state": {"status": "CLOSED", "reason": reason, "at": self._now()}},
        )

    def _update(self, contact_id: str, expression: str, values: dict[str, Any]) -> None:
        names = {"#reconciliation": "reconciliation", "#contactId": "contactId"}
        if "#updatedAt" in expression:
            names["#updatedAt"] = "updatedAt"
        if PENDING_ATTRIBUTE in expression:
            names[f"#{PENDING_ATTRIBUTE}"] = PENDING_ATTRIBUTE
        with storage_errors(self._table, "UpdateItem"):
            try:
                aws_client("dynamodb", "batch").update_item(
                    TableName=self._table,
                    Key={"contactId": {"S": contact_id}},
                    UpdateExpression=expression,
                    ConditionExpression="attribute_exists(#contactId)",  # TTL may have removed it
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_item(values),
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")


def _pending(item: Mapping[str, Any]) -> PendingContact:
    post_call = item.get("postCall")
    reconciliation = item.get("reconciliation")
    resends = reconciliation.get("resends", 0) if isinstance(reconciliation, Mapping) else 0
    return PendingContact(
        contact_id=str(item.get("contactId", "")),
        updated_at=str(item.get("updatedAt", "")),
        instance_arn=str(item.get("instanceArn") or ""),
        post_call_status=str(post_call.get("status") or "") if isinstance(post_call, Mapping) else "",
        outcome=str(item.get("outcome") or ""),
        resends=int(resends) if not isinstance(resends, bool) else 0,
    )


class SqsPostCallSender:
    """Sends into the post-call queue what the EventBridge rule sends: the event as the body."""

    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def send(self, event: Mapping[str, Any]) -> None:
        with storage_errors("the post-call queue", "SendMessage"):
            aws_client("sqs", "batch").send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(event),
                MessageAttributes={RECONCILED_ATTRIBUTE: {"DataType": "String", "StringValue": "true"}},
            )
