"""The Contacts table as the after-call steps use it: read the whole contact, write their own attributes.

Like every writer of the table, these methods only SET their own attributes (docs/data-model.md):
`initialContactId`, `disconnectedAt`, `agentConnected`, `outcome`, `postCall` (post_call_update),
`agentLeg` (agent_connected) and `resolution` (resolution_metering).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.contacts_table import PENDING_POST_CALL, DynamoContactLog
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.call_record import PostCallState, iso

BY_CALLER_INDEX = "ByCaller"
FINAL_POST_CALL_STATES = frozenset({"DONE", "SKIPPED", "FAILED"})
MAX_CALLER_CONTACTS = 500  # a caller's contacts inside one window; more is abuse, not service


class DynamoCallRecords(DynamoContactLog):
    def get(
        self, contact_id: str, attributes: Sequence[str] = (), *, consistent: bool = True
    ) -> dict[str, Any] | None:
        """Strongly consistent by default: the call's last writes happened seconds ago."""
        return super().get(contact_id, attributes, consistent=consistent)

    def record_call_end(
        self,
        contact_id: str,
        *,
        initial_contact_id: str,
        disconnected_at: datetime | None,
        agent_connected: bool,
        outcome: str,
    ) -> None:
        values: dict[str, Any] = {"initialContactId": initial_contact_id, "outcome": outcome}
        if disconnected_at is not None:
            values["disconnectedAt"] = iso(disconnected_at)
        if agent_connected:
            # Only ever set to true: the agent panel may have recorded the agent first.
            values["agentConnected"] = True
        self._update(contact_id, values)

    def record_post_call(self, contact_id: str, state: PostCallState) -> None:
        # A final state takes the contact out of the reconciliation sweep's pending index.
        final = state.status in FINAL_POST_CALL_STATES
        self._update(
            contact_id, {"postCall": state.to_item()}, remove=tuple(PENDING_POST_CALL) if final else ()
        )

    def record_agent_leg(self, contact_id: str, leg: Mapping[str, Any]) -> None:
        """agent_connected's own attribute: the leg's ticket and Zendesk agent (docs/data-model.md)."""
        self._update(contact_id, {"agentLeg": dict(leg)})

    def record_desk_action(self, contact_id: str, attribute: str, value: Any) -> None:
        """The top bar's own attributes (`outboundLink`, `recordingPauses`), set by agent_actions."""
        if attribute not in ("outboundLink", "recordingPauses"):
            raise ValueError(f"not an agent-action attribute: {attribute}")
        self._update(contact_id, {attribute: value})

    def record_resolution(self, contact_id: str, resolution: Mapping[str, str]) -> bool:
        return conditional_update(
            self._table,
            Key={"contactId": {"S": contact_id}},
            UpdateExpression="SET #resolution = :resolution, #updatedAt = :now",
            ConditionExpression="attribute_exists(#contactId) AND attribute_not_exists(#resolution)",
            ExpressionAttributeNames={
                "#resolution": "resolution",
                "#updatedAt": "updatedAt",
                "#contactId": "contactId",
            },
            ExpressionAttributeValues=to_item(
                {":resolution": dict(resolution), ":now": _stamp(self._clock())}
            ),
        )

    def contacts_by_caller(self, caller_e164: str, after: datetime, until: datetime) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_CALLER_INDEX,
            "KeyConditionExpression": "#caller = :caller AND #createdAt BETWEEN :after AND :until",
            "ExpressionAttributeNames": {"#caller": "callerE164", "#createdAt": "createdAt"},
            "ExpressionAttributeValues": to_item(
                {
                    ":caller": caller_e164,
                    ":after": _stamp(after.timestamp()),
                    ":until": _stamp(until.timestamp()),
                }
            ),
        }
        lower = _stamp(after.timestamp())
        while len(found) < MAX_CALLER_CONTACTS:
            with storage_errors(self._table, "Query"):
                page = aws_client("dynamodb", "batch").query(**request)
            found += [
                item for item in map(from_item, page.get("Items", [])) if str(item.get("createdAt")) > lower
            ]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found


def conditional_update(table: str, **request: Any) -> bool:
    """UpdateItem with a ConditionExpression; False (not an error) when the condition does not hold."""
    with storage_errors(table, "UpdateItem"):
        try:
            aws_client("dynamodb", "batch").update_item(TableName=table, **request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
    return True


def _stamp(epoch_seconds: float) -> str:
    """The Contacts table's timestamp format (createdAt, updatedAt): ISO-8601 UTC with milliseconds."""
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")
