"""Dates and times as a caller hears them, in their language ("Monday, November 23", "午後2時30分")."""

from __future__ import annotations

from datetime import date, datetime

from connect_zendesk.messages import Locale, message


def spoken_date(day: date, locale: Locale) -> str:
    return message(
        locale,
        "date.spoken",
        weekday=message(locale, f"weekday.{day.weekday()}"),
        month_name=message(locale, f"month.{day.month}"),
        day=day.day,
    )


def spoken_time(moment: datetime, locale: Locale) -> str:
    """A 12-hour wall-clock time of `moment` (already in the zone it is spoken in)."""
    hour = moment.hour % 12 or 12
    ampm = message(locale, "time.am" if moment.hour < 12 else "time.pm")
    if moment.minute == 0:
        return message(locale, "time.hour", hour=hour, ampm=ampm)
    return message(locale, "time.hour_minute", hour=hour, minute=f"{moment.minute:02d}", ampm=ampm)


def spoken_slot(start: datetime, end: datetime, locale: Locale) -> str:
    """ "Monday, November 23 between 2 PM and 2:30 PM": both ends in the zone of `start`."""
    end = end.astimezone(start.tzinfo)
    return message(
        locale,
        "when.slot",
        date=spoken_date(start.date(), locale),
        start=spoken_time(start, locale),
        end=spoken_time(end, locale),
    )
