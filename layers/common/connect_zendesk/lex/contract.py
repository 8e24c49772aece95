"""The Lex V2 code-hook response contract (CONTRACTS.md section C), as a checker.

The handler runs every response through it before answering, so a bug that builds an invalid
response ends in a polite fallback instead of a Lex error the caller hears as silence; the contract
tests run every sample event through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DIALOG_ACTIONS = frozenset({"Close", "ConfirmIntent", "Delegate", "ElicitIntent", "ElicitSlot"})
INTENT_STATES = frozenset(
    {"Failed", "Fulfilled", "FulfillmentInProgress", "InProgress", "ReadyForFulfillment", "Waiting"}
)
CONFIRMATION_STATES = frozenset({"Confirmed", "Denied", "None"})
CONTENT_TYPES = frozenset({"PlainText", "SSML", "CustomPayload", "ImageResponseCard"})
NEEDS_MESSAGES = frozenset({"ElicitIntent", "ConfirmIntent"})
NO_INTENT_NEEDED = frozenset({"Delegate", "ElicitIntent"})
MAX_CONTENT_CHARS = 1000


def response_problems(response: Any) -> list[str]:
    """Every way `response` breaks the contract; empty when Lex will accept it."""
    if not isinstance(response, Mapping):
        return ["response is not an object"]
    state = response.get("sessionState")
    if not isinstance(state, Mapping):
        return ["sessionState is required"]
    problems: list[str] = []
    action = state.get("dialogAction")
    if not isinstance(action, Mapping) or action.get("type") not in DIALOG_ACTIONS:
        return [f"sessionState.dialogAction.type must be one of {sorted(DIALOG_ACTIONS)}"]
    action_type = action["type"]
    slot_to_elicit = action.get("slotToElicit")
    if action_type == "ElicitSlot" and not (isinstance(slot_to_elicit, str) and slot_to_elicit):
        problems.append("ElicitSlot needs slotToElicit")
    if action_type != "ElicitSlot" and slot_to_elicit:
        problems.append("slotToElicit is only for ElicitSlot")
    problems += _intent_problems(state.get("intent"), str(action_type), slot_to_elicit)
    problems += _string_map_problems(state.get("sessionAttributes"), "sessionAttributes")
    problems += _string_map_problems(response.get("requestAttributes"), "requestAttributes")
    messages = response.get("messages")
    if action_type in NEEDS_MESSAGES and not messages:
        problems.append(f"{action_type} needs messages")
    problems += _message_problems(messages)
    return problems


def _intent_problems(intent: Any, action_type: str, slot_to_elicit: Any) -> list[str]:
    if intent is None:
        return [] if action_type in NO_INTENT_NEEDED else [f"{action_type} needs sessionState.intent"]
    if not isinstance(intent, Mapping):
        return ["sessionState.intent is not an object"]
    problems: list[str] = []
    if not (isinstance(intent.get("name"), str) and intent["name"]):
        problems.append("intent.name is required")
    state = intent.get("state")
    if action_type not in NO_INTENT_NEEDED and state not in INTENT_STATES:
        problems.append(f"intent.state must be one of {sorted(INTENT_STATES)}")
    if state == "ReadyForFulfillment" and action_type != "Delegate":
        problems.append("intent.state ReadyForFulfillment is only allowed with Delegate")
    confirmation = intent.get("confirmationState", "None")
    if confirmation not in CONFIRMATION_STATES:
        problems.append("intent.confirmationState must be Confirmed, Denied or None")
    slots = intent.get("slots", {})
    if slots is not None and not isinstance(slots, Mapping):
        problems.append("intent.slots must be an object")
    elif action_type == "ElicitSlot" and isinstance(slots, Mapping) and slots and slot_to_elicit not in slots:
        problems.append("slotToElicit names a slot the intent does not have")
    return problems


def _string_map_problems(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [f"{where} must be an object"]
    return [f"{where}.{k} must be a string" for k, v in value.items() if not isinstance(v, str)]


def _message_problems(messages: Any) -> list[str]:
    if messages is None:
        return []
    if not isinstance(messages, list):
        return ["messages must be a list"]
    problems: list[str] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            problems.append(f"{where} is not an object")
            continue
        content_type = message.get("contentType")
        if content_type not in CONTENT_TYPES:
            problems.append(f"{where}.contentType must be one of {sorted(CONTENT_TYPES)}")
        elif content_type == "ImageResponseCard":
            problems += _card_problems(message.get("imageResponseCard"), where)
        else:
            content = message.get("content")
            if not (isinstance(content, str) and content.strip()):
                problems.append(f"{where}.content is required")
            elif len(content) > MAX_CONTENT_CHARS:
                problems.append(f"{where}.content is longer than {MAX_CONTENT_CHARS} characters")
            elif content_type == "SSML" and not (
                content.startswith("<speak>") and content.endswith("</speak>")
            ):
                problems.append(f"{where} SSML must be one <speak> element")
    return problems


def _card_problems(card: Any, where: str) -> list[str]:
    if not isinstance(card, Mapping) or not isinstance(card.get("title"), str) or not card["title"]:
        return [f"{where}.imageResponseCard needs a title"]
    buttons = card.get("buttons", [])
    if not isinstance(buttons, list) or len(buttons) > 5:
        return [f"{where}.imageResponseCard has at most 5 buttons"]
    return [
        f"{where}.imageResponseCard button {i} needs text and value of 1-50 characters"
        for i, button in enumerate(buttons)
        if not (
            isinstance(button, Mapping)
            and all(isinstance(button.get(k), str) and 1 <= len(button[k]) <= 50 for k in ("text", "value"))
        )
    ]
