"""How the bot writes to Zendesk: who the requester is, one ticket per contact and purpose, notes.

Every ticket the bot creates carries the external id `cz-<contact id>-<purpose>` and is looked up by
it before being created, so a retried Lex turn (or a caller repeating themselves) never makes two.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.domain.caller_lookup import remember_user_for_number
from connect_zendesk.domain.models import NewTicket, TicketSummary
from connect_zendesk.domain.self_service.turn import Turn
from connect_zendesk.errors import ZendeskError
from connect_zendesk.lex.intents import SlotName
from connect_zendesk.lex.response import LexReply
from connect_zendesk.messages import Locale
from connect_zendesk.observability import logger, metrics

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_EMAIL_ATTEMPTS = 3
ZENDESK_LOCALES = {Locale.EN_US: "en-US", Locale.JA_JP: "ja", Locale.KO_KR: "ko", Locale.ZH_CN: "zh-cn"}


@dataclass(frozen=True)
class Requester:
    user_id: int | None = None
    email: str = ""  # a chat stranger: Zendesk finds the end-user with this email or creates one

    @property
    def known(self) -> bool:
        return self.user_id is not None or bool(self.email)


def valid_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def ask_email(turn: Turn) -> LexReply | None:
    """Ask a chat stranger for their email (it becomes the requester, never proof of identity).

    None once they have given an unusable address twice: the caller goes to an agent instead.
    """
    attempts = int(turn.attribute("emailAttempts") or "0")
    if attempts >= MAX_EMAIL_ATTEMPTS:
        return None
    if turn.slot_text(SlotName.EMAIL):
        turn.clear_slot(SlotName.EMAIL)
        reply = turn.elicit_slot(SlotName.EMAIL, turn.say("bot.email.invalid"))
    else:
        reply = turn.elicit_slot(SlotName.EMAIL)
    return reply.with_attributes(emailAttempts=str(attempts + 1))


def requester(turn: Turn, email: str = "") -> Requester:
    """The caller as a Zendesk requester: their user; else, on chat, the email they gave; else, on a
    call from a usable number, a new end-user with that number (as Zendesk Talk does)."""
    user_id = turn.user_id()
    if user_id is not None:
        return Requester(user_id)
    if not turn.voice:
        return Requester(email=email.strip()) if valid_email(email) else Requester()
    number = turn.caller_number
    if number is None:
        return Requester()
    user = turn.services.zendesk.create_end_user(
        turn.say("bot.caller_name", number=number.e164),
        phone=number.e164,
        locale=ZENDESK_LOCALES[turn.locale],
    )
    logger.info("created zendesk end-user for an unknown caller", extra={"zendesk_user_id": user.id})
    turn.adopt_user(user)
    remember_user_for_number(number, user, 1, turn.services)
    return Requester(user.id)


def external_id(turn: Turn, purpose: str) -> str:
    return f"cz-{turn.contact_id}-{purpose}" if turn.contact_id else ""


def ticket_once(turn: Turn, purpose: str, new: NewTicket) -> TicketSummary:
    """The ticket this contact already opened for `purpose`, else a new one."""
    marker = external_id(turn, purpose)
    if marker:
        for existing in turn.services.zendesk.tickets_by_external_id(marker):
            if new.requester_id is None or existing.requester_id == new.requester_id:
                logger.info("ticket already created for this contact", extra={"ticket_id": existing.id})
                return existing
    created = turn.services.zendesk.create_ticket(dataclasses.replace(new, external_id=marker))
    logger.info("ticket created", extra={"ticket_id": created.id, "purpose": purpose})
    return created


def tags(turn: Turn) -> tuple[str, ...]:
    return ("connect_zendesk", "self_service_bot", f"via_{turn.channel.value.lower()}")


def add_note(turn: Turn, ticket_id: int, body: str) -> bool:
    """An internal note; a Zendesk failure is logged and counted, not raised (it is a side effect)."""
    try:
        turn.services.zendesk.add_comment(ticket_id, body, public=False)
    except ZendeskError as exc:
        note_failed(exc, ticket_id)
        return False
    return True


def note_failed(exc: ZendeskError, ticket_id: int | None) -> None:
    logger.warning("ticket note not written", extra={"ticket_id": ticket_id, "error_type": exc.error_type})
    metrics.add_metric(name="TicketNoteFailed", unit=MetricUnit.Count, value=1)
