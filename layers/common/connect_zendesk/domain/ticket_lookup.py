"""Which ticket is the caller calling about: their open tickets, newest update first."""

from __future__ import annotations

import re

from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import FlowOutcome, LambdaResult
from connect_zendesk.domain.best_effort import record_best_effort
from connect_zendesk.domain.caller_lookup import IdentitySource, identify_and_remember
from connect_zendesk.domain.models import TicketSummary
from connect_zendesk.errors import InvalidInput, StorageError, ZendeskNotFound
from connect_zendesk.messages import Locale, locale_for, message
from connect_zendesk.observability import logger
from connect_zendesk.services import Services
from connect_zendesk.text import speakable, time_ago

CACHE_PREFIX = "tickets#"
OFFERED_TICKETS = 5
_USER_ID = re.compile(r"^[1-9]\d{0,18}$")


def lookup_tickets(request: FlowRequest, services: Services) -> FlowOutcome:
    user_id = _user_id(request, services)
    if isinstance(user_id, FlowOutcome):
        return user_id
    try:
        tickets = open_tickets(user_id, services)
    except ZendeskNotFound:
        logger.info("zendesk user no longer exists", extra={"zendesk_user_id": user_id})
        tickets = []
    offered = [t.id for t in tickets[:OFFERED_TICKETS]]
    _remember_offer(request, user_id, offered, services)
    locale = locale_for(request.value("language") or request.language_code)
    values: dict[str, str | int] = {
        "zendeskUserId": user_id,
        "openTicketCount": len(tickets),
        "identity": IdentitySource.ENDPOINT.value,
    }
    if not tickets:
        return FlowOutcome(
            LambdaResult.NOT_FOUND, {**values, "ticketPrompt": message(locale, "tickets.none")}
        )
    newest = tickets[0]
    subject = speakable(newest.subject, locale)
    return FlowOutcome(
        LambdaResult.SUCCESS,
        {
            **values,
            "ticketId": newest.id,
            "ticketSubject": subject,
            "ticketStatus": newest.status,
            "ticketIds": ",".join(str(i) for i in offered),
            "ticketPrompt": ticket_prompt(tickets, subject, locale, services),
        },
    )


def open_tickets(user_id: int, services: Services) -> list[TicketSummary]:
    cache_key = f"{CACHE_PREFIX}{user_id}"
    cached = services.cache.get(cache_key)
    if isinstance(cached, list):
        return [TicketSummary.from_cache(t) for t in cached]
    tickets = sorted(
        # The requester check is defensive: a caller must only ever hear about their own tickets.
        (t for t in services.zendesk.requested_tickets(user_id) if t.is_open and t.requester_id == user_id),
        key=lambda t: t.updated_at,
        reverse=True,
    )
    services.cache.put(
        cache_key, [t.to_cache() for t in tickets], services.settings.cache_ttls.tickets_seconds
    )
    return tickets


def ticket_prompt(tickets: list[TicketSummary], subject: str, locale: Locale, services: Services) -> str:
    newest = tickets[0]
    key = "tickets.one" if len(tickets) == 1 else "tickets.many"
    ago = time_ago(newest.updated_at, services.now(), locale)
    return message(locale, key, count=len(tickets), ticket_id=newest.id, subject=subject, ago=ago)


def _user_id(request: FlowRequest, services: Services) -> int | FlowOutcome:
    """The caller's user: the `zendeskUserId` the flow passes when it is the one caller_lookup recorded
    for this contact, else whoever the telephone endpoint identifies. A parameter or contact attribute
    alone names nobody: it may come from anywhere (a chat client sets contact attributes)."""
    raw = request.value("zendeskUserId")
    if raw and not _USER_ID.match(raw):
        raise InvalidInput("zendeskUserId must be a positive integer")
    claimed = int(raw) if raw else None
    if claimed is not None and claimed == _recorded_user(request, services):
        return claimed
    identity = identify_and_remember(request, services)
    if claimed is not None and (identity.user is None or identity.user.id != claimed):
        logger.warning(
            "zendeskUserId is not the caller's: ignored",
            extra={"zendesk_user_id": claimed, "caller_user_id": identity.user.id if identity.user else None},
        )
    if identity.user is None:
        reason = {"skipReason": identity.skip_reason} if identity.skip_reason else {}
        return FlowOutcome(
            identity.result, {**reason, "openTicketCount": 0, "identity": identity.source.value}
        )
    return identity.user.id


def _recorded_user(request: FlowRequest, services: Services) -> int | None:
    """The user caller_lookup recorded for this contact, or None (no contact id, no record, no table)."""
    if not request.contact_id:
        return None
    try:
        record = services.contacts.get(request.contact_id, ("zendeskUserId",))
    except StorageError as exc:
        logger.warning("contact record unreadable: identifying the caller again", extra={"reason": str(exc)})
        return None
    recorded = (record or {}).get("zendeskUserId")
    return int(recorded) if recorded is not None else None


def _remember_offer(request: FlowRequest, user_id: int, offered: list[int], services: Services) -> None:
    if not request.contact_id:
        return
    record_best_effort(
        "offered tickets",
        lambda: services.contacts.record_offered_tickets(
            request.contact_id, zendesk_user_id=user_id, ticket_ids=offered
        ),
    )
