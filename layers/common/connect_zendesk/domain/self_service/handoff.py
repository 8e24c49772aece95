"""Handing the caller to an agent: SpeakToAgent, repeated fallbacks, and failures.

A handoff closes the bot with `handoff=true` for the contact flow and, where Zendesk can be reached,
puts the whole timestamped conversation on the caller's ticket (the one this call is about, else a
new one) so the agent starts with context. If Zendesk cannot be written now, the conversation is
still in the Contacts record and the handoff is marked `noteStatus: PENDING` for the post-call step.
A handoff note whose write timed out may still land late: every handoff writes its note as a safe
update after looking for the contact's marker, and a new ticket carries
the contact's external id as Idempotency-Key, so either way the ticket gets one handoff note.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.domain.models import ConversationEntry, NewTicket
from connect_zendesk.domain.self_service import zendesk_writes
from connect_zendesk.domain.self_service.turn import Turn
from connect_zendesk.errors import ZendeskError
from connect_zendesk.lex.code_hook import failure_reply
from connect_zendesk.lex.event import InvocationSource
from connect_zendesk.lex.intents import SlotName
from connect_zendesk.lex.response import LexReply
from connect_zendesk.observability import logger, metrics

WRITTEN, PENDING, NO_REQUESTER = "WRITTEN", "PENDING", "NO_REQUESTER"


def speak_to_agent(turn: Turn) -> LexReply:
    if turn.request.invocation_source is InvocationSource.DIALOG:
        unknown_on_chat = not turn.voice and turn.user_id() is None
        if unknown_on_chat and not zendesk_writes.valid_email(turn.slot_text(SlotName.EMAIL)):
            asked = zendesk_writes.ask_email(turn)
            if asked is not None:
                return asked
        return turn.ready()
    return hand_off(turn, "SpeakToAgent")


def fallback(turn: Turn) -> LexReply:
    """Nothing matched: say so and what the bot can do; after repeated misses, get a human."""
    count = int(turn.attribute("fallbackCount") or "0") + 1
    metrics.add_metric(name="BotFallback", unit=MetricUnit.Count, value=1)
    if count > turn.services.settings.max_bot_fallbacks:
        return hand_off(turn, "Fallback", lead=turn.say("bot.handoff.fallback"))
    reply = turn.ask_intent(turn.say("bot.fallback"), turn.say("bot.help"))
    return reply.with_attributes(fallbackCount=str(count))


def hand_off(turn: Turn, reason: str, lead: str = "") -> LexReply:
    ticket_id, status = _note_conversation(turn, reason)
    turn.outcome.handoff = _handoff_record(turn, reason, ticket_id, status)
    if ticket_id is not None:
        turn.outcome.selected_ticket_id = ticket_id
    metrics.add_metric(name="BotHandoff", unit=MetricUnit.Count, value=1)
    logger.info(
        "handing the caller to an agent", extra={"reason": reason, "ticket_id": ticket_id, "note": status}
    )
    text = (
        turn.say("bot.handoff.noted", ticket_id=ticket_id) if status == WRITTEN else turn.say("bot.handoff")
    )
    # Only checked ids go back to the flow: a session's unchecked selectedTicketId is not echoed.
    selected = ticket_id or turn.outcome.selected_ticket_id or turn.record.get("selectedTicketId")
    attributes = {
        "handoff": "true",
        "handoffReason": reason,
        "zendeskTicketId": str(ticket_id or ""),
        "selectedTicketId": str(selected or ""),
    }
    return turn.close(lead, text, attributes=attributes)


def failure_handoff(turn: Turn, lead_key: str) -> LexReply:
    """The bot failed (Zendesk or AWS unavailable, a bug): apologise and hand over, writing nothing
    more to the system that just failed."""
    turn.outcome.handoff = _handoff_record(turn, "Error", None, PENDING)
    metrics.add_metric(name="BotHandoff", unit=MetricUnit.Count, value=1)
    return failure_reply(turn.request, lead_key)


def _handoff_record(turn: Turn, reason: str, ticket_id: int | None, status: str) -> dict[str, Any]:
    record: dict[str, Any] = {"at": turn.timestamp(), "reason": reason, "noteStatus": status}
    if ticket_id is not None:
        record["ticketId"] = ticket_id
    return record


def _note_conversation(turn: Turn, reason: str) -> tuple[int | None, str]:
    earlier = turn.record.get("handoff")
    if isinstance(earlier, dict) and earlier.get("noteStatus") == WRITTEN and earlier.get("ticketId"):
        return int(earlier["ticketId"]), WRITTEN  # a retried turn: the note is already there
    body = note_body(turn, reason, turn.conversation_so_far())
    try:
        # Only a ticket the caller requested; any other id (someone else's, or none at all) takes the
        # same path as no id, so the reply never tells whether a ticket exists.
        target = turn.ticket_in_context()
        if target is not None:
            _add_note_once(turn, target, body)
            return target, WRITTEN
        requester = zendesk_writes.requester(turn, email=turn.slot_text(SlotName.EMAIL))
        if not requester.known:
            return None, NO_REQUESTER
        ticket = zendesk_writes.ticket_once(
            turn,
            purpose="handoff",
            new=NewTicket(
                subject=turn.say(f"note.subject.{turn.channel.value}"),
                body=body,
                requester_id=requester.user_id,
                requester_email=requester.email,
                requester_name=requester.email.split("@")[0] if requester.email else "",
                public=False,
                tags=(*zendesk_writes.tags(turn), "bot_handoff"),
            ),
        )
    except ZendeskError as exc:
        zendesk_writes.note_failed(exc, None)
        return None, PENDING
    return ticket.id, WRITTEN


def handoff_marker(contact_id: str) -> str:
    return f"[connect-handoff:{contact_id}]"


def _add_note_once(turn: Turn, ticket_id: int, body: str) -> None:
    """One handoff note per contact, even if an earlier turn's write timed out and Zendesk applies it
    late: a safe update that first looks for the contact's marker. It always looks: a turn that died
    with its write in flight leaves no handoff record to say it tried."""
    if not turn.contact_id:
        turn.services.zendesk.add_comment(ticket_id, body, public=False)
        return
    written = turn.services.zendesk.add_comment_once(
        ticket_id, body, marker=handoff_marker(turn.contact_id), public=False
    )
    if not written:
        logger.info("handoff note already on the ticket: not written again", extra={"ticket_id": ticket_id})


def note_body(turn: Turn, reason: str, conversation: list[ConversationEntry]) -> str:
    """The internal note: who called, why the bot handed over, and every turn with its time."""
    unknown = turn.say("note.unknown")
    number = turn.caller_number.e164 if turn.caller_number else unknown
    user = turn.user_id() if turn.caller_number or turn.record.get("zendeskUserId") else None
    lines = [
        turn.say(
            "note.handoff.header",
            channel=turn.say(f"note.channel.{turn.channel.value}"),
            contact_id=turn.contact_id or unknown,
        ),
        turn.say("note.handoff.caller", number=number, user=user if user is not None else unknown),
        turn.say(f"note.handoff.reason.{reason}"),
        "",
    ]
    for entry in conversation:
        role = turn.say(f"note.role.{entry.role}") if entry.role in ("caller", "bot") else entry.role
        lines.append(f"[{entry.at}] {role}: {entry.text}")
    if turn.contact_id:
        lines += ["", handoff_marker(turn.contact_id)]  # what a retried handoff looks for
    return "\n".join(lines)
