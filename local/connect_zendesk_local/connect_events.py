"""Connect contact-flow events for the demo, tests and benchmarks, built from one documented shape."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from connect_zendesk_local.cfn_template import PROJECT_ROOT

EVENTS_DIR = PROJECT_ROOT / "events"


def load_event(relative: str) -> Any:
    return json.loads((EVENTS_DIR / relative).read_text(encoding="utf-8"))


def contact_flow_event(
    address: str | None,
    *,
    contact_id: str | None = None,
    language: str = "en-US",
    channel: str = "VOICE",
    parameters: dict[str, str] | None = None,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The known-caller sample with the caller, contact and language swapped in."""
    event: dict[str, Any] = copy.deepcopy(load_event("caller_lookup/known_caller.json"))
    data = event["Details"]["ContactData"]
    contact_id = contact_id or str(uuid.uuid4())
    data.update(ContactId=contact_id, InitialContactId=contact_id, PreviousContactId=contact_id)
    data.update(LanguageCode=language, Channel=channel, Attributes=attributes or {})
    data["CustomerEndpoint"] = None if address is None else {"Address": address, "Type": "TELEPHONE_NUMBER"}
    event["Details"]["Parameters"] = parameters or {}
    return event


def disconnected_event(
    contact_id: str,
    *,
    started: datetime,
    ended: datetime,
    agent: bool = True,
    instance_arn: str = "",
    enqueued: datetime | None = None,
    agent_connected: datetime | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """(detail, resources) of a DISCONNECTED contact event: the after-agent sample with this contact's
    id and times (queued 70 s and answered 90 s after the start unless given). Without `agent` the
    agent (and queue) info are dropped, as for a self-service call."""
    record = load_event("post_call_update/disconnected_after_agent.json")["Records"][0]
    envelope = json.loads(record["body"])
    detail: dict[str, Any] = envelope["detail"]
    instance_arn = instance_arn or detail["instanceArn"]
    detail.update(
        contactId=contact_id,
        initialContactId=contact_id,
        instanceArn=instance_arn,
        initiationTimestamp=_stamp(started),
        connectedToSystemTimestamp=_stamp(started + timedelta(seconds=1)),
        disconnectTimestamp=_stamp(ended),
    )
    if agent:
        answered = agent_connected or started + timedelta(seconds=90)
        detail["agentInfo"]["connectedToAgentTimestamp"] = _stamp(answered)
        detail["queueInfo"]["enqueueTimestamp"] = _stamp(enqueued or started + timedelta(seconds=70))
    else:
        detail.pop("agentInfo")
        detail.pop("queueInfo")
    return detail, [instance_arn, f"{instance_arn}/contact/{contact_id}"]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


FLOW_INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/4e7f2c1a-9b3d-4f6e-8a2b-1c5d7e9f0a3b"


def described_contact(
    contact_id: str,
    *,
    started: datetime,
    ended: datetime | None,
    agent: bool = True,
    instance_arn: str = FLOW_INSTANCE_ARN,
    channel: str = "VOICE",
) -> tuple[str, dict[str, Any]]:
    """(instance id, DescribeContact `Contact`) of the call `disconnected_event` describes, for the
    Connect emulator; `ended` None is a live contact. The instance is the flow events' by default,
    the one the flow functions record on the contact."""
    contact: dict[str, Any] = {
        "Arn": f"{instance_arn}/contact/{contact_id}",
        "Id": contact_id,
        "InitialContactId": contact_id,
        "InitiationMethod": "INBOUND",
        "Channel": channel,
        "InitiationTimestamp": started,
        "ConnectedToSystemTimestamp": started + timedelta(seconds=1),
        "LastUpdateTimestamp": ended or started,
    }
    if ended is not None:
        contact["DisconnectTimestamp"] = ended
    if agent:
        contact["QueueInfo"] = {
            "Id": "5c5b7e2a-0000-4000-8000-000000000001",
            "EnqueueTimestamp": started + timedelta(seconds=70),
        }
        contact["AgentInfo"] = {
            "Id": "9a1c0e7b-0000-4000-8000-000000000002",
            "ConnectedToAgentTimestamp": started + timedelta(seconds=90),
        }
    return instance_arn.rsplit("/", 1)[-1], contact
