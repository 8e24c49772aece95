"""One bot turn: the Lex request, who is calling, what the turn changed, and the replies it can give.

Intent handlers receive a `Turn` and return a `LexReply` built with its helpers, which keep the
session attributes the flow and later turns rely on (see the README's "Self-service bot" section):
`handoff`, `handoffReason`, `zendeskTicketId`, `selectedTicketId`, `lastQuestion`, `elicitedSlot`,
`fallbackCount`, and whatever the contact flow passed in (`contactId`, `callerNumber`, ...).

Who is calling comes only from the Contacts record the flow functions wrote for the contact
(caller_lookup, from the telephone endpoint). Session attributes are set by whoever talks to Lex (the
Lex console, any RecognizeText caller), so they name nobody: a `callerNumber` that differs from the
record, a typed turn on a voice contact, or a contact that has ended detaches the turn from the record
(unknown caller, nothing of that contact read or written). A ticket id from a slot or a session
attribute is used only once the caller is shown to have requested it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from connect_zendesk.domain.caller_lookup import user_for_number
from connect_zendesk.domain.models import ConversationEntry, ZendeskUser
from connect_zendesk.domain.ticket_lookup import open_tickets
from connect_zendesk.errors import StorageError
from connect_zendesk.lex.event import Channel, LexRequest, SlotValue
from connect_zendesk.lex.intents import INTENTS_BY_NAME, IntentSpec, SlotName
from connect_zendesk.lex.response import Button, DialogAction, IntentState, LexReply
from connect_zendesk.messages import CATALOGUES, Locale, message
from connect_zendesk.observability import logger
from connect_zendesk.phone import CallerNumber, Unusable, can_receive_sms, normalise
from connect_zendesk.pii import mask_phone
from connect_zendesk.services import Services

_DIGITS = re.compile(r"^\d{1,12}$")
_ATTRIBUTE_ID = re.compile(r"[1-9][0-9]{0,18}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ANYTHING_ELSE = "anythingElse"
OFFERED_TICKET = "offeredTicket"
MENU = (
    ("button.ticket", "button.ticket"),
    ("button.callback", "button.callback"),
    ("button.order", "button.order"),
    ("button.agent", "button.agent"),
    ("button.done", "button.done"),
)


def iso_day(text: str) -> date | None:
    """A calendar day from AMAZON.Date's YYYY-MM-DD; a week (2026-W48) or month (2026-11) is not one."""
    if not _ISO_DAY.match(text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class TurnOutcome:
    """What the turn changed, for the contact's record."""

    fulfilled_intent: str = ""
    selected_ticket_id: int | None = None
    handoff: dict[str, Any] | None = None
    zendesk_user_id: int | None = None
    caller_e164: str = ""


@dataclass
class Turn:
    request: LexRequest
    services: Services
    record: dict[str, Any] = field(default_factory=dict)  # the contact's Contacts item ({} if none)
    outcome: TurnOutcome = field(default_factory=TurnOutcome)

    def __post_init__(self) -> None:
        self.now: datetime = self.services.now()
        self._user: ZendeskUser | None = None
        self._user_looked_up = False
        self._owned: dict[int, bool] = {}
        self.detached_reason = self._untrusted_record_reason()
        if self.detached_reason:
            logger.warning(
                "contact record not trusted for this turn: caller unknown",
                extra={"reason": self.detached_reason},
            )
            self.record = {}

    def _untrusted_record_reason(self) -> str:
        """Why this turn must not act as the contact's caller, or '' when it may."""
        if not self.record:
            return ""
        if self.record.get("disconnectedAt"):
            return "ContactEnded"
        if str(self.record.get("channel") or "").upper() == "VOICE" and not self.voice:
            return "TypedTurnOnVoiceContact"
        claimed = self.request.attribute("callerNumber")
        if not claimed:
            return ""
        recorded = str(self.record.get("callerE164") or "")
        number = normalise(claimed, self.services.settings.default_phone_region)
        if isinstance(number, Unusable):
            return "CallerNumberMismatch" if recorded else ""  # both say: no number
        if number.e164 != recorded:
            logger.info(
                "session callerNumber differs from the contact's", extra={"claimed": mask_phone(number.e164)}
            )
            return "CallerNumberMismatch"
        return ""

    @property
    def detached(self) -> bool:
        """The turn may not read or write the contact's record (see the module docstring)."""
        return bool(self.detached_reason)

    # ------------------------------------------------------------------ context
    @property
    def locale(self) -> Locale:
        return self.request.locale

    @property
    def channel(self) -> Channel:
        return self.request.channel

    @property
    def voice(self) -> bool:
        return self.channel is Channel.VOICE

    @property
    def contact_id(self) -> str:
        return "" if self.detached else self.request.contact_id

    @property
    def intent(self) -> IntentSpec | None:
        return INTENTS_BY_NAME.get(self.request.intent_name)

    @cached_property
    def caller_number(self) -> CallerNumber | None:
        """The caller's number: the telephone endpoint caller_lookup recorded for this contact, never a
        session attribute (without a record the caller is unknown)."""
        raw = str(self.record.get("callerE164") or "")
        number = normalise(raw, self.services.settings.default_phone_region) if raw else None
        return number if isinstance(number, CallerNumber) else None

    def user_id(self) -> int | None:
        """The caller's Zendesk end-user: the one caller_lookup matched to this contact, else the one
        the recorded number matches now. A session attribute never names the user."""
        recorded = self.record.get("zendeskUserId")
        if recorded is not None:
            return int(recorded)
        if self.outcome.zendesk_user_id is not None:
            return self.outcome.zendesk_user_id
        if not self._user_looked_up and self.caller_number is not None:
            self._user_looked_up = True
            self._user, _ = user_for_number(self.caller_number, self.services)
            if self._user is not None:
                self.outcome.zendesk_user_id = self._user.id
        return self._user.id if self._user else None

    def adopt_user(self, user: ZendeskUser) -> None:
        """A user created during this turn (an unknown caller): later turns find it in the record."""
        self._user, self._user_looked_up = user, True
        self.outcome.zendesk_user_id = user.id

    @property
    def sms_number(self) -> str:
        """The number a confirmation SMS can go to, or '' (chat, withheld number, fixed line)."""
        number = self.caller_number
        if not (self.voice and number and self.services.settings.sms.enabled):
            return ""
        return number.e164 if can_receive_sms(number.e164) else ""

    # ------------------------------------------------------------------ slots and attributes
    def slot(self, name: SlotName) -> SlotValue | None:
        return self.request.slot(name.value)

    def slot_text(self, name: SlotName) -> str:
        value = self.slot(name)
        return value.interpreted if value else ""

    def number_slot(self, name: SlotName) -> int | str | None:
        """A ticket or order number: int, None when not given, 'invalid' when not a number."""
        text = self.slot_text(name)
        if not text:
            return None
        cleaned = re.sub(r"[\s,#]", "", text).removesuffix(".0")
        return int(cleaned) if _DIGITS.match(cleaned) and int(cleaned) > 0 else "invalid"

    def clear_slot(self, name: SlotName) -> None:
        self.request = self.request.with_slot_cleared(name.value)

    def attribute(self, name: str) -> str:
        return self.request.attribute(name)

    def int_attribute(self, name: str) -> int | None:
        """A positive id from a session attribute; anything else (a superscript digit, 5,000 digits,
        ASCII-only on purpose) is no id."""
        raw = self.attribute(name)
        return int(raw) if _ATTRIBUTE_ID.fullmatch(raw) else None

    def selected_ticket(self) -> int | None:
        """The ticket this contact is about: chosen in this call, or recorded for it (both checked when
        they were chosen), else the session's `selectedTicketId` if the caller requested it."""
        if self.outcome.selected_ticket_id is not None:
            return self.outcome.selected_ticket_id
        recorded = self.record.get("selectedTicketId")
        return int(recorded) if recorded is not None else self.owned_attribute("selectedTicketId")

    def ticket_in_context(self) -> int | None:
        """The ticket this call is about, else the one the bot last talked about (`discussedTicketId`),
        each only if the caller requested it."""
        return self.selected_ticket() or self.owned_attribute("discussedTicketId")

    def owned_attribute(self, name: str) -> int | None:
        """A ticket id from a session attribute, only if the caller requested that ticket."""
        ticket_id = self.int_attribute(name)
        return ticket_id if ticket_id is not None and self.caller_owns(ticket_id) else None

    def caller_owns(self, ticket_id: int) -> bool:
        """Whether the caller requested the ticket: one of their open tickets (cached), else of all the
        tickets they requested. Only the caller's own list is read, never the claimed ticket, so someone
        else's ticket and a missing one are the same False."""
        if ticket_id not in self._owned:
            user_id = self.user_id()
            owned = user_id is not None and (
                any(t.id == ticket_id for t in open_tickets(user_id, self.services))
                or any(
                    t.id == ticket_id and t.requester_id == user_id
                    for t in self.services.zendesk.requested_tickets(user_id)
                )
            )
            if not owned:
                logger.warning("ticket id is not the caller's: ignored", extra={"ticket_id": ticket_id})
            self._owned[ticket_id] = owned
        return self._owned[ticket_id]

    def attributes(self, **changes: str) -> dict[str, str]:
        attributes = dict(self.request.session_attributes)
        attributes.update(changes)
        return {k: v for k, v in attributes.items() if v is not None}

    # ------------------------------------------------------------------ text
    def say(self, key: str, **values: object) -> str:
        return message(self.locale, key, **values)

    def prompt(self, key: str) -> str:
        """A prompt, in its chat wording when there is one and the caller is typing."""
        chat_key = f"{key}.chat"
        if not self.voice and chat_key in CATALOGUES[self.locale]:
            return self.say(chat_key)
        return self.say(key)

    def yes_no_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self.say("button.yes"), self.say("button.yes")),
            Button(self.say("button.no"), self.say("button.no")),
        )

    # ------------------------------------------------------------------ replies
    def elicit_slot(self, slot: SlotName, *texts: str, buttons: tuple[Button, ...] = ()) -> LexReply:
        return LexReply(
            DialogAction.ELICIT_SLOT,
            messages=texts or (self.prompt(self._prompt_key(slot)),),
            intent_name=self.request.intent_name,
            slot_to_elicit=slot.value,
            slots=self.request.raw_slots,
            buttons=buttons,
            card_title=self.say("card.choose") if buttons else "",
            session_attributes=self.attributes(elicitedSlot=slot.value, lastQuestion=""),
        )

    def confirm(self, text: str) -> LexReply:
        return LexReply(
            DialogAction.CONFIRM_INTENT,
            messages=(text,),
            intent_name=self.request.intent_name,
            slots=self.request.raw_slots,
            buttons=self.yes_no_buttons(),
            card_title=self.say("card.choose"),
            session_attributes=self.attributes(elicitedSlot="", lastQuestion=""),
        )

    def ready(self) -> LexReply:
        """Dialog done: Lex calls the fulfillment code hook next."""
        return LexReply(
            DialogAction.DELEGATE,
            intent_name=self.request.intent_name,
            intent_state=IntentState.READY_FOR_FULFILLMENT,
            slots=self.request.raw_slots,
            confirmation_state=self.request.confirmation_state,
            session_attributes=self.attributes(elicitedSlot=""),
        )

    def finished(self, *texts: str, fulfilled: bool = True, **attributes: str) -> LexReply:
        """The intent is over; the conversation goes on with "anything else?"."""
        if fulfilled and self.intent is not None and self.intent.self_service:
            self.outcome.fulfilled_intent = self.intent.name.value
        return self.ask_intent(
            *texts, self.say("bot.anything_else"), last_question=ANYTHING_ELSE, **attributes
        )

    def ask_intent(self, *texts: str, last_question: str = "", **attributes: str) -> LexReply:
        buttons = tuple(Button(self.say(text), self.say(value)) for text, value in MENU)
        return LexReply(
            DialogAction.ELICIT_INTENT,
            messages=tuple(t for t in texts if t),
            buttons=buttons,
            card_title=self.say("card.choose"),
            session_attributes=self.attributes(
                elicitedSlot="", lastQuestion=last_question, fallbackCount="0", **attributes
            ),
        )

    def close(
        self,
        *texts: str,
        state: IntentState = IntentState.FULFILLED,
        attributes: Mapping[str, str] | None = None,
    ) -> LexReply:
        """The bot is done with the caller (goodbye or handoff): the contact flow takes over."""
        return LexReply(
            DialogAction.CLOSE,
            messages=tuple(t for t in texts if t),
            intent_name=self.request.intent_name or "FallbackIntent",
            intent_state=state,
            slots=self.request.raw_slots,
            confirmation_state=self.request.confirmation_state,
            session_attributes=self.attributes(elicitedSlot="", lastQuestion="", **(attributes or {})),
        )

    def reset_confirmation(self, reply: LexReply) -> LexReply:
        """After a failed fulfillment the caller must confirm the new choice again."""
        return replace(reply, confirmation_state="None")

    def _prompt_key(self, slot: SlotName) -> str:
        spec = self.intent
        if spec is not None:
            for candidate in spec.slots:
                if candidate.name is slot:
                    return candidate.prompt_key
        return "bot.welcome"

    # ------------------------------------------------------------------ conversation
    def caller_entry(self) -> ConversationEntry | None:
        """The caller's words of this turn, once: the dialog and fulfillment calls for one input share
        an originating request id, and only the first of them logs the input."""
        text = self.request.input_transcript
        request_id = self.request.originating_request_id
        if not text or (request_id and request_id == self.attribute("loggedRequestId")):
            return None
        return ConversationEntry(
            at=self.timestamp(),
            role="caller",
            text=text,
            intent=self.request.intent_name,
            slots=tuple((name, value.interpreted) for name, value in sorted(self.request.slots.items())),
        )

    def timestamp(self) -> str:
        return self.now.isoformat(timespec="seconds").replace("+00:00", "Z")

    def conversation_so_far(self) -> list[ConversationEntry]:
        """The logged conversation and this turn's input (read only when a handoff needs it)."""
        try:
            stored = (
                self.services.contacts.get(self.contact_id, ("conversation",)) if self.contact_id else None
            )
        except StorageError as exc:  # the note still says who called and why, with this turn's words
            logger.warning("conversation log unreadable", extra={"reason": str(exc)})
            stored = None
        entries = [
            ConversationEntry.from_item(e)
            for e in (stored or {}).get("conversation") or []
            if isinstance(e, dict)
        ]
        current = self.caller_entry()
        return [*entries, current] if current else entries
