"""ScheduleCallback, CheckCallback and CancelCallback.

A callback goes to the number the caller is calling from, in a slot of the contact center's business
hours (its own time zone), at least a lead time ahead and at most a number of days ahead, in a slot
with a free place. The place is taken with a conditional write at fulfillment, so two callers racing
for the last place cannot both get it; the one who loses is offered the next free time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from connect_zendesk.domain.models import CallbackBooking, NewTicket
from connect_zendesk.domain.ports import CallbackChanged, SlotFull
from connect_zendesk.domain.self_service import zendesk_writes
from connect_zendesk.domain.self_service.notify import send_sms
from connect_zendesk.domain.self_service.turn import Turn, iso_day
from connect_zendesk.domain.ticket_lookup import open_tickets
from connect_zendesk.errors import ZendeskError
from connect_zendesk.lex.event import InvocationSource
from connect_zendesk.lex.intents import YES, SlotName
from connect_zendesk.lex.response import LexReply
from connect_zendesk.spoken_time import spoken_slot

SUGGESTION_SCAN = 96  # open slots checked for a free place, in one BatchGetItem
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
# AMAZON.Time answers vague times with these codes; each is a range of local wall-clock hours.
PERIODS = {
    "MO": (time(6), time(12)),
    "AF": (time(12), time(17)),
    "EV": (time(17), time(21)),
    "NI": (time(21), time(23, 59)),
}


@dataclass(frozen=True)
class Problem:
    key: str  # what is wrong with the requested time
    values: dict[str, object]


# ---------------------------------------------------------------------------- ScheduleCallback
def schedule_callback(turn: Turn) -> LexReply:
    number = turn.caller_number
    if number is None:
        return turn.finished(turn.say("bot.callback.no_number"), fulfilled=False)
    day = _requested_day(turn)
    if day is None:
        return _ask_day(turn)
    if not turn.slot_text(SlotName.CALLBACK_TIME):
        return turn.elicit_slot(SlotName.CALLBACK_TIME)
    start = _requested_start(turn, day)
    if start is None:
        turn.clear_slot(SlotName.CALLBACK_TIME)
        return turn.elicit_slot(
            SlotName.CALLBACK_TIME, turn.say("bot.callback.bad_time"), turn.prompt("bot.prompt.callback_time")
        )
    problem = _problem(turn, start)
    if problem is not None:
        return _suggest(turn, problem, after=max(start, _earliest(turn)), day=day)
    existing = _active_booking(turn, number.e164)
    when = _when(turn, start)
    if existing is not None and existing.slot_start == start:
        return turn.finished(turn.say("bot.callback.same", when=when), fulfilled=False)
    if turn.sms_number and not turn.slot_text(SlotName.SMS_CONFIRMATION):
        return turn.elicit_slot(SlotName.SMS_CONFIRMATION, buttons=turn.yes_no_buttons())
    if turn.request.invocation_source is InvocationSource.DIALOG:
        if turn.request.confirmation_state == "Denied":
            return turn.finished(turn.say("bot.prompt.declined"), fulfilled=False)
        if turn.request.confirmation_state != "Confirmed":
            if existing is not None:
                old = _when(turn, existing.slot_start)
                return turn.confirm(turn.say("bot.callback.confirm_move", old=old, when=when))
            return turn.confirm(turn.say("bot.callback.confirm", when=when))
        return turn.ready()
    return _book(turn, number.e164, start, existing)


def _book(turn: Turn, phone: str, start: datetime, existing: CallbackBooking | None) -> LexReply:
    hours = turn.services.settings.callbacks.hours
    booking = CallbackBooking(
        phone=phone,
        slot_start=start,
        slot_end=hours.slot_end(start),
        time_zone=hours.time_zone,
        contact_id=turn.contact_id,
        zendesk_user_id=turn.user_id(),
        ticket_id=turn.selected_ticket(),
        locale=turn.locale.value,
        sms_opt_in=turn.slot_text(SlotName.SMS_CONFIRMATION).lower() == YES,
    )
    try:
        turn.services.self_service.book_callback(
            booking, capacity=turn.services.settings.callbacks.capacity, replacing=existing, now=turn.now
        )
    except SlotFull:
        reply = _suggest(
            turn, Problem("bot.callback.full", {}), after=start, day=start.astimezone(hours.zone).date()
        )
        return turn.reset_confirmation(reply)
    except CallbackChanged:
        return turn.finished(turn.say("bot.callback.changed"), fulfilled=False)
    when = _when(turn, start)
    _note(turn, "note.callback.booked", booking, number=phone)
    texts = [turn.say("bot.callback.booked", when=when)]
    if booking.sms_opt_in and send_sms(
        turn, "sms.callback_booked", when=when, zone=_zone_name(start, hours.zone)
    ):
        texts.append(turn.say("bot.sms.sent"))
    return turn.finished(*texts)


def _requested_day(turn: Turn) -> date | None:
    value = turn.slot(SlotName.CALLBACK_DATE)
    for text in value.candidates if value else ():
        day = iso_day(text)  # AMAZON.Date answers YYYY-MM-DD, or a week or month for vague dates
        if day is not None:
            return day
    return None


def _ask_day(turn: Turn) -> LexReply:
    if turn.slot_text(SlotName.CALLBACK_DATE):
        turn.clear_slot(SlotName.CALLBACK_DATE)
        return turn.elicit_slot(
            SlotName.CALLBACK_DATE, turn.say("bot.callback.bad_date"), turn.prompt("bot.prompt.callback_date")
        )
    return turn.elicit_slot(SlotName.CALLBACK_DATE)


def _requested_start(turn: Turn, day: date) -> datetime | None:
    """The slot asked for. "At three" may mean 03:00 or 15:00: the reading inside business hours wins;
    "in the afternoon" takes the first free slot of that period."""
    value = turn.slot(SlotName.CALLBACK_TIME)
    if value is None:
        return None
    hours = turn.services.settings.callbacks.hours
    readings: list[datetime] = []
    for text in value.candidates:
        period = PERIODS.get(text.upper())
        if period is not None:
            free = _free_slots(turn, _at(day, period[0], turn), _at(day, period[1], turn), limit=1)
            if free:
                return free[0]
            readings.append(_at(day, period[0], turn))
            continue
        match = _HHMM.match(text)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            readings.append(hours.slot_start(_at(day, time(int(match[1]), int(match[2])), turn)))
    open_readings = [r for r in readings if hours.is_open_slot(r)]
    preferred = open_readings or readings
    return preferred[0] if preferred else None


def _at(day: date, wall: time, turn: Turn) -> datetime:
    return datetime.combine(day, wall, tzinfo=turn.services.settings.callbacks.hours.zone)


def _earliest(turn: Turn) -> datetime:
    return turn.now + timedelta(minutes=turn.services.settings.callbacks.min_lead_minutes)


def _latest(turn: Turn) -> datetime:
    return turn.now + timedelta(days=turn.services.settings.callbacks.max_days_ahead)


def _problem(turn: Turn, start: datetime) -> Problem | None:
    policy = turn.services.settings.callbacks
    if start < _earliest(turn):
        return Problem("bot.callback.past", {})
    if start >= _latest(turn):
        return Problem("bot.callback.too_far", {"days": policy.max_days_ahead})
    if not policy.hours.is_open_slot(start):
        return Problem("bot.callback.closed", {})
    if turn.services.self_service.slot_bookings([start]).get(start, 0) >= policy.capacity:
        return Problem("bot.callback.full", {})
    return None


def _free_slots(turn: Turn, after: datetime, until: datetime, limit: int) -> list[datetime]:
    policy = turn.services.settings.callbacks
    after, until = max(after, _earliest(turn)), min(until, _latest(turn))
    candidates = policy.hours.open_slots(after, until, SUGGESTION_SCAN)
    if not candidates:
        return []
    booked = turn.services.self_service.slot_bookings(candidates)
    return [s for s in candidates if booked.get(s, 0) < policy.capacity][:limit]


def _suggest(turn: Turn, problem: Problem, *, after: datetime, day: date) -> LexReply:
    """Say what is wrong and offer the next free time: ask for a new time on the same day, or for a
    new day when the next free time is on another one."""
    reason = turn.say(problem.key, **problem.values)
    free = _free_slots(turn, after, _latest(turn), limit=1) or _free_slots(
        turn, _earliest(turn), _latest(turn), 1
    )
    if not free:
        days = turn.services.settings.callbacks.max_days_ahead
        return turn.finished(reason, turn.say("bot.callback.none_free", days=days), fulfilled=False)
    suggestion = free[0]
    when = _when(turn, suggestion)
    turn.clear_slot(SlotName.CALLBACK_TIME)
    zone = turn.services.settings.callbacks.hours.zone
    if suggestion.astimezone(zone).date() == day:
        return turn.elicit_slot(
            SlotName.CALLBACK_TIME, reason, turn.say("bot.callback.suggest_time", when=when)
        )
    turn.clear_slot(SlotName.CALLBACK_DATE)
    return turn.elicit_slot(SlotName.CALLBACK_DATE, reason, turn.say("bot.callback.suggest_day", when=when))


# ---------------------------------------------------------------------------- Check and Cancel
def check_callback(turn: Turn) -> LexReply:
    number = turn.caller_number
    if number is None:
        return turn.finished(turn.say("bot.callback.no_number"), fulfilled=False)
    if turn.request.invocation_source is InvocationSource.DIALOG:
        return turn.ready()
    booking = _active_booking(turn, number.e164)
    if booking is None:
        return turn.finished(turn.say("bot.callback.none"))
    return turn.finished(turn.say("bot.callback.current", when=_when(turn, booking.slot_start)))


def cancel_callback(turn: Turn) -> LexReply:
    number = turn.caller_number
    if number is None:
        return turn.finished(turn.say("bot.callback.no_number"), fulfilled=False)
    booking = _active_booking(turn, number.e164)
    if booking is None:
        return turn.finished(turn.say("bot.callback.none"), fulfilled=False)
    when = _when(turn, booking.slot_start)
    if turn.request.invocation_source is InvocationSource.DIALOG:
        if turn.request.confirmation_state == "Denied":
            return turn.finished(turn.say("bot.callback.kept", when=when), fulfilled=False)
        if turn.request.confirmation_state != "Confirmed":
            return turn.confirm(turn.say("bot.callback.cancel_confirm", when=when))
        return turn.ready()
    try:
        turn.services.self_service.cancel_callback(booking, now=turn.now)
    except CallbackChanged:
        return turn.finished(turn.say("bot.callback.changed"), fulfilled=False)
    _note(turn, "note.callback.cancelled", booking, number=number.e164)
    texts = [turn.say("bot.callback.cancelled", when=when)]
    zone = turn.services.settings.callbacks.hours.zone
    if booking.sms_opt_in and send_sms(
        turn, "sms.callback_cancelled", to=booking.phone, when=when, zone=_zone_name(booking.slot_start, zone)
    ):
        texts.append(turn.say("bot.sms.sent"))
    return turn.finished(*texts)


# ---------------------------------------------------------------------------- shared
def _active_booking(turn: Turn, phone: str) -> CallbackBooking | None:
    booking = turn.services.self_service.callback_for(phone)
    return booking if booking is not None and booking.slot_start > turn.now else None


def _when(turn: Turn, start: datetime) -> str:
    hours = turn.services.settings.callbacks.hours
    local = start.astimezone(hours.zone)
    return spoken_slot(local, hours.slot_end(local), turn.locale)


def _zone_name(moment: datetime, zone: object) -> str:
    return moment.astimezone(zone).tzname() or str(zone)  # type: ignore[arg-type]


def _note(turn: Turn, key: str, booking: CallbackBooking, *, number: str) -> None:
    """Put the callback on the caller's ticket: the one this call is about, else their newest open
    ticket, else a new "Callback request" ticket. Best effort: the booking stands either way."""
    user_id = turn.user_id()
    if user_id is None:
        return
    zone = turn.services.settings.callbacks.hours.zone
    body = turn.say(
        key,
        when=_when(turn, booking.slot_start),
        zone=_zone_name(booking.slot_start, zone),
        number=number,
        contact_id=turn.contact_id or turn.say("note.unknown"),
    )
    ticket_id = booking.ticket_id or turn.owned_attribute("discussedTicketId")
    try:
        if ticket_id is None:
            newest = next(iter(open_tickets(user_id, turn.services)), None)
            ticket_id = newest.id if newest else None
        if ticket_id is None:
            created = zendesk_writes.ticket_once(
                turn,
                purpose="callback",
                new=NewTicket(
                    subject=turn.say("note.subject.callback"),
                    body=body,
                    requester_id=user_id,
                    public=False,
                    tags=(*zendesk_writes.tags(turn), "callback"),
                ),
            )
            turn.outcome.selected_ticket_id = turn.outcome.selected_ticket_id or created.id
            return
    except ZendeskError as exc:  # a note is a side effect: the booking stands
        zendesk_writes.note_failed(exc, ticket_id)
        return
    zendesk_writes.add_note(turn, ticket_id, body)
