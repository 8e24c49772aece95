"""Caller-facing message catalogues and the locale choice."""

from __future__ import annotations

import string

import pytest
from connect_zendesk.messages import CATALOGUES, Locale, locale_for, message

REFERENCE = CATALOGUES[Locale.EN_US]
OTHER_LOCALES = [locale for locale in Locale if locale is not Locale.EN_US]


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_every_locale_has_a_catalogue() -> None:
    assert set(CATALOGUES) == set(Locale)
    assert {locale.value for locale in Locale} == {"en_US", "ja_JP", "ko_KR", "zh_CN"}


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_catalogue_has_exactly_the_keys_of_en_us(locale: Locale) -> None:
    catalogue = CATALOGUES[locale]

    assert set(catalogue) - set(REFERENCE) == set(), "keys unknown to en_US"
    assert set(REFERENCE) - set(catalogue) == set(), "keys missing from this locale"


@pytest.mark.parametrize("locale", OTHER_LOCALES)
@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_message_uses_exactly_the_placeholders_of_en_us(locale: Locale, key: str) -> None:
    assert _placeholders(CATALOGUES[locale][key]) == _placeholders(REFERENCE[key])


@pytest.mark.parametrize("locale", list(Locale))
def test_every_message_is_non_empty_ssml_safe_text(locale: Locale) -> None:
    for key, text in CATALOGUES[locale].items():
        assert text.strip(), key
        assert not set(text) & set("<>&"), key


@pytest.mark.parametrize("locale", list(Locale))
def test_every_message_formats_with_its_placeholders(locale: Locale) -> None:
    for key, template in CATALOGUES[locale].items():
        values = dict.fromkeys(_placeholders(template), "X")

        assert "{" not in message(locale, key, **values), key


def test_message_interpolates_values() -> None:
    spoken = message(Locale.EN_US, "tickets.one", ticket_id=123, subject="printer offline", ago="yesterday")

    assert spoken == "I see ticket 123 about printer offline, updated yesterday."


def test_message_with_a_missing_value_raises_key_error() -> None:
    with pytest.raises(KeyError):
        message(Locale.EN_US, "tickets.one", ticket_id=123)


def test_unknown_message_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        message(Locale.JA_JP, "no.such.key")


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [
        ("en-US", Locale.EN_US),
        ("en_GB", Locale.EN_US),
        ("ja-JP", Locale.JA_JP),
        ("ja_JP", Locale.JA_JP),
        ("ja", Locale.JA_JP),
        ("JA-jp", Locale.JA_JP),
        (" ja-JP ", Locale.JA_JP),
        ("ko_KR", Locale.KO_KR),
        ("ko-KR", Locale.KO_KR),
        ("zh-CN", Locale.ZH_CN),
        ("zh-TW", Locale.ZH_CN),  # the only Chinese catalogue
        ("fr-FR", Locale.EN_US),
        ("es", Locale.EN_US),
        ("", Locale.EN_US),
        ("   ", Locale.EN_US),
        (None, Locale.EN_US),
    ],
)
def test_locale_for(language_code: str | None, locale: Locale) -> None:
    assert locale_for(language_code) is locale


@pytest.mark.parametrize("code", ["jav", "kok", "zho-x", "kor"])
def test_given_three_letter_language_codes_when_mapped_then_only_exact_subtags_match(code: str) -> None:
    assert locale_for(code) is Locale.EN_US
