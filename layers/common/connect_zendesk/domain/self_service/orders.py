"""OrderStatus, ChangeShippingDate and CancelOrder, for orders placed with the caller's phone number.

Orders are keyed by the phone number that placed them, so a caller can only ever reach their own:
another number's order answers exactly like an order that does not exist. An order that shipped, was
delivered or was cancelled cannot change, and the condition on the write re-checks that at the moment
of writing, should the warehouse ship it while the caller is still talking.
"""

from __future__ import annotations

from datetime import date, timedelta

from connect_zendesk.domain.models import ORDER_STATUSES, Order
from connect_zendesk.domain.ports import OrderNotChangeable
from connect_zendesk.domain.self_service.notify import send_sms
from connect_zendesk.domain.self_service.turn import Turn, iso_day
from connect_zendesk.lex.event import InvocationSource
from connect_zendesk.lex.intents import YES, SlotName
from connect_zendesk.lex.response import Button, LexReply
from connect_zendesk.spoken_time import spoken_date
from connect_zendesk.text import speakable

ITEMS_CHARS = 60
MAX_LISTED = 5
_STATUSES = frozenset(ORDER_STATUSES)


def order_status(turn: Turn) -> LexReply:
    found = _order(turn)
    if not isinstance(found, Order):
        return found
    if turn.request.invocation_source is InvocationSource.DIALOG:
        return turn.ready()
    return turn.finished(_describe(turn, found))


def change_shipping_date(turn: Turn) -> LexReply:
    found = _order(turn)
    if not isinstance(found, Order):
        return found
    if not found.changeable:
        return turn.finished(_locked(turn, found), fulfilled=False)
    first, last = _reschedule_window(turn)
    wanted = _date(turn)
    if wanted is None or not first <= wanted <= last:
        given = bool(turn.slot_text(SlotName.SHIPPING_DATE))
        turn.clear_slot(SlotName.SHIPPING_DATE)
        if not given:
            return turn.elicit_slot(SlotName.SHIPPING_DATE)
        window = turn.say(
            "bot.order.bad_ship_date",
            first=spoken_date(first, turn.locale),
            last=spoken_date(last, turn.locale),
        )
        return turn.elicit_slot(SlotName.SHIPPING_DATE, window)
    spoken = spoken_date(wanted, turn.locale)
    if wanted == found.ship_date:
        return turn.finished(
            turn.say("bot.order.same_date", order_id=found.order_id, date=spoken), fulfilled=False
        )
    if turn.sms_number and not turn.slot_text(SlotName.SMS_CONFIRMATION):
        return turn.elicit_slot(SlotName.SMS_CONFIRMATION, buttons=turn.yes_no_buttons())
    if turn.request.invocation_source is InvocationSource.DIALOG:
        if turn.request.confirmation_state == "Denied":
            return turn.finished(turn.say("bot.order.kept", order_id=found.order_id), fulfilled=False)
        if turn.request.confirmation_state != "Confirmed":
            return turn.confirm(
                turn.say("bot.order.reschedule_confirm", order_id=found.order_id, date=spoken)
            )
        return turn.ready()
    try:
        turn.services.self_service.reschedule_order(found, wanted)
    except OrderNotChangeable:
        return _changed_meanwhile(turn, found)
    texts = [turn.say("bot.order.rescheduled", order_id=found.order_id, date=spoken)]
    if _wants_sms(turn) and send_sms(turn, "sms.order_rescheduled", order_id=found.order_id, date=spoken):
        texts.append(turn.say("bot.sms.sent"))
    return turn.finished(*texts)


def cancel_order(turn: Turn) -> LexReply:
    found = _order(turn)
    if not isinstance(found, Order):
        return found
    if not found.changeable:
        return turn.finished(_locked(turn, found), fulfilled=False)
    if turn.sms_number and not turn.slot_text(SlotName.SMS_CONFIRMATION):
        return turn.elicit_slot(SlotName.SMS_CONFIRMATION, buttons=turn.yes_no_buttons())
    if turn.request.invocation_source is InvocationSource.DIALOG:
        if turn.request.confirmation_state == "Denied":
            return turn.finished(turn.say("bot.order.kept", order_id=found.order_id), fulfilled=False)
        if turn.request.confirmation_state != "Confirmed":
            return turn.confirm(
                turn.say("bot.order.cancel_confirm", order_id=found.order_id, items=_items(turn, found))
            )
        return turn.ready()
    try:
        turn.services.self_service.cancel_order(found)
    except OrderNotChangeable:
        return _changed_meanwhile(turn, found)
    texts = [turn.say("bot.order.cancelled", order_id=found.order_id)]
    if _wants_sms(turn) and send_sms(turn, "sms.order_cancelled", order_id=found.order_id):
        texts.append(turn.say("bot.sms.sent"))
    return turn.finished(*texts)


# ---------------------------------------------------------------------------- shared
def _order(turn: Turn) -> Order | LexReply:
    """The order the caller means: the number they gave, or their only order; else a question."""
    number = turn.caller_number
    if number is None:
        return turn.finished(turn.say("bot.order.no_number"), fulfilled=False)
    store = turn.services.self_service
    given = turn.number_slot(SlotName.ORDER_NUMBER)
    if given == "invalid":
        turn.clear_slot(SlotName.ORDER_NUMBER)
        return turn.elicit_slot(
            SlotName.ORDER_NUMBER, turn.say("bot.order.bad_number"), turn.prompt("bot.prompt.order_number")
        )
    if isinstance(given, int):
        order = store.order(number.e164, given)
        if order is None:
            turn.clear_slot(SlotName.ORDER_NUMBER)
            return turn.elicit_slot(
                SlotName.ORDER_NUMBER,
                turn.say("bot.order.not_found", order_id=given),
                turn.prompt("bot.prompt.order_number"),
            )
        return order
    orders = store.orders_for(number.e164)
    if not orders:
        return turn.finished(turn.say("bot.order.none"), fulfilled=False)
    if len(orders) == 1:
        return orders[0]
    listed = orders[:MAX_LISTED]
    return turn.elicit_slot(
        SlotName.ORDER_NUMBER,
        turn.say("bot.order.which", count=len(orders), orders=", ".join(str(o.order_id) for o in listed)),
        buttons=tuple(Button(str(o.order_id), str(o.order_id)) for o in listed),
    )


def _describe(turn: Turn, order: Order) -> str:
    items = _items(turn, order)
    when = order.delivered_date if order.status == "delivered" else order.ship_date
    if order.status == "cancelled":
        return turn.say("bot.order.status.cancelled", order_id=order.order_id, items=items)
    if when is None or order.status not in ("processing", "scheduled", "shipped", "delivered"):
        status = turn.say(f"order_status.{order.status}") if order.status in _STATUSES else order.status
        return turn.say("bot.order.status.undated", order_id=order.order_id, items=items, status=status)
    key = f"bot.order.status.{order.status}"
    return turn.say(key, order_id=order.order_id, items=items, date=spoken_date(when, turn.locale))


def _items(turn: Turn, order: Order) -> str:
    return speakable(order.items, turn.locale, max_chars=ITEMS_CHARS)


def _locked(turn: Turn, order: Order) -> str:
    status = order.status if order.status in ("shipped", "delivered", "cancelled") else "shipped"
    return turn.say(f"bot.order.locked.{status}", order_id=order.order_id)


def _changed_meanwhile(turn: Turn, order: Order) -> LexReply:
    current = turn.services.self_service.order(order.phone, order.order_id) or order
    return turn.finished(_locked(turn, current), fulfilled=False)


def _reschedule_window(turn: Turn) -> tuple[date, date]:
    """From tomorrow to the configured number of days ahead, in the contact center's time zone."""
    today = turn.now.astimezone(turn.services.settings.callbacks.hours.zone).date()
    return today + timedelta(days=1), today + timedelta(days=turn.services.settings.order_reschedule_max_days)


def _date(turn: Turn) -> date | None:
    value = turn.slot(SlotName.SHIPPING_DATE)
    for text in value.candidates if value else ():
        day = iso_day(text)
        if day is not None:
            return day
    return None


def _wants_sms(turn: Turn) -> bool:
    return turn.slot_text(SlotName.SMS_CONFIRMATION).lower() == YES
