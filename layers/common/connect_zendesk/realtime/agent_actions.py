"""Two actions the Zendesk top bar asks of the stack, signed like the panel's token request (the ZAF
secure-request JWT, verified by signed_tokens.verify_zendesk_jwt; no AWS credentials in the browser).

- `POST /outbound-link {"contactId", "ticketId"}`: the agent dialled out from a ticket; the ticket is
  recorded on the contact (`outboundLink`) so agent_connected and post_call_update use it. Only for
  the contact's agent (agentLeg, else Connect DescribeContact's agent mapped to Zendesk) and a ticket
  that agent may act on (unassigned, assigned to them, or in one of their groups).
- `POST /recording {"contactId", "action": "suspend"|"resume"}`: Connect SuspendContactRecording /
  ResumeContactRecording, only for the agent agent_connected recorded on the contact; each pause and
  resume is appended to the contact's `recordingPauses` (the post-call note says when).
Answers: 200 `{"contactId", ...}`; 400 bad body; 401 bad JWT; 403 not this agent's contact or
ticket; 503 Connect, Zendesk or DynamoDB unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.adapters.connect_users import ConnectContactControl
from connect_zendesk.call_services import call_services_for
from connect_zendesk.domain.agent_connected import zendesk_agent_for
from connect_zendesk.errors import ServiceError, ZendeskNotFound
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.panel_token import _request_body, http_response
from connect_zendesk.realtime.signed_tokens import (
    CONTACT_ID,
    TokenRejected,
    ZendeskClaims,
    bearer_token,
    verify_zendesk_jwt,
)
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.untrusted import UntrustedInput

RECORDING_ACTIONS = ("suspend", "resume")


def handle_agent_action(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    path = str(event.get("rawPath") or "").rstrip("/")
    try:
        body = _request_body(event)
    except UntrustedInput:
        return http_response(400, {"message": "Body must be a JSON object"})
    try:
        claims = verify_zendesk_jwt(
            bearer_token(event.get("headers")),
            services.zendesk_app_secret(),
            issuer=services.settings.zendesk_app_issuer,
            now=services.clock(),
        )
    except TokenRejected as exc:
        logger.warning("agent action refused", extra={"reason": str(exc)})
        metrics.add_metric(name="AgentActionRefused", unit=MetricUnit.Count, value=1)
        return http_response(401, {"message": "Unauthorized"})
    contact_id = body.get("contactId")
    if not isinstance(contact_id, str) or not CONTACT_ID.match(contact_id) or contact_id != claims.contact_id:
        return http_response(400, {"message": "contactId must be the signed contact_id"})
    action = _outbound_link if path.endswith("/outbound-link") else _recording
    try:
        return action(claims, body, services)
    except ServiceError as exc:
        logger.warning("agent action failed", extra={"reason": str(exc)})
        return http_response(503, {"message": "Try again"})


def _outbound_link(
    claims: ZendeskClaims, body: Mapping[str, Any], services: RealtimeServices
) -> dict[str, Any]:
    ticket_id = _ticket_id(body.get("ticketId"))
    if ticket_id is None:
        return http_response(400, {"message": "ticketId must be a Zendesk ticket id"})
    calls = call_services_for(services.settings)
    if _contact_agent(claims.contact_id, services) != claims.agent_id:
        return _forbidden("not the contact's agent")
    if not _may_act_on(ticket_id, claims.agent_id, services):
        return _forbidden("ticket not this agent's")
    link = {"ticketId": ticket_id, "zendeskAgentId": int(claims.agent_id), "at": _now(services)}
    calls.call_records.record_desk_action(claims.contact_id, "outboundLink", link)
    metrics.add_metric(name="OutboundLinked", unit=MetricUnit.Count, value=1)
    return http_response(200, {"contactId": claims.contact_id, "ticketId": ticket_id})


def _recording(claims: ZendeskClaims, body: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    action = body.get("action")
    if action not in RECORDING_ACTIONS:
        return http_response(400, {"message": "action must be suspend or resume"})
    calls = call_services_for(services.settings)
    item = calls.call_records.get(claims.contact_id) or {}
    found = item.get("agentLeg")
    leg: dict[str, Any] = found if isinstance(found, dict) else {}
    if str(leg.get("zendeskAgentId", "")) != claims.agent_id:
        return _forbidden("not the contact's agent")
    instance_id = services.settings.agent_connected.connect_instance_id or str(leg.get("instanceId", ""))
    initial = str(leg.get("initialContactId") or claims.contact_id)
    ConnectContactControl().recording(str(action), instance_id, claims.contact_id, initial)
    entry = {"action": action, "at": _now(services), "zendeskAgentId": int(claims.agent_id)}
    pauses = [*(item.get("recordingPauses") or []), entry][-50:]  # bounded: a card number is a few pauses
    calls.call_records.record_desk_action(claims.contact_id, "recordingPauses", pauses)
    metrics.add_metric(
        name="RecordingPaused" if action == "suspend" else "RecordingResumed", unit=MetricUnit.Count, value=1
    )
    return http_response(
        200, {"contactId": claims.contact_id, "recording": "paused" if action == "suspend" else "recording"}
    )


def _ticket_id(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _may_act_on(ticket_id: int, agent_id: str, services: RealtimeServices) -> bool:
    """Unassigned and ungrouped, assigned to the agent, or unassigned in one of the agent's groups."""
    try:
        assignee, group = call_services_for(services.settings).agent_desk.ticket_assignment(ticket_id)
    except ZendeskNotFound:
        return False
    if assignee is not None:
        return str(assignee) == agent_id
    return group is None or group in services.supervisor_group_ids(agent_id)


def _contact_agent(contact_id: str, services: RealtimeServices) -> str:
    """The contact's Zendesk agent: what agent_connected recorded, else Connect's agent, mapped."""
    calls = call_services_for(services.settings)
    item = calls.call_records.get(contact_id) or {}
    leg = item.get("agentLeg")
    if isinstance(leg, dict) and leg.get("zendeskAgentId") is not None:
        return str(int(leg["zendeskAgentId"]))
    instance_id = services.settings.agent_connected.connect_instance_id
    connect_agent, _ = ConnectContactControl().contact_agent(instance_id, contact_id)
    mapped = zendesk_agent_for(instance_id, connect_agent, calls) if connect_agent else None
    return str(mapped) if mapped else ""


def _forbidden(reason: str) -> dict[str, Any]:
    logger.warning("agent action refused", extra={"reason": reason})
    metrics.add_metric(name="AgentActionRefused", unit=MetricUnit.Count, value=1)
    return http_response(403, {"message": "Forbidden"})


def _now(services: RealtimeServices) -> str:
    return datetime.fromtimestamp(services.clock(), UTC).isoformat(timespec="seconds")
