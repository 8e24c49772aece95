"""OrderStatus, ChangeShippingDate and CancelOrder: orders keyed by the caller's phone, changes only
while an order has not shipped, confirmation before cancelling, SMS confirmations.

Orders are the local stack's demo orders (seed/self_service_demo.json) with dates relative to the
fixed clock's day, Saturday 2026-11-21.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import boto3
import pytest
from bot_doubles import sent_sms
from connect_zendesk.adapters.dynamo import from_item, to_item
from connect_zendesk.adapters.self_service_table import order_item
from connect_zendesk.domain.models import Order
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lex_conversation import LexConversation
from connect_zendesk_local.self_service_seed import demo_orders
from unit_doubles import NOW

Talk = Callable[..., LexConversation]
JANE = "+14155552671"
TODAY = date(2026, 11, 21)


@pytest.fixture(autouse=True)
def orders(aws: Template) -> list[Order]:
    seeded = demo_orders(TODAY)
    client = boto3.client("dynamodb", region_name="us-east-1")
    for order in seeded:
        client.put_item(
            TableName=aws.physical["SelfServiceTable"].ref, Item=to_item(order_item(order, NOW.timestamp()))
        )
    return seeded


def stored(aws: Template, phone: str, order_id: int) -> dict[str, Any]:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=aws.physical["SelfServiceTable"].ref,
        Key={"pk": {"S": f"PHONE#{phone}"}, "sk": {"S": f"ORDER#{order_id}"}},
    )
    return from_item(item["Item"])


def caller(talk: Talk, phone: str = JANE, **kwargs: Any) -> LexConversation:
    return talk(caller=phone, **kwargs)


# ---------------------------------------------------------------------------- OrderStatus
@pytest.mark.parametrize(
    ("order_id", "answer"),
    [
        ("60415", "Order 60415, Wireless keyboard, is scheduled to ship on Tuesday, November 24."),
        ("58812", "Order 58812, 2 x Toner cartridge, was delivered on Sunday, November 15."),
    ],
)
def test_given_an_order_number_when_asking_then_its_status_and_date_are_read(
    talk: Talk, order_id: str, answer: str
) -> None:
    turn = caller(talk, input_mode="DTMF").say(
        order_id, intent="OrderStatus", slots={"OrderNumber": order_id}
    )

    assert turn.reply.startswith(answer)


def test_given_several_orders_and_no_number_when_asking_then_the_caller_picks_one(talk: Talk) -> None:
    bot = caller(talk, input_mode="Text")
    which = bot.say("where is my order", intent="OrderStatus")
    answer = bot.say("58812", slots={"OrderNumber": "58812"})

    assert which.reply == "You have 2 orders: 60415, 58812. Which one would you like?"
    assert which.last.buttons == ["60415", "58812"]
    assert answer.reply.startswith("Order 58812")


def test_given_a_single_order_when_asking_without_a_number_then_it_is_the_one(talk: Talk) -> None:
    turn = caller(talk, "+821023456789", locale="ko_KR").say("주문 상태 알려 주세요", intent="OrderStatus")

    assert turn.reply.startswith("70002번 주문은 무선 마우스 상품으로, 11월 14일 토요일에 발송되었습니다.")


def test_given_someone_elses_order_when_asking_then_it_sounds_exactly_like_a_missing_one(talk: Talk) -> None:
    bot = caller(talk)
    missing = bot.say("order 99999", intent="OrderStatus", slots={"OrderNumber": "99999"})
    probed = caller(talk).say("order 70001", intent="OrderStatus", slots={"OrderNumber": "70001"})  # Yamada's

    assert missing.reply.replace("99999", "N") == probed.reply.replace("70001", "N")
    assert "インク" not in probed.reply
    assert probed.dialog_action == "ElicitSlot"


def test_given_no_orders_when_asking_then_the_caller_hears_so(talk: Talk) -> None:
    turn = caller(talk, "+16175550100").say("where is my order", intent="OrderStatus")

    assert turn.reply.startswith("I don't see any orders for this phone number.")


def test_given_no_caller_number_when_asking_then_orders_stay_closed(talk: Talk) -> None:
    turn = talk(input_mode="Text").say("where is my order", intent="OrderStatus")

    assert turn.reply.startswith("I can only look up orders from the phone number they were placed with.")


def test_given_letters_for_an_order_number_when_validating_then_it_is_asked_again(talk: Talk) -> None:
    turn = caller(talk).say("the keyboard", intent="OrderStatus", slots={"OrderNumber": "keyboard"})

    assert turn.reply.startswith("That doesn't sound like an order number.")


# ---------------------------------------------------------------------------- ChangeShippingDate
def test_given_a_scheduled_order_when_moving_its_date_then_it_is_stored_and_confirmed_by_sms(
    talk: Talk, aws: Template
) -> None:
    bot = caller(talk)
    bot.say(
        "move order 60415",
        intent="ChangeShippingDate",
        slots={"OrderNumber": "60415", "ShippingDate": "2026-12-01"},
    )
    confirm = bot.say("yes", slots={"SmsConfirmation": "yes"})
    done = bot.say("yes")

    assert (
        confirm.reply
        == "I'll move the shipping date of order 60415 to Tuesday, December 1. Shall I go ahead?"
    )
    assert done.reply.startswith(
        "Order 60415 will now ship on Tuesday, December 1. I've also sent you a text message."
    )
    assert stored(aws, JANE, 60415)["shipDate"] == "2026-12-01"
    assert (JANE, "Order 60415 will now ship on Tuesday, December 1.") in sent_sms()


@pytest.mark.parametrize("day", ["2026-11-21", "2026-12-22", "2026-11"])
def test_given_a_date_outside_the_window_when_moving_then_the_window_is_given(talk: Talk, day: str) -> None:
    turn = caller(talk).say(
        "x", intent="ChangeShippingDate", slots={"OrderNumber": "60415", "ShippingDate": day}
    )

    assert turn.reply == "Please choose a shipping date between Sunday, November 22 and Monday, December 21."
    assert turn.intent["slots"]["ShippingDate"] is None


def test_given_a_shipped_order_when_moving_then_it_cannot_change(talk: Talk, aws: Template) -> None:
    turn = caller(talk, "+14155550134").say(
        "x", intent="ChangeShippingDate", slots={"OrderNumber": "60980", "ShippingDate": "2026-12-01"}
    )

    assert turn.reply.startswith("Order 60980 has already shipped, so it can't be changed.")
    assert stored(aws, "+14155550134", 60980)["status"] == "shipped"


def test_given_the_same_date_when_moving_then_nothing_changes(talk: Talk) -> None:
    turn = caller(talk).say(
        "x", intent="ChangeShippingDate", slots={"OrderNumber": "60415", "ShippingDate": "2026-11-24"}
    )

    assert turn.reply.startswith("Order 60415 is already scheduled to ship on Tuesday, November 24.")


def test_given_the_order_ships_meanwhile_when_fulfilling_then_the_change_is_refused(
    talk: Talk, aws: Template, bot_services: Services
) -> None:
    bot = caller(talk)
    bot.say("x", intent="ChangeShippingDate", slots={"OrderNumber": "60415", "ShippingDate": "2026-12-01"})
    bot.say("no", slots={"SmsConfirmation": "no"})
    shipped = Order(60415, JANE, "shipped", "Wireless keyboard", date(2026, 11, 21))
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=aws.physical["SelfServiceTable"].ref, Item=to_item(order_item(shipped, NOW.timestamp()))
    )

    turn = bot.say("yes")

    assert "Order 60415 has already shipped, so it can't be changed." in turn.reply
    assert stored(aws, JANE, 60415)["shipDate"] == "2026-11-21"


def test_given_the_caller_declines_when_moving_then_the_order_stays(talk: Talk, aws: Template) -> None:
    bot = caller(talk)
    bot.say("x", intent="ChangeShippingDate", slots={"OrderNumber": "60415", "ShippingDate": "2026-12-01"})
    bot.say("no", slots={"SmsConfirmation": "no"})

    turn = bot.say("no")

    assert turn.reply.startswith("All right, order 60415 stays as it is.")
    assert stored(aws, JANE, 60415)["shipDate"] == "2026-11-24"


# ---------------------------------------------------------------------------- CancelOrder
def test_given_an_order_not_yet_shipped_when_cancelling_then_it_is_confirmed_first(
    talk: Talk, aws: Template
) -> None:
    bot = caller(talk, "+8613800138000", locale="zh_CN")
    bot.say("取消订单70003", intent="CancelOrder", slots={"OrderNumber": "70003"})
    confirm = bot.say("不用", slots={"SmsConfirmation": "no"})
    done = bot.say("是的", answer=True)

    assert confirm.reply == "要取消订单70003，打印纸 5包吗？"
    assert done.reply.startswith("订单70003已取消。")
    assert stored(aws, "+8613800138000", 70003)["status"] == "cancelled"
    assert sent_sms() == []


def test_given_a_delivered_order_when_cancelling_then_it_cannot_change(talk: Talk, aws: Template) -> None:
    turn = caller(talk).say("cancel order 58812", intent="CancelOrder", slots={"OrderNumber": "58812"})

    assert turn.reply.startswith("Order 58812 has already been delivered, so it can't be changed.")
    assert stored(aws, JANE, 58812)["status"] == "delivered"


def test_given_the_caller_keeps_the_order_when_cancelling_then_it_stays(talk: Talk, aws: Template) -> None:
    bot = caller(talk)
    bot.say(
        "cancel order 60415", intent="CancelOrder", slots={"OrderNumber": "60415", "SmsConfirmation": "no"}
    )

    kept = bot.say("no")

    assert kept.reply.startswith("All right, order 60415 stays as it is.")
    assert stored(aws, JANE, 60415)["status"] == "scheduled"


def test_given_a_cancelled_order_when_cancelling_again_then_the_caller_hears_it_is_cancelled(
    talk: Talk,
) -> None:
    turn = caller(talk, "+13125550199").say("cancel", intent="CancelOrder", slots={"OrderNumber": "61990"})

    assert turn.reply.startswith("Order 61990 has been cancelled, so it can't be changed.")
