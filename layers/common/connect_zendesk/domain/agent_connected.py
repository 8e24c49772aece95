"""At connect time: the contact's ticket, assigned to the agent, the contact id on it, popped open.

A CONNECTED_TO_AGENT contact event reaches this step through EventBridge and SQS (at least once,
possibly late or twice). For one contact leg the step
1. maps the Connect agent to their Zendesk agent (DescribeUser -> email -> Zendesk user search),
   cached in the Cache table, negative answers shorter;
2. picks the ticket: one a previous leg of the same conversation recorded (transfers pop the same
   ticket), the one chosen in the IVR or by the bot, the handoff ticket; otherwise a new ticket
   (`via` voice, one per conversation through its external id) for the caller's Zendesk user, or for
   an end-user created once per contact for an unknown number;
3. assigns it, writes the contact id to the configured ticket field and a tag (one request);
4. pops it (or the caller's profile) in the agent's browser with the Talk Partner Edition display
   API; a refusal (agent not signed in to Talk, no Talk Partner Edition, 403/404) is logged and
   counted, never retried;
5. records ticket and agent on the Contacts item (`agentLeg`), which post_call_update then prefers.
At most 4 Zendesk requests a leg (end-user, ticket, agent search, display), 2 for a chosen ticket
with the agent mapping cached. A leg recorded DONE is not done again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import phonenumbers
from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices
from connect_zendesk.connect.contact_event import ContactEvent, InvalidContactEvent, parse_contact_event
from connect_zendesk.domain.agent_connected_ports import ConnectedTicket, NewConnectedTicket
from connect_zendesk.domain.call_record import ContactRecord, iso
from connect_zendesk.errors import (
    InvalidInput,
    ZendeskAuthFailed,
    ZendeskNotFound,
    ZendeskRejected,
)
from connect_zendesk.observability import logger, metrics
from connect_zendesk.phone import CallerNumber, normalise
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage

HANDLED_EVENT = "CONNECTED_TO_AGENT"
HANDLED_CHANNELS = frozenset({"VOICE", ""})
AGENT_CACHE_PREFIX = "connect-agent:"
DONE = "DONE"


def process_agent_connected_message(message: QueueMessage, services: CallServices) -> str:
    """The agent_connected step for one SQS message; returns what happened, for the log."""
    try:
        event = parse_contact_event(message.json())
    except (InvalidContactEvent, InvalidMessage) as exc:
        metrics.add_metric(name="InvalidContactEvent", unit=MetricUnit.Count, value=1)
        raise InvalidMessage(str(exc)) from None
    if event.event_type != HANDLED_EVENT or event.channel not in HANDLED_CHANNELS:
        metrics.add_metric(name="ContactEventIgnored", unit=MetricUnit.Count, value=1)
        return f"ignored {event.event_type or 'untyped'} {event.channel} event".replace("  ", " ")
    if not event.contact_id or not event.agent_id:
        metrics.add_metric(name="InvalidContactEvent", unit=MetricUnit.Count, value=1)
        raise InvalidMessage("CONNECTED_TO_AGENT event without a usable contactId or agentArn")
    expected = services.settings.agent_connected.connect_instance_id
    if expected and _instance_id(event) and _instance_id(event) != expected:
        metrics.add_metric(name="ContactEventIgnored", unit=MetricUnit.Count, value=1)
        return "ignored: another Connect instance"
    logger.append_keys(contact_id=event.contact_id)
    item = services.call_records.get(event.contact_id) or {}
    leg = item.get("agentLeg")
    if isinstance(leg, Mapping) and leg.get("status") == DONE and leg.get("connectAgentId") == event.agent_id:
        metrics.add_metric(name="AgentConnectedDuplicate", unit=MetricUnit.Count, value=1)
        return f"duplicate: leg already done (ticket {leg.get('ticketId')})"
    return connect_leg(event, item, services)


def connect_leg(event: ContactEvent, item: Mapping[str, Any], services: CallServices) -> str:
    contact = ContactRecord.from_item(event.contact_id, item)
    conversation = _conversation_items(event, services)
    agent_id = zendesk_agent_for(_instance_id(event), event.agent_id, services)
    if agent_id is None:
        metrics.add_metric(name="AgentWithoutZendeskAccount", unit=MetricUnit.Count, value=1)
        logger.warning("Connect agent has no Zendesk agent: ticket not assigned, nothing popped")
        _record(services, event, {"status": DONE, "result": "NoZendeskAgent"})
        return "no Zendesk agent for this Connect agent"
    settings = services.settings.agent_connected
    fields = ConnectedTicket(
        assignee_id=agent_id,
        tags=[settings.contact_tag_prefix + event.contact_id.lower()] if settings.contact_tag_prefix else [],
        custom_fields={settings.contact_id_field_id: event.contact_id}
        if settings.contact_id_field_id
        else {},
    )
    link = item.get("outboundLink")
    dialled_from = _positive(link.get("ticketId")) if isinstance(link, Mapping) else None
    ticket_id, requester_id, created_user = _assign(
        event, contact, conversation, fields, services, dialled_from=dialled_from
    )
    if ticket_id is None:
        _record(services, event, {"status": DONE, "result": "NoRequester", "zendeskAgentId": agent_id})
        return "no ticket: unknown caller and no end-user may be created"
    popped = _pop(agent_id, ticket_id, requester_id, services)
    leg: dict[str, Any] = {
        "status": DONE,
        "ticketId": ticket_id,
        "zendeskAgentId": agent_id,
        "popped": popped,
        "at": iso(services.now()),
    }
    if created_user is not None:
        leg["createdUserId"] = created_user
    if requester_id is not None:
        leg["requesterId"] = requester_id
    _record(services, event, leg)
    metrics.add_metric(name="AgentConnectedTicketAssigned", unit=MetricUnit.Count, value=1)
    logger.info(
        "ticket assigned at connect time",
        extra={"ticket_id": ticket_id, "zendesk_agent_id": agent_id, "popped": popped},
    )
    return f"ticket {ticket_id} assigned to agent {agent_id}, pop {popped}"


def zendesk_agent_for(instance_id: str, connect_agent_id: str, services: CallServices) -> int | None:
    """Connect agent -> Zendesk agent id, through the Cache table (a miss costs one Zendesk search)."""
    settings = services.settings.agent_connected
    key = f"{AGENT_CACHE_PREFIX}{instance_id}:{connect_agent_id}"
    cached = services.cache.get(key)
    if isinstance(cached, dict) and "zendeskAgentId" in cached:
        value = cached["zendeskAgentId"]
        return value if isinstance(value, int) and value > 0 else None
    user = services.connect_agents.describe(instance_id, connect_agent_id)
    email = ""
    if user is not None:
        # SAML users may have no IdentityInfo.Email; their username is often the address.
        email = user.email or (user.username if "@" in user.username else "")
    agent_id: int | None = None
    if email:
        try:
            agent_id = services.agent_desk.agent_id_by_email(email.strip())
        except InvalidInput:
            agent_id = None
    ttl = settings.agent_cache_seconds if agent_id else settings.agent_not_found_cache_seconds
    services.cache.put(key, {"zendeskAgentId": agent_id}, ttl)
    return agent_id


def _assign(
    event: ContactEvent,
    contact: ContactRecord,
    conversation: list[Mapping[str, Any]],
    fields: ConnectedTicket,
    services: CallServices,
    *,
    dialled_from: int | None = None,
) -> tuple[int | None, int | None, int | None]:
    """(ticket id, requester id, id of an end-user created for this contact)."""
    # An agent-dialled contact: the ticket it was dialled from (POST /outbound-link) comes first.
    chosen = dialled_from or _chosen_ticket(contact, conversation)
    requester = contact.zendesk_user_id or _first_int(conversation, "zendeskUserId")
    if chosen is not None:
        try:
            services.agent_desk.update_connected_ticket(chosen, fields)
        except (ZendeskNotFound, ZendeskRejected) as exc:
            # Closed or deleted: the call gets a new ticket instead.
            logger.warning("chosen ticket cannot be assigned: creating one", extra={"reason": str(exc)})
        else:
            return chosen, requester, None
    created: int | None = None
    if requester is None:
        requester, created = _new_end_user(event, contact, conversation, services)
        if requester is None:
            return None, None, None
    ticket_id = services.agent_desk.create_connected_ticket(
        NewConnectedTicket(
            requester_id=requester,
            subject=_subject(event),
            note=f"Call connected to an agent (Amazon Connect contact {event.contact_id}).",
            external_id=f"connect-contact:{event.conversation_id}",
            ticket=fields,
        )
    )
    metrics.add_metric(name="AgentConnectedTicketCreated", unit=MetricUnit.Count, value=1)
    return ticket_id, requester, created


def _chosen_ticket(contact: ContactRecord, conversation: list[Mapping[str, Any]]) -> int | None:
    """A ticket an earlier leg assigned, else the one chosen in the IVR or by the bot, else the handoff's."""
    for item in conversation:
        leg = item.get("agentLeg")
        if isinstance(leg, Mapping) and _positive(leg.get("ticketId")):
            return _positive(leg.get("ticketId"))
    if contact.selected_ticket_id:
        return contact.selected_ticket_id
    if contact.handoff and contact.handoff.ticket_id:
        return contact.handoff.ticket_id
    return _first_int(conversation, "selectedTicketId")


def _new_end_user(
    event: ContactEvent,
    contact: ContactRecord,
    conversation: list[Mapping[str, Any]],
    services: CallServices,
) -> tuple[int | None, int | None]:
    # Once per contact: an earlier attempt that crashed after creating the user recorded it first.
    leg = (services.call_records.get(event.contact_id) or {}).get("agentLeg")
    created = _positive(leg.get("createdUserId")) if isinstance(leg, Mapping) else None
    if created is not None:
        return created, created
    settings = services.settings
    caller = contact.caller_e164 or next(
        (str(i["callerE164"]) for i in conversation if i.get("callerE164")), ""
    )
    number = normalise(caller, settings.default_phone_region) if caller else None
    if not isinstance(number, CallerNumber) or not settings.post_call.create_unknown_callers:
        return None, None
    user_id = services.agent_desk.create_end_user(_caller_name(number), number.e164)
    _record(services, event, {"status": "CREATING", "createdUserId": user_id})
    metrics.add_metric(name="AgentConnectedEndUserCreated", unit=MetricUnit.Count, value=1)
    return user_id, user_id


def _pop(agent_id: int, ticket_id: int, requester_id: int | None, services: CallServices) -> str:
    target = services.settings.agent_connected.screen_pop
    if target == "off":
        return "off"
    try:
        if target == "user" and requester_id is not None:
            services.agent_desk.display_user(agent_id, requester_id)
        else:
            services.agent_desk.display_ticket(agent_id, ticket_id)
    except (ZendeskNotFound, ZendeskRejected, ZendeskAuthFailed) as exc:
        # Not signed in to Talk, no Talk Partner Edition, or a stale id: the call goes on unpopped.
        logger.warning("screen pop refused", extra={"reason": str(exc)})
        metrics.add_metric(name="ScreenPopFailed", unit=MetricUnit.Count, value=1)
        return "refused"
    metrics.add_metric(name="ScreenPopDelivered", unit=MetricUnit.Count, value=1)
    return "delivered"


def _conversation_items(event: ContactEvent, services: CallServices) -> list[Mapping[str, Any]]:
    """The Contacts items of the previous and the initial leg (transfers), when they are other contacts."""
    ids = [i for i in dict.fromkeys((event.previous_contact_id, event.initial_contact_id)) if i]
    items = [services.call_records.get(i) for i in ids if i != event.contact_id]
    return [item for item in items if item]


def _record(services: CallServices, event: ContactEvent, leg: dict[str, Any]) -> None:
    ids = {"connectAgentId": event.agent_id, "initialContactId": event.conversation_id}
    leg = {**ids, "instanceId": _instance_id(event), **leg}
    services.call_records.record_agent_leg(event.contact_id, leg)


def _instance_id(event: ContactEvent) -> str:
    # instanceArn is arn:aws:connect:<region>:<account>:instance/<id> (":instance/", not "/instance/")
    if "instance/" in event.instance_arn:
        return event.instance_arn.rsplit("instance/", 1)[1].split("/", 1)[0]
    return event.instance_id


def _first_int(items: list[Mapping[str, Any]], key: str) -> int | None:
    return next((v for v in (_positive(i.get(key)) for i in items) if v), None)


def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _subject(event: ContactEvent) -> str:
    when: datetime | None = event.connected_to_agent_at or event.initiated_at or event.event_time
    return f"Call on {when.strftime('%Y-%m-%d %H:%M UTC')}" if when else "Call"


def _caller_name(number: CallerNumber) -> str:
    parsed = phonenumbers.parse(number.e164)
    return f"Caller {phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}"
