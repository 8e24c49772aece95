"""Caller numbers: from whatever Connect or a flow hands us to E.164, or a reason we cannot."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import phonenumbers

MAX_RAW_LENGTH = 40
MAX_E164_LENGTH = 16  # '+' and 15 digits
_WITHHELD = frozenset({"anonymous", "private", "unknown", "restricted", "unavailable", "withheld", "blocked"})
_ALLOWED = re.compile(r"^[+\d\s().\-/]+$")


class UnusableReason(enum.StrEnum):
    MISSING = "NoCallerNumber"
    WITHHELD = "Anonymous"
    NOT_TELEPHONE = "NotTelephoneEndpoint"
    INVALID = "InvalidNumber"


@dataclass(frozen=True)
class CallerNumber:
    e164: str
    region: str  # ISO country of the number, e.g. "US"; used to parse numbers stored without a prefix

    @property
    def national_digits(self) -> str:
        parsed = phonenumbers.parse(self.e164)
        return phonenumbers.national_significant_number(parsed)


@dataclass(frozen=True)
class Unusable:
    reason: UnusableReason


def normalise(raw: str | None, default_region: str) -> CallerNumber | Unusable:
    """Parse a caller number into E.164; anything withheld, malformed or impossible is Unusable."""
    text = (raw or "").strip()
    if not text:
        return Unusable(UnusableReason.MISSING)
    if text.lower() in _WITHHELD:
        return Unusable(UnusableReason.WITHHELD)
    parsed = _parse(text, default_region)
    if parsed is None:
        return Unusable(UnusableReason.INVALID)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    )
    return CallerNumber(e164, region)


def _parse(text: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    """The number, if it is possible and comes out as real E.164.

    "Possible" is lenient (unassigned ranges still pass, which keeps new numbers working), but the
    result must have at most 15 digits and read back as itself.
    """
    if len(text) > MAX_RAW_LENGTH or not _ALLOWED.match(text):
        return None
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return parsed if len(e164) <= MAX_E164_LENGTH and _round_trips(e164) else None


def _round_trips(e164: str) -> bool:
    reparsed = phonenumbers.parse(e164)
    return phonenumbers.format_number(reparsed, phonenumbers.PhoneNumberFormat.E164) == e164


def same_number(stored: str | None, caller: CallerNumber) -> bool:
    """Whether a number as stored in Zendesk (any format) is the caller's number."""
    found = normalise(stored, caller.region)
    return isinstance(found, CallerNumber) and found.e164 == caller.e164


def can_receive_sms(e164: str) -> bool:
    """Whether the number may be a mobile: SMS to a fixed line is wasted (and billed)."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(parsed)
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
