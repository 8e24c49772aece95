"""Caller numbers: any format Connect or Zendesk hands us, to E.164 or a reason we cannot."""

from __future__ import annotations

import phonenumbers
import pytest
from connect_zendesk.phone import (
    MAX_RAW_LENGTH,
    CallerNumber,
    Unusable,
    UnusableReason,
    normalise,
    same_number,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

SF_MOBILE = CallerNumber("+14155552671", "US")


@pytest.mark.parametrize(
    "raw",
    [
        "+14155552671",
        "+1 (415) 555-2671",
        "415-555-2671",
        "(415) 555 2671",
        "415.555.2671",
        "415/555/2671",
        "1 415 555 2671",
        "  +1 415 555 2671\t",
        "+\u0661\u0664\u0661\u0665\u0665\u0665\u0665\u0662\u0666\u0667\u0661",  # Arabic-Indic digits
        "\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11",  # full-width digits
    ],
)
def test_given_us_formats_when_normalised_then_e164_with_region(raw: str) -> None:
    assert normalise(raw, "US") == SF_MOBILE


@pytest.mark.parametrize(
    ("raw", "e164", "region"),
    [
        ("+44 20 7946 0958", "+442079460958", "GB"),
        ("+81 90-1234-5678", "+819012345678", "JP"),
        ("+82 10-1234-5678", "+821012345678", "KR"),
        ("+86 138 0013 8000", "+8613800138000", "CN"),
    ],
)
def test_given_foreign_number_with_prefix_when_normalised_then_region_is_the_numbers_country(
    raw: str, e164: str, region: str
) -> None:
    assert normalise(raw, "US") == CallerNumber(e164, region)


def test_given_national_number_and_default_region_when_normalised_then_default_region_applies() -> None:
    assert normalise("020 7946 0958", "GB") == CallerNumber("+442079460958", "GB")
    assert normalise("090-1234-5678", "JP") == CallerNumber("+819012345678", "JP")


def test_given_non_geographic_number_when_normalised_then_region_is_the_world_code() -> None:
    assert normalise("+800 1234 5678", "US") == CallerNumber("+80012345678", "001")


def test_given_unassigned_nanp_number_and_foreign_default_region_then_region_is_nanp() -> None:
    found = normalise("+1 555 555 5555", "GB")

    assert isinstance(found, CallerNumber)
    assert found.region == "US"


def test_given_national_number_too_long_for_e164_when_normalised_then_invalid() -> None:
    assert normalise("10000000000000", "JP") == Unusable(UnusableReason.INVALID)


@pytest.mark.parametrize(("raw", "region"), [("0000000000", "JP"), ("0000000", "KR")])
def test_given_junk_national_number_when_normalised_then_result_is_stable_or_invalid(
    raw: str, region: str
) -> None:
    found = normalise(raw, region)

    assert not isinstance(found, CallerNumber) or normalise(found.e164, "US") == found


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_given_no_number_when_normalised_then_missing(raw: str | None) -> None:
    assert normalise(raw, "US") == Unusable(UnusableReason.MISSING)


@pytest.mark.parametrize(
    "raw",
    ["anonymous", "Anonymous", " PRIVATE ", "unknown", "Restricted", "unavailable", "WITHHELD", "blocked"],
)
def test_given_withheld_word_when_normalised_then_withheld(raw: str) -> None:
    assert normalise(raw, "US") == Unusable(UnusableReason.WITHHELD)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "415-555-CALL",
        "+1 415 555 2671 ext 5",
        "sip:+14155552671@example.com",
        "+1415555267;DROP",
        "0",
        "+",
        "123",
        "+1 415",
        "1" * (MAX_RAW_LENGTH + 1),
        "+1 " + " " * (MAX_RAW_LENGTH - 14) + "(415) 555-2671",  # valid number, but too long a string
    ],
)
def test_given_malformed_number_when_normalised_then_invalid(raw: str) -> None:
    assert normalise(raw, "US") == Unusable(UnusableReason.INVALID)


def test_given_raw_exactly_at_the_length_limit_when_normalised_then_still_parsed() -> None:
    raw = "+1 (415) 555-2671".center(MAX_RAW_LENGTH)
    assert len(raw) == MAX_RAW_LENGTH

    assert normalise(raw, "US") == SF_MOBILE


def test_given_national_number_and_unusable_region_when_normalised_then_invalid() -> None:
    # phonenumbers cannot place a national number without a region: NumberParseException.
    assert normalise("415 555 2671", "ZZ") == Unusable(UnusableReason.INVALID)


def test_unusable_reasons_are_the_flow_facing_strings() -> None:
    assert {reason.value for reason in UnusableReason} == {
        "NoCallerNumber",
        "Anonymous",
        "NotTelephoneEndpoint",
        "InvalidNumber",
    }
    assert str(UnusableReason.WITHHELD) == "Anonymous"


def test_national_digits_are_the_number_without_country_code() -> None:
    assert SF_MOBILE.national_digits == "4155552671"
    assert CallerNumber("+442079460958", "GB").national_digits == "2079460958"


@pytest.mark.parametrize("stored", ["+1 (415) 555-2671", "415-555-2671", "(415) 555 2671", "+14155552671"])
def test_same_number_matches_any_stored_format(stored: str) -> None:
    assert same_number(stored, SF_MOBILE)


@pytest.mark.parametrize(
    "stored", [None, "", "anonymous", "415-555-2672", "+44 415 555 2671", "not a number"]
)
def test_same_number_rejects_other_or_unusable_numbers(stored: str | None) -> None:
    assert not same_number(stored, SF_MOBILE)


def test_same_number_reads_national_numbers_in_the_callers_region() -> None:
    london = normalise("+44 20 7946 0958", "US")
    assert isinstance(london, CallerNumber)

    assert same_number("020 7946 0958", london)
    assert not same_number("020 7946 0958", SF_MOBILE)


# ----------------------------------------------------------------------------- properties

_REGIONS = st.sampled_from(["US", "GB", "JP", "KR", "CN", "DE", "AU", "BR", "IN", "FR"])
_PHONEISH = st.text(alphabet="+0123456789 ()-./", max_size=MAX_RAW_LENGTH + 5)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.none(), st.text(max_size=60), _PHONEISH), region=_REGIONS)
def test_property_normalise_never_raises_and_returns_a_known_shape(raw: str | None, region: str) -> None:
    found = normalise(raw, region)

    assert isinstance(found, (CallerNumber, Unusable))
    if isinstance(found, CallerNumber):
        assert found.e164.startswith("+")
        assert found.e164[1:].isascii()
        assert found.e164[1:].isdigit()


@settings(max_examples=300, deadline=None)
@given(raw=_PHONEISH, region=_REGIONS, other_region=_REGIONS)
def test_property_every_e164_returned_renormalises_to_itself(
    raw: str, region: str, other_region: str
) -> None:
    found = normalise(raw, region)
    if not isinstance(found, CallerNumber):
        return

    again = normalise(found.e164, other_region)

    assert again == found
    assert same_number(found.e164, found)


@st.composite
def _real_numbers(draw: st.DrawFn) -> tuple[str, str, str]:
    """A real-looking number of a region (its example number with new last digits), in one format."""
    region = draw(_REGIONS)
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]))
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    digits = str(example.national_number)
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    parsed = phonenumbers.parse(f"+{example.country_code}{digits[:-3]}{tail}")
    style = draw(
        st.sampled_from([PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.NATIONAL])
    )
    return (
        phonenumbers.format_number(parsed, style),
        region,
        phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
    )


@settings(max_examples=300, deadline=None)
@given(number=_real_numbers(), other_region=_REGIONS)
def test_property_real_numbers_in_any_format_normalise_to_a_stable_e164(
    number: tuple[str, str, str], other_region: str
) -> None:
    formatted, region, e164 = number

    found = normalise(formatted, region)

    assert isinstance(found, CallerNumber)
    assert found.e164 == e164
    assert normalise(found.e164, other_region) == found
    assert same_number(formatted, found)
    assert same_number(found.e164, found)


@settings(max_examples=200, deadline=None)
@given(
    area=st.integers(200, 999),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
)
def test_property_same_number_is_symmetric_in_us_formats(area: int, exchange: int, line: int) -> None:
    formats = [
        f"+1 ({area}) {exchange}-{line:04d}",
        f"{area}-{exchange}-{line:04d}",
        f"({area}) {exchange} {line:04d}",
        f"1{area}{exchange}{line:04d}",
    ]
    e164 = f"+1{area}{exchange}{line:04d}"

    for caller in (normalise(raw, "US") for raw in formats):
        assert isinstance(caller, CallerNumber)
        assert caller.e164 == e164
        for stored in formats:
            assert same_number(stored, caller)
