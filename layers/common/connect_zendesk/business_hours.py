"""Opening hours of the callback team, read from configuration, in the contact center's time zone.

The configuration is a short text such as ``Mon-Fri 09:00-17:00; Sat 10:00-13:00``: entries separated
by ``;``, each a day, a day range or a comma list of days, then one or more ``HH:MM-HH:MM`` ranges.
Times are wall-clock times in the configured IANA zone, so a callback at 09:00 stays at 09:00 when
daylight saving time starts or ends.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class InvalidBusinessHours(ValueError):
    """The business-hours text, time zone or slot length cannot be used."""


@dataclass(frozen=True)
class OpeningRange:
    start_minute: int  # minutes after local midnight
    end_minute: int

    def contains(self, minute: int, length: int) -> bool:
        return self.start_minute <= minute and minute + length <= self.end_minute


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening ranges (index 0 = Monday) in one time zone, cut into equal slots."""

    time_zone: str = "America/New_York"
    weekly: tuple[tuple[OpeningRange, ...], ...] = tuple(
        (OpeningRange(9 * 60, 17 * 60),) if day < 5 else () for day in range(7)
    )
    slot_minutes: int = 30

    @classmethod
    def parse(cls, text: str, time_zone: str, slot_minutes: int) -> BusinessHours:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidBusinessHours(f"unknown time zone {time_zone!r}") from None
        if slot_minutes <= 0 or (24 * 60) % slot_minutes:
            raise InvalidBusinessHours("the slot length must divide a day (e.g. 15, 30 or 60 minutes)")
        weekly: list[list[OpeningRange]] = [[] for _ in DAYS]
        entries = [entry.strip() for entry in text.split(";") if entry.strip()]
        if not entries:
            raise InvalidBusinessHours("no opening hours given, e.g. 'Mon-Fri 09:00-17:00'")
        for entry in entries:
            days_text, _, ranges_text = entry.partition(" ")
            ranges = [_opening_range(part) for part in ranges_text.replace(",", " ").split()]
            if not ranges:
                raise InvalidBusinessHours(f"{entry!r} names no HH:MM-HH:MM range")
            for day in _days(days_text):
                weekly[day].extend(ranges)
        for ranges in weekly:
            ranges.sort(key=lambda r: r.start_minute)
            for earlier, later in itertools.pairwise(ranges):
                if later.start_minute < earlier.end_minute:
                    raise InvalidBusinessHours("opening ranges of one day overlap")
        return cls(time_zone, tuple(tuple(day) for day in weekly), slot_minutes)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def slot_start(self, moment: datetime) -> datetime:
        """The start of the slot holding `moment` (aware), in the business time zone."""
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        start = minute - minute % self.slot_minutes
        return _local(local.date(), start, self.zone)

    def is_open_slot(self, start: datetime) -> bool:
        """Whether a whole slot starting at `start` lies inside the opening hours of its day."""
        local = start.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        if minute % self.slot_minutes or local.second or local.microsecond:
            return False
        return any(r.contains(minute, self.slot_minutes) for r in self.weekly[local.weekday()])

    def slots_on(self, day: date) -> list[datetime]:
        """Every open slot of a local calendar day, in order."""
        starts: list[datetime] = []
        for opening in self.weekly[day.weekday()]:
            first = -(-opening.start_minute // self.slot_minutes) * self.slot_minutes
            for minute in range(first, opening.end_minute - self.slot_minutes + 1, self.slot_minutes):
                start = _local(day, minute, self.zone)
                if _exists(start) and self.is_open_slot(start):
                    starts.append(start)
        return starts

    def open_slots(self, after: datetime, until: datetime, limit: int) -> list[datetime]:
        """Open slots starting at or after `after` and before `until`, at most `limit` of them."""
        found: list[datetime] = []
        day = after.astimezone(self.zone).date()
        while len(found) < limit and _local(day, 0, self.zone) < until:
            found += [s for s in self.slots_on(day) if after <= s < until][: limit - len(found)]
            day += timedelta(days=1)
        return found

    def slot_end(self, start: datetime) -> datetime:
        return start + timedelta(minutes=self.slot_minutes)


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def _exists(local: datetime) -> bool:
    """False for a wall-clock time that a daylight-saving change skips (e.g. 02:30 in spring)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise InvalidBusinessHours(f"{text!r}: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise InvalidBusinessHours(f"{text!r}: a day range runs forward, e.g. Mon-Fri")
        days.extend(range(start, end + 1))
    return days


def _opening_range(text: str) -> OpeningRange:
    match = _RANGE.match(text)
    if not match:
        raise InvalidBusinessHours(f"{text!r} is not an HH:MM-HH:MM range")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
        raise InvalidBusinessHours(f"{text!r} is not a valid time range")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end <= start:
        raise InvalidBusinessHours(f"{text!r} ends before it starts")
    return OpeningRange(start, end)
