"""Tolerant parsing of the Lex V2 code-hook event (DialogCodeHook and FulfillmentCodeHook).

Lex adds fields without changing `messageVersion`, slots may be null, `nluConfidence` is a number in
some events and `{"score": n}` in others, and `sessionAttributes` or `proposedNextState` may be absent
(CONTRACTS.md C.6). Nothing here raises: what cannot be read becomes an empty value, and `problems`
says what was wrong so the handler can log it and still answer Lex.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from connect_zendesk.messages import Locale
from connect_zendesk.untrusted import EVENT, UntrustedInput, bounded_number, check_shape

_CONTACT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}$")
_LOCALES = {locale.value.lower(): locale for locale in Locale}
MAX_TRANSCRIPT_CHARS = 2000


class InvocationSource(enum.StrEnum):
    DIALOG = "DialogCodeHook"
    FULFILLMENT = "FulfillmentCodeHook"
    UNKNOWN = ""


class Channel(enum.StrEnum):
    VOICE = "VOICE"
    CHAT = "CHAT"


@dataclass(frozen=True)
class SlotValue:
    interpreted: str
    original: str = ""
    resolved: tuple[str, ...] = ()

    @property
    def candidates(self) -> tuple[str, ...]:
        """Every reading Lex offers, its interpretation first (e.g. 03:00 and 15:00 for "at three")."""
        return tuple(dict.fromkeys(v for v in (self.interpreted, *self.resolved) if v))


@dataclass(frozen=True)
class LexRequest:
    invocation_source: InvocationSource = InvocationSource.UNKNOWN
    input_mode: str = ""  # Speech | DTMF | Text
    input_transcript: str = ""
    session_id: str = ""
    locale: Locale = Locale.EN_US
    locale_id: str = ""  # as Lex sent it
    bot_name: str = ""
    intent_name: str = ""
    intent_state: str = ""
    confirmation_state: str = "None"  # Confirmed | Denied | None
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    raw_slots: Mapping[str, Any] = field(default_factory=dict)  # as Lex sent them, echoed back
    session_attributes: Mapping[str, str] = field(default_factory=dict)
    request_attributes: Mapping[str, str] = field(default_factory=dict)
    proposed_slot: str = ""  # proposedNextState.dialogAction.slotToElicit
    originating_request_id: str = ""  # the same for the dialog and fulfillment calls of one input
    nlu_confidence: float | None = None
    problems: tuple[str, ...] = ()

    @property
    def channel(self) -> Channel:
        # Connect chat and the Lex console's text window send Text; calls send Speech or DTMF.
        return Channel.CHAT if self.input_mode.lower() == "text" else Channel.VOICE

    @property
    def platform(self) -> str:
        return self.request_attributes.get("x-amz-lex:channels:platform", "")

    @property
    def contact_id(self) -> str:
        """The Connect contact: the session attribute the flow passes, else the Lex session id.
        Anything that is not id-shaped is ignored."""
        for candidate in (self.session_attributes.get("contactId", ""), self.session_id):
            if _CONTACT_ID.match(candidate.strip()):
                return candidate.strip()
        return ""

    def slot(self, name: str) -> SlotValue | None:
        return self.slots.get(name)

    def attribute(self, name: str) -> str:
        return self.session_attributes.get(name, "").strip()

    def with_slot_cleared(self, name: str) -> LexRequest:
        slots = {k: v for k, v in self.slots.items() if k != name}
        raw = {**self.raw_slots, name: None}
        return replace(self, slots=slots, raw_slots=raw)


def parse_lex_event(event: Any) -> LexRequest:
    problems: list[str] = []
    if not isinstance(event, Mapping):
        return LexRequest(problems=("event is not a JSON object",))
    try:
        check_shape(event, EVENT)
    except UntrustedInput as exc:
        # Too deep, too large or NaN: read only the shallow text fields a reply needs (locale,
        # intent name, session id), none of the slots or attributes, so the caller is handed over.
        request = parse_lex_event(_shallow_fields(event))
        return replace(request, problems=(str(exc), *request.problems))
    state = _mapping(event.get("sessionState"))
    if not state:
        problems.append("no sessionState")
    intent = _mapping(state.get("intent"))
    if state and not intent:
        problems.append("no sessionState.intent")
    bot = _mapping(event.get("bot"))
    locale_id = _text(bot.get("localeId"))
    locale = _LOCALES.get(locale_id.replace("-", "_").lower())
    if locale is None:
        problems.append(f"unsupported locale {locale_id or '(none)'}")
    raw_slots = intent.get("slots")
    if raw_slots is not None and not isinstance(raw_slots, Mapping):
        problems.append("slots is not an object")
    source_text = _text(event.get("invocationSource"))
    source = next(
        (s for s in InvocationSource if s.value == source_text and s.value), InvocationSource.UNKNOWN
    )
    if source is InvocationSource.UNKNOWN:
        problems.append(f"unknown invocationSource {source_text or '(none)'}")
    proposed = _mapping(_mapping(event.get("proposedNextState")).get("dialogAction"))
    return LexRequest(
        invocation_source=source,
        input_mode=_text(event.get("inputMode")),
        input_transcript=_text(event.get("inputTranscript"))[:MAX_TRANSCRIPT_CHARS],
        session_id=_text(event.get("sessionId")),
        locale=locale or Locale.EN_US,
        locale_id=locale_id,
        bot_name=_text(bot.get("name")),
        intent_name=_text(intent.get("name")),
        intent_state=_text(intent.get("state")),
        confirmation_state=_text(intent.get("confirmationState")) or "None",
        slots=_slots(raw_slots, problems),
        raw_slots=dict(raw_slots) if isinstance(raw_slots, Mapping) else {},
        session_attributes=_string_map(state.get("sessionAttributes"), "sessionAttributes", problems),
        request_attributes=_string_map(event.get("requestAttributes"), "requestAttributes", problems),
        proposed_slot=_text(proposed.get("slotToElicit")),
        originating_request_id=_text(state.get("originatingRequestId")),
        nlu_confidence=_confidence(event.get("interpretations"), _text(intent.get("name"))),
        problems=tuple(problems),
    )


def _shallow_fields(event: Mapping[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    intent = _mapping(_mapping(event.get("sessionState")).get("intent"))
    return {
        "invocationSource": text(event.get("invocationSource")),
        "inputMode": text(event.get("inputMode")),
        "sessionId": text(event.get("sessionId")),
        "bot": {"localeId": text(_mapping(event.get("bot")).get("localeId"))},
        "sessionState": {"intent": {"name": text(intent.get("name")), "state": "InProgress"}},
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _slots(raw: Any, problems: list[str]) -> dict[str, SlotValue]:
    slots: dict[str, SlotValue] = {}
    for name, slot in _mapping(raw).items():
        if slot is None:
            continue  # not filled yet: Lex sends null
        value = _slot_value(slot)
        if value is None:
            problems.append(f"slot {name} has no readable value")
        else:
            slots[str(name)] = value
    return slots


def _slot_value(slot: Any) -> SlotValue | None:
    """A scalar slot's value; for a list slot, its first value."""
    if not isinstance(slot, Mapping):
        return None
    value = _mapping(slot.get("value"))
    if not value and isinstance(slot.get("values"), list) and slot["values"]:
        return _slot_value(slot["values"][0])
    interpreted = _text(value.get("interpretedValue"))
    original = _text(value.get("originalValue"))
    resolved = value.get("resolvedValues")
    resolved_values = tuple(_text(v) for v in resolved if _text(v)) if isinstance(resolved, list) else ()
    if not (interpreted or original or resolved_values):
        return None
    return SlotValue(
        interpreted or (resolved_values[0] if resolved_values else original), original, resolved_values
    )


def _string_map(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, item in _mapping(value).items():
        if isinstance(item, str):
            result[str(key)] = item
        elif isinstance(item, bool):
            result[str(key)] = "true" if item else "false"
        elif isinstance(item, (int, float)):
            result[str(key)] = str(item)
        elif item is not None:
            problems.append(f"{where}.{key} is not a string")
    return result


def _confidence(interpretations: Any, intent_name: str) -> float | None:
    """The NLU confidence of the chosen intent: a number, or {"score": n}, or absent."""
    if not isinstance(interpretations, list):
        return None
    for interpretation in interpretations:
        if not isinstance(interpretation, Mapping):
            continue
        if _text(_mapping(interpretation.get("intent")).get("name")) != intent_name:
            continue
        raw = interpretation.get("nluConfidence")
        if isinstance(raw, Mapping):
            raw = raw.get("score")
        try:
            return bounded_number(raw, "nluConfidence", low=0.0, high=1.0)  # a score, finite, 0 to 1
        except UntrustedInput:
            return None
    return None
