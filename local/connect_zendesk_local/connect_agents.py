"""The local stack's Connect agent: the agent of the sample contact events, mapped by email to the
Zendesk emulator's agent user (the one the local Zendesk app signs its requests as)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_zendesk.adapters.dynamo import from_item

from connect_zendesk_local.connect_emulator import ConnectEmulator
from connect_zendesk_local.connect_emulator.users import put_user
from connect_zendesk_local.connect_events import load_event


def sample_agent_arn() -> str:
    body = json.loads(load_event("post_call_update/disconnected_after_agent.json")["Records"][0]["body"])
    return str(body["detail"]["agentInfo"]["agentArn"])


DEMO_AGENT_EMAIL = "alex.agent@example.com"  # Alex, agent 22450000000102 in the Zendesk demo dataset


def seed_demo_agent(emulator: ConnectEmulator, zendesk_agent_email: str = DEMO_AGENT_EMAIL) -> None:
    instance_id = sample_agent_arn().split("instance/", 1)[1].split("/", 1)[0]
    agent_id = sample_agent_arn().rsplit("/agent/", 1)[1]
    put_user(emulator, instance_id, agent_id, username="alex", email=zendesk_agent_email)


def answer_call(stack: Any, contact_id: str, **links: str) -> dict[str, Any]:
    """The sample agent answers: CONNECTED_TO_AGENT -> EventBridge -> SQS -> agent_connected (drained).
    Returns the contact's `agentLeg`."""
    detail, resources = connected_to_agent_event(contact_id, answered=datetime.now(UTC), **links)
    stack.put_contact_event(detail, resources)
    stack.sqs_poller("agent_connected").drain()
    item = stack.client("dynamodb").get_item(
        TableName=stack.template.physical["ContactsTable"].ref,
        Key={"contactId": {"S": contact_id}},
        ConsistentRead=True,
    )
    leg = from_item(item.get("Item") or {}).get("agentLeg")
    return dict(leg) if isinstance(leg, dict) else {}


def connected_to_agent_event(
    contact_id: str, *, answered: datetime, initial_contact_id: str = "", previous_contact_id: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """(detail, resources) of a CONNECTED_TO_AGENT contact event for the sample agent."""
    agent_arn = sample_agent_arn()
    instance_arn = agent_arn.split("/agent/", 1)[0]
    detail: dict[str, Any] = {
        "eventType": "CONNECTED_TO_AGENT",
        "contactId": contact_id,
        "initialContactId": initial_contact_id or contact_id,
        "channel": "VOICE",
        "instanceArn": instance_arn,
        "initiationMethod": "TRANSFER" if previous_contact_id else "INBOUND",
        "initiationTimestamp": _stamp(answered - timedelta(seconds=90)),
        "agentInfo": {"agentArn": agent_arn, "connectedToAgentTimestamp": _stamp(answered)},
        "queueInfo": {"queueArn": f"{instance_arn}/queue/5c5b7e2a-0000-4000-8000-000000000001"},
    }
    if previous_contact_id:
        detail["previousContactId"] = previous_contact_id
    return detail, [instance_arn, f"{instance_arn}/contact/{contact_id}"]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
