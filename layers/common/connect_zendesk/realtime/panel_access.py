"""Who may open the side panel of a contact: the Zendesk agent agent_connected assigned it to, or a
member of a configured supervisor group.

The assignment is the Contacts item's `agentLeg.zendeskAgentId`, written when the agent answered
(agent_connected). Supervisor groups (PANEL_SUPERVISOR_GROUP_IDS) are checked against Zendesk's own
group memberships of the JWT's agent (`GET /api/v2/users/{id}/group_memberships.json`), not against
claims: the claims of a ZAF secure request are what the app puts in them, so only Zendesk can say
which groups that agent is in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors


class ContactAssignments:
    """Reads the Zendesk agent agent_connected recorded for a contact."""

    def __init__(self, table: str) -> None:
        self._table = table

    def assigned_agent(self, contact_id: str) -> str | None:
        with storage_errors(self._table, "GetItem"):
            item = (
                aws_client("dynamodb")
                .get_item(
                    TableName=self._table,
                    Key={"contactId": {"S": contact_id}},
                    ProjectionExpression="agentLeg",
                    ConsistentRead=True,  # the agent answered seconds ago
                )
                .get("Item")
            )
        leg = from_item(item).get("agentLeg") if item else None
        agent = leg.get("zendeskAgentId") if isinstance(leg, dict) else None
        return str(int(agent)) if agent is not None else None


class ZendeskGroupMemberships:
    def __init__(self, request: Callable[[str], dict[str, Any]]) -> None:
        self._request = request

    def group_ids(self, user_id: str) -> set[int]:
        if not (user_id.isascii() and user_id.isdigit()):
            return set()
        answer = self._request(f"users/{int(user_id)}/group_memberships.json")
        memberships = answer.get("group_memberships")
        if not isinstance(memberships, list):
            return set()
        return {
            int(m["group_id"])
            for m in memberships
            if isinstance(m, dict) and str(m.get("group_id")).isdigit()
        }


def may_open_panel(
    contact_id: str,
    agent_id: str,
    *,
    assigned_agent: Callable[[str], str | None],
    supervisor_groups: Sequence[int],
    group_ids: Callable[[str], set[int]],
) -> str:
    """Why the agent may open this contact's panel ("assigned", "supervisor"), or "" when not."""
    if assigned_agent(contact_id) == agent_id:
        return "assigned"
    if supervisor_groups and group_ids(agent_id) & set(supervisor_groups):
        return "supervisor"
    return ""
