"""Where Lex V2's built-in slot types exist, for the four locales of the bot.

From the Lex V2 developer guide, "Built-in slot types" (docs.aws.amazon.com/lexv2/latest/dg/
built-in-slots.html), read 2026-11: Date, Time, Number, EmailAddress, PhoneNumber, FreeFormInput and
the other listed types are marked "All locales"; AMAZON.AlphaNumeric is not offered in Korean
(ko-KR); AMAZON.Confirmation and AMAZON.Currency were English-only in earlier revisions of that page,
so they are treated as English-only here. The bot uses only types of the first group.
"""

from __future__ import annotations

from connect_zendesk.messages import Locale

ALL = frozenset(Locale)
ENGLISH = frozenset({Locale.EN_US})

AVAILABILITY: dict[str, frozenset[Locale]] = {
    "AMAZON.City": ALL,
    "AMAZON.Country": ALL,
    "AMAZON.Date": ALL,
    "AMAZON.Duration": ALL,
    "AMAZON.EmailAddress": ALL,
    "AMAZON.FirstName": ALL,
    "AMAZON.FreeFormInput": ALL,
    "AMAZON.LastName": ALL,
    "AMAZON.Number": ALL,
    "AMAZON.Percentage": ALL,
    "AMAZON.PhoneNumber": ALL,
    "AMAZON.State": ALL,
    "AMAZON.StreetName": ALL,
    "AMAZON.Time": ALL,
    "AMAZON.AlphaNumeric": ALL - {Locale.KO_KR},
    "AMAZON.Confirmation": ENGLISH,
    "AMAZON.Currency": ENGLISH,
    "AMAZON.UKPostalCode": frozenset(),
}


def available_in(slot_type: str) -> frozenset[Locale]:
    """Locales where the built-in type exists (none for a type this table does not know)."""
    return AVAILABILITY.get(slot_type, frozenset())
