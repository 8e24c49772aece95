"""Text a contact flow speaks: SSML-safe, short, in the caller's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from connect_zendesk.messages import CATALOGUES, Locale, message
from connect_zendesk.text import first_name, speakable, time_ago
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _ssml(spoken: str) -> ET.Element:
    """Parse the text placed inside <speak>, as Connect would; raises ParseError when it is not XML."""
    return ET.fromstring(f"<speak>{spoken}</speak>")  # noqa: S314 - our own output, the point of the test


# ----------------------------------------------------------------------------- speakable


@pytest.mark.parametrize("char", list('<>"{}[]\\|*_#~^`='))
def test_speakable_drops_characters_that_break_ssml_or_are_read_as_symbols(char: str) -> None:
    assert speakable(f"printer{char}offline", Locale.EN_US) == "printer offline"


def test_speakable_keeps_ordinary_punctuation() -> None:
    text = "Can't print, page 2 of 3: error 0x1F? (again) - 50% done!"

    assert speakable(text, Locale.EN_US, max_chars=200) == text


@pytest.mark.parametrize("locale", list(Locale))
def test_speakable_replaces_ampersand_with_the_locale_word_for_and(locale: Locale) -> None:
    word = message(locale, "and")

    assert speakable("Sales&Billing", locale) == f"Sales {word} Billing"
    assert speakable("Sales & Billing", locale) == f"Sales {word} Billing"


def test_speakable_collapses_whitespace_and_control_characters() -> None:
    text = "  printer\n\toffline\r\n\x00since\u200bMonday\x7f\u2028now  "

    assert speakable(text, Locale.EN_US) == "printer offline since Monday now"


@pytest.mark.parametrize("text", [None, "", "   ", "<>", "\x00\x01"])
def test_speakable_of_nothing_is_empty(text: str | None) -> None:
    assert speakable(text, Locale.EN_US) == ""


def test_speakable_markup_is_neutralised_so_it_cannot_inject_ssml() -> None:
    spoken = speakable('<break time="10s"/>Refund &amp; <prosody rate="x-fast">now</prosody>', Locale.EN_US)
    document = _ssml(spoken)

    assert list(document) == []  # no child elements: the tags did not survive
    assert document.text == spoken
    assert "<" not in spoken
    assert "&" not in spoken


def test_speakable_short_text_is_returned_whole() -> None:
    assert speakable("printer offline", Locale.EN_US, max_chars=15) == "printer offline"


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("Printer offline since the upgrade yesterday", 20, "Printer offline"),
        ("Hello, world and more", 8, "Hello"),  # "Hello, w" -> word boundary -> trailing comma stripped
        ("Invoice 42; refund requested", 12, "Invoice 42"),
        ("Supercalifragilisticexpialidocious", 10, "Supercalif"),  # one word: hard cut
    ],
)
def test_speakable_truncates_latin_text_at_a_word_boundary(text: str, max_chars: int, expected: str) -> None:
    assert speakable(text, Locale.EN_US, max_chars=max_chars) == expected


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("プリンターがオフラインになりました。再起動しても直りません", Locale.JA_JP),
        ("打印机 离线 重启 后 仍然 无法 使用 请 帮助", Locale.ZH_CN),  # spaces, but CJK: cut at max_chars
        ("프린터가 오프라인 상태입니다 도와주세요", Locale.KO_KR),
    ],
)
def test_speakable_truncates_cjk_text_at_max_chars(text: str, locale: Locale) -> None:
    spoken = speakable(text, locale, max_chars=10)

    assert spoken == text[:10].rstrip(" ,.;:-")
    assert len(spoken) >= 9


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), locale=st.sampled_from(list(Locale)), max_chars=st.integers(1, 120))
def test_property_speakable_output_is_well_formed_ssml_text(
    text: str, locale: Locale, max_chars: int
) -> None:
    spoken = speakable(text, locale, max_chars=max_chars)

    document = _ssml(spoken)

    assert (document.text or "") == spoken
    assert len(spoken) <= max_chars
    assert spoken == spoken.strip()
    assert "  " not in spoken
    assert not any(ch in spoken for ch in '<>&"\n\t')


# ----------------------------------------------------------------------------- first_name


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Jane Doe", "Jane"),
        ("  Jane   Q.  Doe ", "Jane"),
        ("Cher", "Cher"),
        ("山田 太郎", "山田太郎"),  # family name first: used whole
        ("山田太郎", "山田太郎"),
        ("김 민수", "김민수"),
        ("王 小明", "王小明"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_first_name(full_name: str, expected: str) -> None:
    assert first_name(full_name) == expected


# ----------------------------------------------------------------------------- time_ago

_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "months": 30 * 86400, "years": 365 * 86400}


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("unit", list(_SECONDS))
def test_time_ago_singular_for_every_unit_and_locale(locale: Locale, unit: str) -> None:
    moment = NOW - timedelta(seconds=_SECONDS[unit])

    assert time_ago(moment, NOW, locale) == CATALOGUES[locale][f"ago.{unit}.one"]


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("unit", list(_SECONDS))
def test_time_ago_plural_for_every_unit_and_locale(locale: Locale, unit: str) -> None:
    moment = NOW - timedelta(seconds=_SECONDS[unit] * 3)

    spoken = time_ago(moment, NOW, locale)

    assert spoken == CATALOGUES[locale][f"ago.{unit}"].format(count=3)
    assert "3" in spoken


@pytest.mark.parametrize("locale", list(Locale))
def test_time_ago_under_a_minute_and_in_the_future_is_now(locale: Locale) -> None:
    just_now = CATALOGUES[locale]["ago.now"]

    assert time_ago(NOW, NOW, locale) == just_now
    assert time_ago(NOW - timedelta(seconds=59), NOW, locale) == just_now
    assert time_ago(NOW + timedelta(hours=2), NOW, locale) == just_now  # clock skew


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(seconds=60), "a minute ago"),
        (timedelta(seconds=119), "a minute ago"),
        (timedelta(minutes=2), "2 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "an hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "yesterday"),
        (timedelta(days=29), "29 days ago"),
        (timedelta(days=30), "a month ago"),
        (timedelta(days=364), "12 months ago"),
        (timedelta(days=365), "a year ago"),
        (timedelta(days=3 * 365 + 10), "3 years ago"),
    ],
)
def test_time_ago_picks_the_largest_whole_unit(age: timedelta, expected: str) -> None:
    assert time_ago(NOW - age, NOW, Locale.EN_US) == expected


def test_time_ago_in_cjk_locales_reads_naturally() -> None:
    three_days = NOW - timedelta(days=3)

    assert time_ago(three_days, NOW, Locale.JA_JP) == "3日前"
    assert time_ago(three_days, NOW, Locale.KO_KR) == "3일 전"
    assert time_ago(three_days, NOW, Locale.ZH_CN) == "3天前"


def test_given_a_cut_exactly_at_a_word_end_when_made_speakable_then_the_word_is_kept() -> None:
    assert speakable("printer offline today", Locale.EN_US, max_chars=15) == "printer offline"
