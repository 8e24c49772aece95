"""One bot turn from start to finish: read the contact, run the intent, record the turn.

A failure inside an intent never reaches Lex: Zendesk or AWS being unavailable (or rate-limited) and
any bug end in an apology and a handoff to an agent. Every turn - caller input, bot reply, intent and
slots - is appended to the contact's bounded conversation log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.domain.best_effort import record_best_effort
from connect_zendesk.domain.models import BotTurnRecord, ConversationEntry
from connect_zendesk.domain.self_service import callbacks, handoff, orders, tickets
from connect_zendesk.domain.self_service.turn import Turn
from connect_zendesk.errors import (
    ServiceError,
    StorageError,
    ZendeskRateLimited,
    ZendeskTimeout,
    ZendeskUnavailable,
)
from connect_zendesk.lex.event import LexRequest
from connect_zendesk.lex.intents import IntentName
from connect_zendesk.lex.response import DialogAction, LexReply
from connect_zendesk.observability import logger, metrics
from connect_zendesk.services import Services

Handler = Callable[[Turn], LexReply]

HANDLERS: dict[IntentName, Handler] = {
    IntentName.CHECK_TICKET_STATUS: tickets.check_ticket_status,
    IntentName.CONFIRM_OPEN_TICKET: tickets.confirm_open_ticket,
    IntentName.CREATE_TICKET: tickets.create_ticket,
    IntentName.SCHEDULE_CALLBACK: callbacks.schedule_callback,
    IntentName.CHECK_CALLBACK: callbacks.check_callback,
    IntentName.CANCEL_CALLBACK: callbacks.cancel_callback,
    IntentName.ORDER_STATUS: orders.order_status,
    IntentName.CHANGE_SHIPPING_DATE: orders.change_shipping_date,
    IntentName.CANCEL_ORDER: orders.cancel_order,
    IntentName.SPEAK_TO_AGENT: handoff.speak_to_agent,
    IntentName.END_CONVERSATION: lambda turn: turn.close(
        turn.say("bot.goodbye"), attributes={"handoff": "false"}
    ),
    IntentName.FALLBACK: handoff.fallback,
}
_BUSY = (ZendeskRateLimited, ZendeskTimeout, ZendeskUnavailable, StorageError)


# What a turn reads of the contact: everything but the conversation log, the bulk of the item.
RECORD_ATTRIBUTES = (
    "callerE164",
    "zendeskUserId",
    "offeredTicketIds",
    "selectedTicketId",
    "handoff",
    "conversationTurns",
    "channel",  # with disconnectedAt: whether this turn may act as the contact's caller (Turn)
    "disconnectedAt",
)


def handle_turn(request: LexRequest, services: Services) -> LexReply:
    turn = Turn(request, services, _contact_record(request, services))
    reply = _answer(turn)
    if _remember(turn, reply) and request.originating_request_id:
        # The fulfillment call for this same input must not log the caller's words again.
        reply = reply.with_attributes(loggedRequestId=request.originating_request_id)
    return reply


def _answer(turn: Turn) -> LexReply:
    try:
        handler = HANDLERS.get(IntentName(turn.request.intent_name)) if _known(turn) else None
        if handler is None:
            logger.info("no handler for this intent", extra={"intent": turn.request.intent_name})
            return turn.ask_intent(turn.say("bot.fallback"), turn.say("bot.help"))
        return handler(turn)
    except _BUSY as exc:
        # Rate limited, slow or down: never sleep on it while the caller waits; hand over instead.
        logger.warning("intent failed: a backend is unavailable", extra={"error_type": exc.error_type})
        return handoff.failure_handoff(turn, "bot.handoff.busy")
    except ServiceError as exc:
        logger.warning("intent failed", extra={"error_type": exc.error_type})
        return handoff.failure_handoff(turn, "bot.handoff.error")
    except Exception:  # noqa: BLE001 - a bug must still end in a polite handoff, never a Lex error
        logger.exception("intent failed unexpectedly")
        return handoff.failure_handoff(turn, "bot.handoff.error")


def _known(turn: Turn) -> bool:
    return turn.request.intent_name in {name.value for name in IntentName}


def _contact_record(request: LexRequest, services: Services) -> dict[str, Any]:
    if not request.contact_id:
        return {}
    try:
        return services.contacts.get(request.contact_id, RECORD_ATTRIBUTES) or {}
    except StorageError as exc:
        logger.warning("contact record unavailable, continuing without it", extra={"reason": str(exc)})
        return {}


def _remember(turn: Turn, reply: LexReply) -> bool:
    """Append the caller's input and the bot's reply to the conversation, with the turn's outcome.

    A `Delegate` says nothing and Lex calls the fulfillment hook next for the same input: that call
    logs the input with the answer, so one input costs one write. True when the input was logged.
    """
    outcome = turn.outcome
    if outcome.fulfilled_intent:
        metrics.add_metric(name="BotIntentFulfilled", unit=MetricUnit.Count, value=1)
    if not turn.contact_id:
        return False
    changed = outcome.handoff or outcome.selected_ticket_id or outcome.zendesk_user_id
    if reply.action is DialogAction.DELEGATE and not changed:
        return False
    caller = turn.caller_entry()
    entries = [e for e in (caller, _bot_entry(turn, reply)) if e is not None]
    if not entries and not changed:
        return False
    record = BotTurnRecord(
        entries=tuple(entries),
        seen_turns=int(turn.record.get("conversationTurns") or 0),
        caller_e164="",  # the caller's number is caller_lookup's to record, from the telephone endpoint
        zendesk_user_id=outcome.zendesk_user_id,
        selected_ticket_id=outcome.selected_ticket_id,
        fulfilled_intent=outcome.fulfilled_intent,
        handoff=outcome.handoff,
    )
    written: list[bool] = []

    def write() -> None:
        turn.services.contacts.record_bot_turn(turn.contact_id, record)
        written.append(True)

    record_best_effort("bot turn", write)
    return bool(written) and caller is not None


def _bot_entry(turn: Turn, reply: LexReply) -> ConversationEntry | None:
    if not reply.messages:
        return None
    return ConversationEntry(
        at=turn.timestamp(),
        role="bot",
        text=reply.text,
        intent=reply.intent_name or turn.request.intent_name,
        slots=(("dialogAction", reply.action.value),),
    )
