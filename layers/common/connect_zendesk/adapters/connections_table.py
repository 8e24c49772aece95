"""The Connections table: one item per open panel WebSocket, found by contact through `ByContact`."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors

CONTACT_INDEX = "ByContact"


@dataclass(frozen=True)
class PanelConnection:
    connection_id: str
    contact_id: str
    agent_id: str
    expires_at: int  # epoch seconds; API Gateway closes a WebSocket after two hours at most


class DynamoConnections:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def add(self, connection: PanelConnection, connected_at: str) -> None:
        with storage_errors(self._table, "PutItem"):
            aws_client("dynamodb").put_item(
                TableName=self._table,
                Item={
                    "connectionId": {"S": connection.connection_id},
                    "contactId": {"S": connection.contact_id},
                    "agentId": {"S": connection.agent_id},
                    "connectedAt": {"S": connected_at},
                    "expiresAt": {"N": str(connection.expires_at)},
                },
            )

    def remove(self, connection_id: str) -> None:
        with storage_errors(self._table, "DeleteItem"):
            aws_client("dynamodb").delete_item(
                TableName=self._table, Key={"connectionId": {"S": connection_id}}
            )

    def extend(self, connection_id: str, expires_at: int) -> None:
        """A re-authenticated connection lives until its new token expires (only if it is still there)."""
        with storage_errors(self._table, "UpdateItem"):
            try:
                aws_client("dynamodb").update_item(
                    TableName=self._table,
                    Key={"connectionId": {"S": connection_id}},
                    UpdateExpression="SET expiresAt = :expires",
                    ConditionExpression="attribute_exists(connectionId)",
                    ExpressionAttributeValues={":expires": {"N": str(expires_at)}},
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise

    def for_contact(
        self, contact_id: str, now: float, expired: list[PanelConnection] | None = None
    ) -> list[PanelConnection]:
        """Open connections of a contact; expired ones (TTL deletes lazily) are left out, and
        collected in `expired` when given (so the caller can close them)."""
        request = {
            "TableName": self._table,
            "IndexName": CONTACT_INDEX,
            "KeyConditionExpression": "contactId = :contact",
            "ExpressionAttributeValues": {":contact": {"S": contact_id}},
        }
        found: list[PanelConnection] = []
        while True:
            with storage_errors(self._table, "Query"):
                page = aws_client("dynamodb").query(**request)
            for item in page.get("Items", []):
                expires_at = int(item.get("expiresAt", {}).get("N", "0"))
                connection = PanelConnection(
                    connection_id=item["connectionId"]["S"],
                    contact_id=contact_id,
                    agent_id=item.get("agentId", {}).get("S", ""),
                    expires_at=expires_at,
                )
                if expires_at > now:
                    found.append(connection)
                elif expired is not None:
                    expired.append(connection)
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
