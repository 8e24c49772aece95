"""Responses to Lex V2: what to do next (the dialog action) and what to say, per channel.

Voice gets SSML (`<speak>` around text that the catalogues and `text.speakable` keep free of markup,
escaped again here as a last line of defence); chat gets plain text and, where the caller picks from
a few choices, an ImageResponseCard with buttons.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from xml.sax.saxutils import escape

from connect_zendesk.lex.event import Channel

MAX_MESSAGE_CHARS = 1000  # Lex V2 Message.content
MAX_CARD_TITLE_CHARS = 250
MAX_BUTTONS = 5
MAX_BUTTON_CHARS = 50


class DialogAction(enum.StrEnum):
    CLOSE = "Close"
    CONFIRM_INTENT = "ConfirmIntent"
    DELEGATE = "Delegate"
    ELICIT_INTENT = "ElicitIntent"
    ELICIT_SLOT = "ElicitSlot"


class IntentState(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    READY_FOR_FULFILLMENT = "ReadyForFulfillment"
    FULFILLED = "Fulfilled"
    FAILED = "Failed"


@dataclass(frozen=True)
class Button:
    text: str
    value: str


@dataclass(frozen=True)
class LexReply:
    action: DialogAction
    messages: tuple[str, ...] = ()
    intent_name: str = ""
    intent_state: IntentState = IntentState.IN_PROGRESS
    slot_to_elicit: str = ""
    slots: Mapping[str, Any] = field(default_factory=dict)  # raw Lex slot objects, echoed back
    confirmation_state: str = "None"
    buttons: tuple[Button, ...] = ()
    card_title: str = ""  # chat: the short heading above the buttons
    session_attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.messages)

    def with_attributes(self, **attributes: str) -> LexReply:
        return replace(self, session_attributes={**self.session_attributes, **attributes})


def render(reply: LexReply, channel: Channel) -> dict[str, Any]:
    """The JSON Lex expects from a code hook (CONTRACTS.md C)."""
    dialog_action: dict[str, Any] = {"type": reply.action.value}
    if reply.action is DialogAction.ELICIT_SLOT:
        dialog_action["slotToElicit"] = reply.slot_to_elicit
    session_state: dict[str, Any] = {
        "dialogAction": dialog_action,
        "sessionAttributes": {str(k): str(v) for k, v in reply.session_attributes.items()},
    }
    if reply.intent_name and reply.action is not DialogAction.ELICIT_INTENT:
        session_state["intent"] = {
            "name": reply.intent_name,
            "state": reply.intent_state.value,
            "confirmationState": reply.confirmation_state,
            "slots": dict(reply.slots),
        }
    response: dict[str, Any] = {"sessionState": session_state}
    messages = [_message(text, channel) for text in reply.messages if text.strip()]
    if channel is Channel.CHAT and reply.buttons and messages:
        messages.append(_card(reply.card_title or messages[-1]["content"], reply.buttons))
    if messages:
        response["messages"] = messages
    return response


def _message(text: str, channel: Channel) -> dict[str, str]:
    if channel is Channel.VOICE:
        budget = MAX_MESSAGE_CHARS - len("<speak></speak>")
        body = escape(text.strip())
        while len(body) > budget:  # escaping can lengthen the text: trim the source, never the markup
            text = text[: int(len(text) * 0.9)]
            body = escape(text.strip())
        return {"contentType": "SSML", "content": f"<speak>{body}</speak>"}
    return {"contentType": "PlainText", "content": text.strip()[:MAX_MESSAGE_CHARS]}


def _card(title: str, buttons: tuple[Button, ...]) -> dict[str, Any]:
    return {
        "contentType": "ImageResponseCard",
        "imageResponseCard": {
            "title": title[:MAX_CARD_TITLE_CHARS],
            "buttons": [
                {"text": b.text[:MAX_BUTTON_CHARS], "value": b.value[:MAX_BUTTON_CHARS]}
                for b in buttons[:MAX_BUTTONS]
            ],
        },
    }
