"""CheckTicketStatus, ConfirmOpenTicket and CreateTicket.

The caller only ever hears about tickets their own Zendesk user requested: a number that belongs to
someone else gets, word for word, the answer a number that does not exist gets.
"""

from __future__ import annotations

import re

from connect_zendesk.domain.models import NewTicket, TicketDetail, TicketSummary
from connect_zendesk.domain.self_service import zendesk_writes
from connect_zendesk.domain.self_service.handoff import hand_off
from connect_zendesk.domain.self_service.notify import send_sms
from connect_zendesk.domain.self_service.turn import ANYTHING_ELSE, Turn
from connect_zendesk.domain.ticket_lookup import open_tickets
from connect_zendesk.lex.event import InvocationSource
from connect_zendesk.lex.intents import NO, YES, SlotName
from connect_zendesk.lex.response import LexReply
from connect_zendesk.messages import CATALOGUES
from connect_zendesk.text import speakable, time_ago

REPLY_CHARS = 220
SUMMARY_CHARS = 120
SUBJECT_CHARS = 70
_SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s*")  # also the CJK full stops


# ---------------------------------------------------------------------------- CheckTicketStatus
def check_ticket_status(turn: Turn) -> LexReply:
    number = turn.number_slot(SlotName.TICKET_NUMBER)
    if number == "invalid":
        turn.clear_slot(SlotName.TICKET_NUMBER)
        return turn.elicit_slot(
            SlotName.TICKET_NUMBER,
            turn.say("bot.ticket.bad_number"),
            turn.prompt("bot.prompt.ticket_number"),
        )
    if turn.request.invocation_source is InvocationSource.DIALOG:
        return turn.ready()
    user_id = turn.user_id()
    if user_id is None:
        return turn.finished(turn.say("bot.ticket.unknown_caller"), fulfilled=False)
    if isinstance(number, int):
        detail = turn.services.zendesk.ticket_for_requester(number, user_id)
        if detail is None:
            return turn.finished(turn.say("bot.ticket.not_found", ticket_id=number))
        return _describe(turn, detail)
    detail = _current_ticket(turn, user_id)
    if detail is None:
        return turn.finished(turn.say("tickets.none"))
    return _describe(turn, detail)


def _current_ticket(turn: Turn, user_id: int) -> TicketDetail | None:
    """Without a number: the ticket this call is about, else the caller's newest open ticket."""
    chosen = turn.ticket_in_context()
    if chosen is not None:
        detail = turn.services.zendesk.ticket_for_requester(chosen, user_id)
        if detail is not None:
            return detail
    newest = next(iter(open_tickets(user_id, turn.services)), None)
    return turn.services.zendesk.ticket_for_requester(newest.id, user_id) if newest else None


def _describe(turn: Turn, detail: TicketDetail) -> LexReply:
    ticket = detail.ticket
    status_key = f"status.{ticket.status}"
    status = turn.say(status_key) if status_key in CATALOGUES[turn.locale] else ticket.status
    texts = [
        turn.say(
            "bot.ticket.status",
            ticket_id=ticket.id,
            subject=speakable(ticket.subject, turn.locale),
            status=status,
            ago=time_ago(ticket.updated_at, turn.now, turn.locale),
        )
    ]
    if detail.latest_reply is not None and detail.latest_reply.body.strip():
        texts.append(turn.say("bot.ticket.reply", reply=summarise(detail.latest_reply.body, turn)))
    else:
        texts.append(turn.say("bot.ticket.no_reply"))
    return turn.finished(*texts, discussedTicketId=str(ticket.id), zendeskTicketId=str(ticket.id))


def summarise(text: str, turn: Turn, limit: int = REPLY_CHARS) -> str:
    """The first sentences of a reply that fit, spoken safely; greetings and quotes stay in."""
    first_paragraph = text.strip().split("\n\n", 1)[0]
    sentences = [s for s in _SENTENCE_END.split(first_paragraph) if s.strip()]
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit and kept:
            break
        kept = candidate
    return speakable(kept or first_paragraph, turn.locale, max_chars=limit)


# ---------------------------------------------------------------------------- ConfirmOpenTicket
def confirm_open_ticket(turn: Turn) -> LexReply:
    answer = turn.slot_text(SlotName.ANSWER).lower()
    if turn.attribute("lastQuestion") == ANYTHING_ELSE:
        # "Anything else?" - "No": the caller is done. "Yes": ask what.
        if answer == NO:
            return turn.close(turn.say("bot.goodbye"), attributes={"handoff": "false"})
        return turn.ask_intent(turn.say("bot.welcome"))
    offered = _offered_ticket(turn)
    if answer not in (YES, NO):
        if offered is None:
            return turn.ask_intent(turn.say("bot.welcome"))
        return turn.elicit_slot(
            SlotName.ANSWER,
            turn.say(
                "bot.confirm_ticket.ask",
                ticket_id=offered.id,
                subject=speakable(offered.subject, turn.locale),
            ),
            buttons=turn.yes_no_buttons(),
        )
    if answer == NO or offered is None:
        lead = turn.say("bot.confirm_ticket.no") if offered is not None else ""
        return turn.ask_intent(lead, turn.say("bot.welcome"))
    turn.outcome.selected_ticket_id = offered.id
    return turn.ask_intent(
        turn.say("bot.confirm_ticket.yes", ticket_id=offered.id),
        turn.say("bot.welcome"),
        selectedTicketId=str(offered.id),
        zendeskTicketId=str(offered.id),
    )


def _offered_ticket(turn: Turn) -> TicketSummary | None:
    """The ticket the IVR offered: the newest one ticket_lookup recorded for this contact, or the one
    the flow passed, checked against the caller's own tickets."""
    recorded = [int(t) for t in turn.record.get("offeredTicketIds") or []]
    candidate = recorded[0] if recorded else turn.int_attribute("offeredTicketId")
    user_id = turn.user_id()
    if candidate is None or user_id is None:
        return None
    for ticket in open_tickets(user_id, turn.services):
        if ticket.id == candidate:
            return ticket
    return None


# ---------------------------------------------------------------------------- CreateTicket
def create_ticket(turn: Turn) -> LexReply:
    description = _description(turn)
    if not description:
        return turn.elicit_slot(SlotName.PROBLEM_DESCRIPTION)
    user_id = turn.user_id()
    email = turn.slot_text(SlotName.EMAIL)
    if user_id is None and not turn.voice and not zendesk_writes.valid_email(email):
        return zendesk_writes.ask_email(turn) or hand_off(turn, "SpeakToAgent")
    if user_id is None and turn.voice and turn.caller_number is None:
        return hand_off(turn, "SpeakToAgent")  # a withheld number: nobody to open the ticket for
    if turn.sms_number and not turn.slot_text(SlotName.SMS_CONFIRMATION):
        return turn.elicit_slot(SlotName.SMS_CONFIRMATION, buttons=turn.yes_no_buttons())
    if turn.request.invocation_source is InvocationSource.DIALOG:
        if turn.request.confirmation_state == "Denied":
            return turn.finished(turn.say("bot.prompt.declined"), fulfilled=False)
        if turn.request.confirmation_state != "Confirmed":
            summary = speakable(description, turn.locale, max_chars=SUMMARY_CHARS)
            return turn.confirm(turn.say("bot.create.confirm", summary=summary))
        return turn.ready()
    requester = zendesk_writes.requester(turn, email=email)
    subject = " ".join(description.split())[:SUBJECT_CHARS]
    ticket = zendesk_writes.ticket_once(
        turn,
        purpose="CreateTicket",
        new=NewTicket(
            subject=subject,
            body=description,
            requester_id=requester.user_id,
            requester_email=requester.email,
            requester_name=requester.email.split("@")[0] if requester.email else "",
            public=True,
            author_id=requester.user_id,
            tags=zendesk_writes.tags(turn),
        ),
    )
    turn.outcome.selected_ticket_id = ticket.id
    texts = [turn.say("bot.create.done", ticket_id=ticket.id)]
    if turn.slot_text(SlotName.SMS_CONFIRMATION).lower() == YES and send_sms(
        turn, "sms.ticket_created", ticket_id=ticket.id, subject=subject
    ):
        texts.append(turn.say("bot.sms.sent"))
    return turn.finished(*texts, selectedTicketId=str(ticket.id), zendeskTicketId=str(ticket.id))


def _description(turn: Turn) -> str:
    """The caller's own words: the slot, or - where Lex cannot fill a free-form slot (chat) - the text
    typed right after the bot asked for it."""
    described = turn.slot_text(SlotName.PROBLEM_DESCRIPTION)
    if described:
        return described
    if turn.attribute("elicitedSlot") == SlotName.PROBLEM_DESCRIPTION.value:
        return turn.request.input_transcript.strip()
    return ""
