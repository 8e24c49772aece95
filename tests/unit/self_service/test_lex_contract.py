"""The Lex V2 contract (CONTRACTS.md C) on the real handler: every sample event, the public reference
events and malformed events all get a response Lex accepts; the checker itself is checked too."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_doubles import FakeDesk, record_call
from connect_zendesk.errors import ZendeskTimeout
from connect_zendesk.lex.contract import response_problems
from connect_zendesk.lex.event import Channel, LexRequest
from connect_zendesk.lex.response import Button, DialogAction, LexReply, render
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from support import reference_events

Handler = Callable[[Any, Any], dict[str, Any]]
SAMPLES = sorted((PROJECT_ROOT / "events" / "lex_fulfillment").glob("*.json"))
INTENTS_WITH_SAMPLES = {
    json.loads(p.read_text(encoding="utf-8"))["sessionState"]["intent"]["name"] for p in SAMPLES
}


def context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="LexFulfillmentFunction", timeout_seconds=10)


def assert_lex_contract(response: Any) -> None:
    assert response_problems(response) == []
    json.dumps(response)  # serialisable as Lex needs it


# ---------------------------------------------------------------------------- sample and reference events
def test_the_samples_cover_a_dialog_and_a_fulfillment_event_of_every_intent_and_every_locale() -> None:
    from connect_zendesk.lex.intents import IntentName

    sources: dict[str, set[str]] = {}
    locales, modes = set(), set()
    for path in SAMPLES:
        event = json.loads(path.read_text(encoding="utf-8"))
        sources.setdefault(event["sessionState"]["intent"]["name"], set()).add(event["invocationSource"])
        locales.add(event["bot"]["localeId"])
        modes.add(event["inputMode"])
    assert {name: sources.get(name.value) for name in IntentName} == {
        name: {"DialogCodeHook", "FulfillmentCodeHook"} for name in IntentName
    }
    assert locales == {"en_US", "ja_JP", "ko_KR", "zh_CN"}
    assert {"Speech", "DTMF", "Text"} <= modes


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_event_gets_a_contract_response(bot: Handler, path: Path) -> None:
    response = bot(json.loads(path.read_text(encoding="utf-8")), context())

    assert_lex_contract(response)


@pytest.mark.parametrize("path", reference_events("lexv2_*.json"), ids=lambda p: p.stem)
def test_every_reference_event_gets_a_contract_response(bot: Handler, path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))

    response = bot(event, context())

    assert_lex_contract(response)
    if "messages" in response:  # unknown intents (BookCar, CheckBalance) are answered with the menu
        assert response["sessionState"]["dialogAction"]["type"] == "ElicitIntent"


MALFORMED: dict[str, Any] = {
    "not_an_object": "hello",
    "a_list": [1, 2],
    "null": None,
    "empty": {},
    "no_session_state": {
        "invocationSource": "DialogCodeHook",
        "inputTranscript": "hi",
        "bot": {"localeId": "en_US"},
    },
    "session_state_not_an_object": {"sessionState": "x", "invocationSource": "DialogCodeHook"},
    "null_slots": {
        "invocationSource": "DialogCodeHook",
        "bot": {"localeId": "en_US"},
        "sessionState": {"intent": {"name": "CheckTicketStatus", "slots": None, "state": "InProgress"}},
    },
    "slots_not_an_object": {
        "invocationSource": "FulfillmentCodeHook",
        "bot": {"localeId": "ja_JP"},
        "sessionState": {"intent": {"name": "OrderStatus", "slots": ["OrderNumber"], "state": "InProgress"}},
    },
    "unknown_intent": {
        "invocationSource": "DialogCodeHook",
        "bot": {"localeId": "ko_KR"},
        "sessionState": {"intent": {"name": "BookHotel", "slots": {}, "state": "InProgress"}},
    },
    "number_confidence_and_odd_attributes": {
        "invocationSource": "DialogCodeHook",
        "bot": {"localeId": "zh_CN"},
        "interpretations": [{"intent": {"name": "SpeakToAgent"}, "nluConfidence": 0.87}],
        "sessionState": {
            "sessionAttributes": {"count": 3, "flag": True, "nested": {"a": 1}, "none": None},
            "intent": {"name": "SpeakToAgent", "slots": {"Email": None}, "state": "InProgress"},
        },
    },
    "object_confidence_garbage_slot": {
        "invocationSource": "DialogCodeHook",
        "inputMode": "Text",
        "bot": {"localeId": "fr_FR"},
        "interpretations": [{"intent": {"name": "CheckTicketStatus"}, "nluConfidence": {"score": "high"}}],
        "sessionState": {"intent": {"name": "CheckTicketStatus", "slots": {"TicketNumber": {"value": {}}}}},
    },
    "unknown_invocation_source": {
        "invocationSource": "Elsewhere",
        "bot": {"localeId": "en_US"},
        "sessionState": {"intent": {"name": "EndConversation", "slots": {}, "confirmationState": "Maybe"}},
    },
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_event_still_gets_a_contract_response(bot: Handler, name: str) -> None:
    response = bot(MALFORMED[name], context())

    assert_lex_contract(response)
    if response["sessionState"]["dialogAction"]["type"] != "Delegate":  # Delegate: Lex goes on to fulfil
        assert response.get("messages"), "the caller must hear something"


def test_an_unknown_intent_is_answered_with_what_the_bot_can_do(bot: Handler) -> None:
    response = bot(MALFORMED["unknown_intent"], context())

    assert response["sessionState"]["dialogAction"]["type"] == "ElicitIntent"
    assert response["messages"][0]["content"] == "<speak>죄송합니다, 잘 알아듣지 못했습니다.</speak>"


# ---------------------------------------------------------------------------- failures outside the turn
def test_given_a_broken_configuration_when_called_then_every_turn_hands_over_politely(
    aws: Template, bot_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBACK_BUSINESS_HOURS", "whenever")
    forget_loaded_handlers()
    handler = load_handler(aws.function("lex_fulfillment"))

    response = handler(json.loads(SAMPLES[0].read_text(encoding="utf-8")), context())

    assert_lex_contract(response)
    assert response["sessionState"]["dialogAction"]["type"] == "Close"
    assert response["sessionState"]["sessionAttributes"]["handoff"] == "true"
    forget_loaded_handlers()


@pytest.fixture
def slow_zendesk(desk: FakeDesk) -> Iterator[FakeDesk]:
    desk.block = threading.Event()  # every Zendesk call waits for it
    yield desk
    # Let the abandoned turn finish (failing fast) while moto still plays AWS, as Lambda would freeze it.
    desk.fail_with = ZendeskTimeout("released")
    desk.block.set()
    for thread in threading.enumerate():
        if thread.name == "budgeted-work":
            thread.join(timeout=10)


def test_given_zendesk_hangs_when_the_budget_runs_out_then_the_caller_hears_an_apology_and_handoff(
    aws: Template, bot_env: dict[str, str], slow_zendesk: FakeDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connect_zendesk.services import Services, use_services
    from connect_zendesk.settings import Settings
    from unit_doubles import NOW

    monkeypatch.setenv("LEX_TIME_BUDGET_MS", "500")
    settings = Settings.from_env({**bot_env, "LEX_TIME_BUDGET_MS": "500"})
    forget_loaded_handlers()
    services = Services(settings, zendesk=slow_zendesk, clock=NOW.timestamp)
    with use_services(services):
        handler = load_handler(aws.function("lex_fulfillment"))
        event = json.loads(
            (SAMPLES[0].parent / "check_ticket_status_fulfillment.json").read_text(encoding="utf-8")
        )
        attributes = event["sessionState"]["sessionAttributes"]
        record_call(services, attributes["contactId"], attributes["callerNumber"])  # caller_lookup ran
        response = handler(event, context())

    assert_lex_contract(response)
    assert response["messages"][0]["content"] == "<speak>Sorry, our systems are busy right now.</speak>"
    assert response["sessionState"]["sessionAttributes"]["handoff"] == "true"
    forget_loaded_handlers()


def test_given_a_reply_that_breaks_the_contract_when_answering_then_a_safe_handoff_goes_out_instead(
    bot: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connect_zendesk.domain.self_service import dispatcher
    from connect_zendesk.lex.intents import IntentName

    monkeypatch.setitem(
        dispatcher.HANDLERS,
        IntentName.CHECK_CALLBACK,
        lambda turn: LexReply(DialogAction.ELICIT_SLOT, messages=("?",), intent_name="CheckCallback"),
    )
    event = json.loads((SAMPLES[0].parent / "check_callback_dialog.json").read_text(encoding="utf-8"))

    response = bot(event, context())

    assert_lex_contract(response)
    assert response["sessionState"]["dialogAction"]["type"] == "Close"
    assert response["messages"][0]["content"] == "<speak>Sorry, something went wrong on our side.</speak>"


# ---------------------------------------------------------------------------- rendering
def test_voice_messages_are_ssml_with_markup_escaped_and_within_lexs_length() -> None:
    reply = LexReply(DialogAction.ELICIT_INTENT, messages=("Tom & Jerry <b>", "x" * 1500))

    response = render(reply, Channel.VOICE)

    assert_lex_contract(response)
    assert response["messages"][0]["content"] == "<speak>Tom &amp; Jerry &lt;b&gt;</speak>"
    assert len(response["messages"][1]["content"]) <= 1000


def test_chat_gets_plain_text_and_a_card_whose_buttons_lex_accepts() -> None:
    buttons = tuple(Button(f"choice {n} " + "y" * 60, f"value {n}") for n in range(7))
    reply = LexReply(DialogAction.ELICIT_INTENT, messages=("Pick one",), buttons=buttons, card_title="Choose")

    response = render(reply, Channel.CHAT)

    assert_lex_contract(response)
    assert response["messages"][0] == {"contentType": "PlainText", "content": "Pick one"}
    card = response["messages"][1]["imageResponseCard"]
    assert card["title"] == "Choose"
    assert len(card["buttons"]) == 5
    assert all(len(b["text"]) <= 50 for b in card["buttons"])


def test_voice_never_gets_a_card() -> None:
    reply = LexReply(DialogAction.ELICIT_INTENT, messages=("Pick",), buttons=(Button("a", "a"),))

    assert [m["contentType"] for m in render(reply, Channel.VOICE)["messages"]] == ["SSML"]


# ---------------------------------------------------------------------------- the checker
VALID = {
    "sessionState": {
        "dialogAction": {"type": "ElicitSlot", "slotToElicit": "TicketNumber"},
        "intent": {"name": "CheckTicketStatus", "state": "InProgress", "slots": {"TicketNumber": None}},
        "sessionAttributes": {"a": "b"},
    },
    "messages": [{"contentType": "PlainText", "content": "Which ticket?"}],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(VALID))
    *parents, leaf = path.split(".")
    target = document
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    index: Any = int(leaf) if isinstance(target, list) else leaf
    if value is _DELETE:
        del target[index]
    else:
        target[index] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("sessionState", _DELETE, "sessionState is required"),
        ("sessionState.dialogAction.type", "Jump", "dialogAction.type must be one of"),
        ("sessionState.dialogAction.slotToElicit", _DELETE, "ElicitSlot needs slotToElicit"),
        (
            "sessionState.dialogAction.slotToElicit",
            "Nope",
            "slotToElicit names a slot the intent does not have",
        ),
        ("sessionState.intent", _DELETE, "ElicitSlot needs sessionState.intent"),
        ("sessionState.intent.name", "", "intent.name is required"),
        ("sessionState.intent.state", "Done", "intent.state must be one of"),
        ("sessionState.intent.state", "ReadyForFulfillment", "only allowed with Delegate"),
        ("sessionState.intent.confirmationState", "Maybe", "confirmationState must be"),
        ("sessionState.intent.slots", [], "intent.slots must be an object"),
        ("sessionState.sessionAttributes", {"n": 1}, "sessionAttributes.n must be a string"),
        ("sessionState.sessionAttributes", "x", "sessionAttributes must be an object"),
        ("messages", "hi", "messages must be a list"),
        ("messages.0.contentType", "Video", "contentType must be one of"),
        ("messages.0.content", "", "content is required"),
        ("messages.0.content", "x" * 1001, "longer than 1000"),
        ("messages.0", {"contentType": "SSML", "content": "no speak tag"}, "one <speak> element"),
        ("messages.0", {"contentType": "ImageResponseCard", "imageResponseCard": {}}, "needs a title"),
        ("messages.0", 7, "is not an object"),
    ],
)
def test_the_checker_names_each_broken_rule(path: str, value: Any, problem: str) -> None:
    assert response_problems(VALID) == []

    problems = response_problems(_with(path, value))

    assert any(problem in p for p in problems), problems


def test_the_checker_requires_messages_where_lex_does() -> None:
    elicit = {"sessionState": {"dialogAction": {"type": "ElicitIntent"}}}
    confirm = {
        "sessionState": {
            "dialogAction": {"type": "ConfirmIntent"},
            "intent": {"name": "X", "state": "InProgress"},
        }
    }

    assert response_problems(elicit) == ["ElicitIntent needs messages"]
    assert response_problems(confirm) == ["ConfirmIntent needs messages"]
    assert response_problems({"sessionState": {"dialogAction": {"type": "Delegate"}}}) == []
    assert response_problems("nope") == ["response is not an object"]


def test_the_checker_limits_card_buttons() -> None:
    card = {"title": "t", "buttons": [{"text": "a", "value": "a"}] * 6}
    too_many = {
        "sessionState": {"dialogAction": {"type": "ElicitIntent"}},
        "messages": [{"contentType": "ImageResponseCard", "imageResponseCard": card}],
    }
    bad_button = json.loads(json.dumps(too_many))
    bad_button["messages"][0]["imageResponseCard"]["buttons"] = [{"text": "", "value": "a"}]

    assert response_problems(too_many) == ["messages[0].imageResponseCard has at most 5 buttons"]
    assert "needs text and value" in response_problems(bad_button)[0]


def test_unit_request_defaults_describe_an_empty_turn() -> None:
    request = LexRequest()

    assert request.channel is Channel.VOICE
    assert request.contact_id == ""
    assert INTENTS_WITH_SAMPLES
