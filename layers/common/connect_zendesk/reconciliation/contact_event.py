"""The DISCONNECTED event the EventBridge rule would have delivered, rebuilt from DescribeContact.

Same envelope (`version`, `id`, `detail-type`, `source`, `account`, `time`, `region`, `resources`)
and the detail keys post_call_update reads (connect_zendesk.connect.contact_event), plus the marker
`detail.reconciled = true`. The envelope's `id` is derived from the contact id, so every resend of
one contact carries the same id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from connect_zendesk.connect.contact_event import DETAIL_TYPE, SOURCE
from connect_zendesk.reconciliation.ports import ConnectContact

RECONCILED_KEY = "reconciled"
_EVENT_IDS = uuid.UUID("8d3c4a57-2f0e-4b8a-9a43-3c3ad4b1f020")  # namespace of reconciled event ids


def disconnected_event(contact: ConnectContact, instance_arn: str, *, now: datetime) -> dict[str, Any]:
    parts = instance_arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 5 else ("", "")
    detail: dict[str, Any] = {
        "eventType": "DISCONNECTED",
        "contactId": contact.contact_id,
        "initialContactId": contact.initial_contact_id or contact.contact_id,
        "channel": contact.channel,
        "instanceArn": instance_arn,
        "initiationMethod": contact.initiation_method,
        RECONCILED_KEY: True,
    }
    if contact.previous_contact_id:
        detail["previousContactId"] = contact.previous_contact_id
    for key, moment in (
        ("initiationTimestamp", contact.initiated_at),
        ("connectedToSystemTimestamp", contact.connected_to_system_at),
        ("disconnectTimestamp", contact.disconnected_at),
    ):
        if moment is not None:
            detail[key] = _stamp(moment)
    if contact.agent_id:
        agent: dict[str, Any] = {"agentArn": f"{instance_arn}/agent/{contact.agent_id}"}
        if contact.connected_to_agent_at is not None:
            agent["connectedToAgentTimestamp"] = _stamp(contact.connected_to_agent_at)
        detail["agentInfo"] = agent
    if contact.queue_id:
        queue: dict[str, Any] = {"queueArn": f"{instance_arn}/queue/{contact.queue_id}"}
        if contact.enqueued_at is not None:
            queue["enqueueTimestamp"] = _stamp(contact.enqueued_at)
        detail["queueInfo"] = queue
    if contact.tags:
        detail["tags"] = dict(contact.tags)
    return {
        "version": "0",
        "id": str(uuid.uuid5(_EVENT_IDS, contact.contact_id)),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": _stamp(now).replace(".000Z", "Z"),
        "region": region,
        "resources": [arn for arn in (contact.arn, instance_arn) if arn],
        "detail": detail,
    }


def is_reconciled(body: Any) -> bool:
    """Whether a post-call message body is one the sweep sent."""
    detail = body.get("detail") if isinstance(body, dict) else None
    return isinstance(detail, dict) and detail.get(RECONCILED_KEY) is True


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
