"""ScheduleCallback, CheckCallback and CancelCallback: business hours in the contact center's time zone
(America/New_York by default), slot capacity kept by conditional writes, notes and SMS.

The fixed clock is Saturday 2026-11-21 12:00 UTC (07:00 in New York); Monday is 2026-11-23.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from bot_doubles import FakeDesk, contact, sent_sms
from connect_zendesk.adapters.self_service_table import DynamoSelfService
from connect_zendesk.domain.models import CallbackBooking
from connect_zendesk.domain.ports import CallbackChanged, SlotFull
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.lex_conversation import BotTurn, LexConversation
from moto.dynamodb.models import DynamoDBBackend
from unit_doubles import NOW

Talk = Callable[..., LexConversation]
JANE_PHONE = "+14155552671"
MONDAY = "2026-11-23"
MONDAY_2PM = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 14:00 in New York (EST)


def book(bot: LexConversation, date: str = MONDAY, time: str = "14:00", sms: str = "no") -> list[BotTurn]:
    asked = bot.say(
        "call me back", intent="ScheduleCallback", slots={"CallbackDate": date, "CallbackTime": time}
    )
    if asked.dialog_action != "ElicitSlot" or asked.response["sessionState"]["dialogAction"][
        "slotToElicit"
    ] != ("SmsConfirmation"):
        return [asked]
    confirm = bot.say(sms, slots={"SmsConfirmation": sms})
    if confirm.dialog_action != "ConfirmIntent":
        return [asked, confirm]
    return [asked, confirm, bot.say("yes")]


def bookings(aws: Template) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb", region_name="us-east-1").scan(
        TableName=aws.physical["SelfServiceTable"].ref
    )
    return [i for i in items["Items"] if i["sk"]["S"] == "CALLBACK"]


def counter(aws: Template, start: datetime) -> int:
    item = (
        boto3.client("dynamodb", region_name="us-east-1")
        .get_item(
            TableName=aws.physical["SelfServiceTable"].ref,
            Key={"pk": {"S": "SLOT#" + start.strftime("%Y-%m-%dT%H:%M:%SZ")}, "sk": {"S": "COUNTER"}},
        )
        .get("Item")
    )
    return int(item["bookings"]["N"]) if item else 0


# ---------------------------------------------------------------------------- ScheduleCallback
def test_given_a_free_slot_when_booking_then_it_is_stored_counted_noted_and_confirmed_by_sms(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    asked, confirm, done = book(talk(contact_id=jane_call), sms="yes")

    assert asked.reply.startswith("Would you like a text message confirmation?")
    assert (
        confirm.reply
        == "I'll book a callback for Monday, November 23 between 2 PM and 2:30 PM. Shall I go ahead?"
    )
    assert done.reply.startswith("Your callback is booked for Monday, November 23 between 2 PM and 2:30 PM.")
    assert "I've also sent you a text message." in done.reply
    (booking,) = bookings(aws)
    assert booking["pk"]["S"] == f"PHONE#{JANE_PHONE}"
    assert booking["slotStart"]["S"] == "2026-11-23T19:00:00Z"
    assert booking["callbackDay"]["S"] == MONDAY
    assert booking["contactId"]["S"] == jane_call
    assert counter(aws, MONDAY_2PM) == 1
    (note,) = desk.written
    assert note.public is False
    assert note.ticket_id == 1001  # the caller's newest open ticket
    assert note.body.startswith(
        "Callback booked for Monday, November 23 between 2 PM and 2:30 PM (EST) to +14155552671"
    )
    assert sent_sms() == [
        (JANE_PHONE, "Your callback is booked for Monday, November 23 between 2 PM and 2:30 PM (EST).")
    ]
    assert contact(aws, jane_call)["fulfilledIntents"] == {"ScheduleCallback"}


@pytest.mark.parametrize(
    ("date", "time", "reason", "suggestion"),
    [
        ("2026-11-21", "06:00", "That time is too soon or has already passed.", "Which day would suit you?"),
        (
            MONDAY,
            "07:30",
            "We don't make callbacks at that time.",
            "The next free time is Monday, November 23 between 9 AM",
        ),
        (
            MONDAY,
            "20:00",
            "We don't make callbacks at that time.",
            "The next free time is Tuesday, November 24 between 9 AM",
        ),
        ("2026-11-22", "10:00", "We don't make callbacks at that time.", "Which day would suit you?"),
        (
            "2026-12-07",
            "10:00",
            "We can book callbacks up to 14 days ahead.",
            "The next free time is Monday, November 23",
        ),
    ],
)
def test_given_an_unusable_time_when_booking_then_the_reason_and_the_next_free_time_are_given(
    talk: Talk, jane_call: str, aws: Template, date: str, time: str, reason: str, suggestion: str
) -> None:
    (turn,) = book(talk(contact_id=jane_call), date=date, time=time)

    assert turn.dialog_action == "ElicitSlot"
    assert turn.reply.startswith(reason)
    assert suggestion in turn.reply
    assert bookings(aws) == []


def test_given_the_suggestion_is_the_same_day_when_asking_again_then_only_the_time_is_asked(
    talk: Talk, jane_call: str
) -> None:
    (turn,) = book(talk(contact_id=jane_call), time="07:30")

    assert turn.response["sessionState"]["dialogAction"]["slotToElicit"] == "CallbackTime"
    assert turn.intent["slots"]["CallbackDate"] is not None
    assert turn.intent["slots"]["CallbackTime"] is None


@pytest.mark.parametrize("date", ["2026-W48", "2026-11", "next week"])
def test_given_a_vague_day_when_booking_then_a_specific_day_is_asked_for(
    talk: Talk, jane_call: str, date: str
) -> None:
    turn = talk(contact_id=jane_call).say("call me", intent="ScheduleCallback", slots={"CallbackDate": date})

    assert turn.reply.startswith("Sorry, I need a specific day, for example tomorrow or next Monday.")
    assert turn.intent["slots"]["CallbackDate"] is None


def test_given_no_time_yet_when_booking_then_the_time_is_asked(talk: Talk, jane_call: str) -> None:
    turn = talk(contact_id=jane_call).say(
        "call me monday", intent="ScheduleCallback", slots={"CallbackDate": MONDAY}
    )

    assert turn.reply == "And at what time?"


def test_given_a_time_that_is_not_a_time_when_booking_then_it_is_asked_again(
    talk: Talk, jane_call: str
) -> None:
    turn = talk(contact_id=jane_call).say(
        "x", intent="ScheduleCallback", slots={"CallbackDate": MONDAY, "CallbackTime": "soonish"}
    )

    assert turn.reply.startswith("Sorry, I need a time, for example 10 AM or 2:30 PM.")


def test_given_an_ambiguous_hour_when_booking_then_the_reading_inside_business_hours_wins(
    talk: Talk, jane_call: str, bot: Callable[..., Any]
) -> None:
    conversation = talk(contact_id=jane_call)
    event = conversation.event(
        "at three",
        {
            "name": "ScheduleCallback",
            "state": "InProgress",
            "confirmationState": "None",
            "slots": {
                "CallbackDate": {
                    "value": {
                        "interpretedValue": MONDAY,
                        "originalValue": "monday",
                        "resolvedValues": [MONDAY],
                    }
                },
                "CallbackTime": {
                    "value": {
                        "interpretedValue": "03:00",
                        "originalValue": "three",
                        "resolvedValues": ["03:00", "15:00"],
                    }
                },
                "SmsConfirmation": {
                    "value": {"interpretedValue": "no", "originalValue": "no", "resolvedValues": ["no"]}
                },
            },
        },
        "DialogCodeHook",
        "Speech",
        "r-1",
    )

    response = conversation.resend(event)

    assert "between 3 PM and 3:30 PM" in response["messages"][0]["content"]


def test_given_a_period_of_the_day_when_booking_then_its_first_free_slot_is_offered(
    talk: Talk, jane_call: str
) -> None:
    _asked, confirm, _ = book(talk(contact_id=jane_call), time="AF")

    assert "Monday, November 23 between 12 PM and 12:30 PM" in confirm.reply


def test_given_a_full_slot_when_booking_then_the_next_free_time_is_offered(
    talk: Talk, jane_call: str, bot_services: Services, aws: Template
) -> None:
    store = bot_services.self_service
    for phone in ("+13125550100", "+13125550101"):  # capacity 2
        store.book_callback(_booking(phone, MONDAY_2PM), capacity=2, replacing=None, now=NOW)

    (turn,) = book(talk(contact_id=jane_call))

    assert turn.reply.startswith(
        "That time is fully booked. The next free time is Monday, November 23 between 2:30 PM"
    )
    assert counter(aws, MONDAY_2PM) == 2


def test_given_the_slot_fills_after_confirmation_when_fulfilling_then_the_caller_is_offered_another(
    bot: Callable[..., Any], jane_call: str, bot_services: Services, aws: Template
) -> None:
    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        if event["invocationSource"] == "FulfillmentCodeHook":  # two other callers were quicker
            for phone in ("+13125550100", "+13125550101"):
                bot_services.self_service.book_callback(
                    _booking(phone, MONDAY_2PM), capacity=2, replacing=None, now=NOW
                )
        return bot(event, LocalLambdaContext(function_name="LexFulfillmentFunction", timeout_seconds=10))

    conversation = LexConversation(invoke, contact_id=jane_call)
    conversation.say("x", intent="ScheduleCallback", slots={"CallbackDate": MONDAY, "CallbackTime": "14:00"})
    conversation.say("no", slots={"SmsConfirmation": "no"})

    turn = conversation.say("yes")

    assert [i.event["invocationSource"] for i in turn.invocations] == [
        "DialogCodeHook",
        "FulfillmentCodeHook",
    ]
    assert turn.dialog_action == "ElicitSlot"
    assert turn.reply.startswith("That time is fully booked.")
    assert turn.intent["confirmationState"] == "None"  # the new time will be confirmed again
    assert [b["pk"]["S"] for b in bookings(aws)].count(f"PHONE#{JANE_PHONE}") == 0
    assert counter(aws, MONDAY_2PM) == 2


def test_given_an_existing_callback_when_booking_another_then_it_moves_and_frees_its_old_place(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    book(talk(contact_id=jane_call))
    tuesday_10 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

    _, confirm, done = book(talk(contact_id=jane_call), date="2026-11-24", time="10:00")

    assert confirm.reply == (
        "I'll move your callback from Monday, November 23 between 2 PM and 2:30 PM "
        "to Tuesday, November 24 between 10 AM and 10:30 AM. Shall I go ahead?"
    )
    assert done.reply.startswith("Your callback is booked for Tuesday, November 24")
    (booking,) = bookings(aws)
    assert booking["slotStart"]["S"] == "2026-11-24T15:00:00Z"
    assert counter(aws, MONDAY_2PM) == 0
    assert counter(aws, tuesday_10) == 1


def test_given_the_same_slot_again_when_booking_then_the_caller_hears_it_is_already_booked(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    book(talk(contact_id=jane_call))

    (turn,) = book(talk(contact_id=jane_call))

    assert turn.reply.startswith(
        "Your callback is already booked for Monday, November 23 between 2 PM and 2:30 PM."
    )
    assert counter(aws, MONDAY_2PM) == 1


def test_given_the_caller_declines_when_booking_then_nothing_is_booked(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("x", intent="ScheduleCallback", slots={"CallbackDate": MONDAY, "CallbackTime": "14:00"})
    bot.say("no", slots={"SmsConfirmation": "no"})

    turn = bot.say("no")

    assert turn.reply.startswith("All right, I haven't changed anything.")
    assert bookings(aws) == []


def test_given_a_chat_without_a_number_when_booking_then_the_bot_explains_why_it_cannot(talk: Talk) -> None:
    turn = talk(input_mode="Text").say("call me back", intent="ScheduleCallback")

    assert turn.reply.startswith("I can only book callbacks to the phone number you're calling from.")


def test_given_an_unknown_caller_when_booking_then_the_callback_is_booked_without_a_ticket_note(
    talk: Talk, desk: FakeDesk, aws: Template
) -> None:
    bot = talk(caller="+12125550147")

    *_, done = book(bot)

    assert done.reply.startswith("Your callback is booked")
    assert desk.written == []
    assert desk.created == []


def test_given_a_caller_without_open_tickets_when_booking_then_a_callback_ticket_carries_the_note(
    talk: Talk, desk: FakeDesk
) -> None:
    *_, done = book(talk(caller="+13125550199"))  # Priya has no tickets

    (created,) = desk.created
    assert created.subject == "Callback request"
    assert created.public is False
    assert created.body.startswith("Callback booked for Monday, November 23")
    assert done.reply.startswith("Your callback is booked")


# ---------------------------------------------------------------------------- Check and Cancel
def test_given_a_booking_when_checking_then_its_time_is_read(talk: Talk, jane_call: str) -> None:
    none = talk(contact_id=jane_call).say("when is my callback", intent="CheckCallback")
    book(talk(contact_id=jane_call))
    booked = talk(contact_id=jane_call).say("when is my callback", intent="CheckCallback")

    assert none.reply.startswith("You don't have a callback booked.")
    assert booked.reply.startswith(
        "Your callback is booked for Monday, November 23 between 2 PM and 2:30 PM."
    )


def test_given_a_booking_when_cancelling_then_it_is_gone_its_place_freed_and_sms_sent(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    book(talk(contact_id=jane_call), sms="yes")
    bot = talk(contact_id=jane_call)

    confirm = bot.say("cancel my callback", intent="CancelCallback")
    done = bot.say("yes")

    assert confirm.reply == "Shall I cancel your callback for Monday, November 23 between 2 PM and 2:30 PM?"
    assert done.reply.startswith(
        "Your callback for Monday, November 23 between 2 PM and 2:30 PM is cancelled."
    )
    assert bookings(aws) == []
    assert counter(aws, MONDAY_2PM) == 0
    assert desk.written[-1].body.startswith(
        "Callback for Monday, November 23 between 2 PM and 2:30 PM (EST) cancelled"
    )
    assert sent_sms()[-1] == (
        JANE_PHONE,
        "Your callback for Monday, November 23 between 2 PM and 2:30 PM (EST) is cancelled.",
    )


def test_given_the_caller_keeps_the_callback_when_cancelling_then_it_stays(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    book(talk(contact_id=jane_call))
    bot = talk(contact_id=jane_call)
    bot.say("cancel my callback", intent="CancelCallback")

    kept = bot.say("no")

    assert kept.reply.startswith(
        "All right, your callback for Monday, November 23 between 2 PM and 2:30 PM stays booked."
    )
    assert len(bookings(aws)) == 1


def test_given_no_booking_when_cancelling_then_the_caller_hears_there_is_none(
    talk: Talk, jane_call: str
) -> None:
    turn = talk(contact_id=jane_call).say("cancel my callback", intent="CancelCallback")

    assert turn.reply.startswith("You don't have a callback booked.")


def test_given_the_booking_changed_meanwhile_when_cancelling_then_nothing_else_is_cancelled(
    talk: Talk, jane_call: str, bot_services: Services, aws: Template
) -> None:
    book(talk(contact_id=jane_call))
    bot = talk(contact_id=jane_call)
    bot.say("cancel my callback", intent="CancelCallback")
    tuesday = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    current = bot_services.self_service.callback_for(JANE_PHONE)
    bot_services.self_service.book_callback(
        _booking(JANE_PHONE, tuesday), capacity=2, replacing=current, now=NOW
    )

    turn = bot.say("yes")

    # the fulfillment re-reads the booking: it cancels the Tuesday one the caller now has
    assert "Tuesday, November 24" in turn.reply
    assert bookings(aws) == []


# ---------------------------------------------------------------------------- concurrency
@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DynamoDB applies each request atomically; moto's in-memory backend does not lock. Serialise the
    writes so the test exercises the conditions, as real DynamoDB would."""
    lock = threading.RLock()  # a transaction calls the backend's own item methods inside it
    for name in ("transact_write_items", "update_item", "put_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: DynamoDBBackend, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
    return


def test_given_callers_racing_for_the_last_place_when_booking_at_once_then_exactly_one_gets_it(
    aws: Template, atomic_dynamodb: None
) -> None:
    store = DynamoSelfService(aws.physical["SelfServiceTable"].ref, retention_days=30)
    phones = [f"+1312555{n:04d}" for n in range(8)]
    start = threading.Barrier(len(phones))
    outcomes: dict[str, str] = {}

    def attempt(phone: str) -> None:
        start.wait(timeout=30)  # everyone has seen the slot free; now all write at once
        try:
            store.book_callback(_booking(phone, MONDAY_2PM), capacity=1, replacing=None, now=NOW)
            outcomes[phone] = "booked"
        except SlotFull:
            outcomes[phone] = "full"

    threads = [threading.Thread(target=attempt, args=(p,)) for p in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["booked"] + ["full"] * (len(phones) - 1)
    assert len(bookings(aws)) == 1
    assert counter(aws, MONDAY_2PM) == 1  # a refused booking consumed no capacity


def test_given_one_caller_booking_twice_at_once_when_racing_then_one_booking_remains(
    aws: Template, atomic_dynamodb: None
) -> None:
    store = DynamoSelfService(aws.physical["SelfServiceTable"].ref, retention_days=30)
    slots = [MONDAY_2PM, MONDAY_2PM + timedelta(hours=1)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(slot: datetime) -> None:
        start.wait(timeout=30)
        try:
            store.book_callback(_booking(JANE_PHONE, slot), capacity=5, replacing=None, now=NOW)
            outcomes.append("booked")
        except CallbackChanged:
            outcomes.append("changed")

    threads = [threading.Thread(target=attempt, args=(s,)) for s in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked", "changed"]
    assert len(bookings(aws)) == 1
    assert sum(counter(aws, s) for s in slots) == 1


def _booking(phone: str, start: datetime) -> CallbackBooking:
    return CallbackBooking(
        phone=phone, slot_start=start, slot_end=start + timedelta(minutes=30), time_zone="America/New_York"
    )
