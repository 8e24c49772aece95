"""Plays Amazon Lex V2's part in a conversation with the bot's code hook, turn by turn.

moto has no Lex runtime, so the demo, the tests and the benchmarks talk to `lex_fulfillment` through
this driver. It builds each DialogCodeHook / FulfillmentCodeHook event from the session state the
previous response returned, as Lex does: an elicited slot is filled by the next input, a confirmation
question is answered yes or no, a `Delegate` with `ReadyForFulfillment` is followed at once by the
fulfillment call for the same input, and session attributes travel from response to next event.

What the driver cannot do is understand speech: where Lex's NLU would pick the intent and slot values
from what the caller said, the script says them (`intent=..., slots=...`).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_zendesk.lex.intents import INTENTS_BY_NAME

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
YES_WORDS = frozenset(
    {"yes", "yeah", "yep", "sure", "correct", "はい", "ええ", "예", "네", "是", "是的", "对", "1"}
)
NO_WORDS = frozenset({"no", "nope", "いいえ", "違います", "아니요", "아니오", "不是", "不", "不对", "2"})
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Invocation:
    event: dict[str, Any]
    response: dict[str, Any]

    @property
    def dialog_action(self) -> str:
        return str(self.response.get("sessionState", {}).get("dialogAction", {}).get("type", ""))

    @property
    def messages(self) -> list[str]:
        return [
            _TAGS.sub("", str(m.get("content", ""))).strip()
            for m in self.response.get("messages", [])
            if m.get("contentType") in ("PlainText", "SSML")
        ]

    @property
    def buttons(self) -> list[str]:
        return [
            str(b.get("text"))
            for m in self.response.get("messages", [])
            if m.get("contentType") == "ImageResponseCard"
            for b in m.get("imageResponseCard", {}).get("buttons", [])
        ]


@dataclass
class BotTurn:
    """One caller input and what the bot did with it (one invocation, or dialog then fulfillment)."""

    said: str
    invocations: list[Invocation] = field(default_factory=list)

    @property
    def last(self) -> Invocation:
        return self.invocations[-1]

    @property
    def response(self) -> dict[str, Any]:
        return self.last.response

    @property
    def dialog_action(self) -> str:
        return self.last.dialog_action

    @property
    def reply(self) -> str:
        return " ".join(self.last.messages)

    @property
    def session_attributes(self) -> dict[str, str]:
        return dict(self.response.get("sessionState", {}).get("sessionAttributes", {}))

    @property
    def intent(self) -> dict[str, Any]:
        return dict(self.response.get("sessionState", {}).get("intent") or {})


class LexConversation:
    """One Lex session (one contact) with the bot, in one locale, by voice or chat."""

    def __init__(
        self,
        invoke: Invoke,
        *,
        locale: str = "en_US",
        input_mode: str = "Speech",
        contact_id: str | None = None,
        session_attributes: Mapping[str, str] | None = None,
        platform: str = "Connect",
    ) -> None:
        self._invoke = invoke
        self.locale = locale
        self.input_mode = input_mode
        self.contact_id = contact_id or str(uuid.uuid4())
        self.session_attributes: dict[str, str] = {"contactId": self.contact_id, **(session_attributes or {})}
        self.platform = platform
        self.turns: list[BotTurn] = []
        self._intent: dict[str, Any] | None = None
        self._action: dict[str, Any] = {}

    @property
    def ended(self) -> bool:
        return self._action.get("type") == "Close"

    def say(
        self,
        text: str,
        *,
        intent: str | None = None,
        slots: Mapping[str, str] | None = None,
        answer: bool | None = None,
        input_mode: str | None = None,
    ) -> BotTurn:
        """The caller says (or keys, or types) `text`; `intent` and `slots` are what Lex would hear in it."""
        mode = input_mode or self.input_mode
        intent_state = self._next_intent(text, intent, slots or {}, answer)
        request_id = str(uuid.uuid4())
        turn = BotTurn(text)
        source = "DialogCodeHook" if _has_dialog_hook(intent_state["name"]) else "FulfillmentCodeHook"
        while True:
            event = self.event(text, intent_state, source, mode, request_id)
            response = self._invoke(event)
            turn.invocations.append(Invocation(event, response))
            state = response.get("sessionState", {})
            self.session_attributes = dict(state.get("sessionAttributes") or self.session_attributes)
            self._action = dict(state.get("dialogAction") or {})
            returned = state.get("intent")
            self._intent = copy.deepcopy(returned) if returned else None
            if (
                self._action.get("type") == "Delegate"
                and returned
                and returned.get("state") == "ReadyForFulfillment"
            ):
                intent_state = copy.deepcopy(returned)
                source = "FulfillmentCodeHook"
                continue
            break
        if self._action.get("type") in ("Close", "ElicitIntent"):
            self._intent = None
        self.turns.append(turn)
        return turn

    def resend(self, event: dict[str, Any]) -> dict[str, Any]:
        """Send an event once more, as Lex does when it retries (or a caller repeats the last step);
        the session's state is left as it was."""
        return self._invoke(copy.deepcopy(event))

    def event(
        self, text: str, intent: dict[str, Any], source: str, input_mode: str, request_id: str
    ) -> dict[str, Any]:
        """A code-hook event as Lex V2 sends it (see the Lex V2 developer guide, "Lambda input event")."""
        return {
            "messageVersion": "1.0",
            "invocationSource": source,
            "inputMode": input_mode,
            "responseContentType": "text/plain; charset=utf-8" if input_mode == "Text" else "audio/pcm",
            "sessionId": self.contact_id,
            "inputTranscript": text,
            "bot": {
                "id": "SELFSERVIC",
                "name": "connect-zendesk-self-service",
                "aliasId": "LIVEALIAS1",
                "aliasName": "live",
                "localeId": self.locale,
                "version": "1",
            },
            "interpretations": [
                {"intent": copy.deepcopy(intent), "nluConfidence": {"score": 0.92}},
                {
                    "intent": {
                        "name": "FallbackIntent",
                        "slots": {},
                        "state": "InProgress",
                        "confirmationState": "None",
                    }
                },
            ],
            "requestAttributes": {"x-amz-lex:channels:platform": self.platform},
            "sessionState": {
                "activeContexts": [],
                "sessionAttributes": dict(self.session_attributes),
                "intent": copy.deepcopy(intent),
                "originatingRequestId": request_id,
            },
            "transcriptions": [
                {
                    "transcription": text,
                    "transcriptionConfidence": 0.95,
                    "resolvedContext": {"intent": intent["name"]},
                    "resolvedSlots": {},
                }
            ],
        }

    def _next_intent(
        self, text: str, intent: str | None, slots: Mapping[str, str], answer: bool | None
    ) -> dict[str, Any]:
        current = self._intent
        action = self._action.get("type")
        if current is not None and intent in (None, current["name"]):
            state = copy.deepcopy(current)
            state["state"] = "InProgress"
            if action == "ElicitSlot":
                elicited = str(self._action.get("slotToElicit", ""))
                state["slots"][elicited] = slot_value(slots.get(elicited, text), text)
            if action == "ConfirmIntent":
                confirmed = answer if answer is not None else _yes_or_no(text)
                state["confirmationState"] = "Confirmed" if confirmed else "Denied"
            for name, value in slots.items():
                state["slots"][name] = slot_value(value, text)
            return state
        if intent is None:
            raise ValueError(f"the bot is not waiting for an answer: say which intent {text!r} is")
        spec = INTENTS_BY_NAME.get(intent)
        names = [s.name.value for s in spec.slots] if spec else list(slots)
        return {
            "name": intent,
            "state": "InProgress",
            "confirmationState": "None",
            "slots": {name: slot_value(slots[name], text) if name in slots else None for name in names},
        }


def slot_value(interpreted: str, original: str) -> dict[str, Any]:
    return {
        "shape": "Scalar",
        "value": {
            "originalValue": original,
            "interpretedValue": interpreted,
            "resolvedValues": [interpreted],
        },
    }


def _has_dialog_hook(intent: str) -> bool:
    spec = INTENTS_BY_NAME.get(intent)
    return spec is None or not spec.parent_signature


def _yes_or_no(text: str) -> bool:
    word = text.strip().lower().rstrip(".!。")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError(f"{text!r} is neither yes nor no: pass answer=True or answer=False")
