"""Caller-facing messages, one catalogue per locale (en_US, ja_JP, ko_KR, zh_CN).

Messages are plain text that is safe inside SSML: values interpolated into them must come through
`connect_zendesk.text.speakable`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from connect_zendesk.messages import en_US, ja_JP, ko_KR, zh_CN


class Locale(enum.StrEnum):
    EN_US = "en_US"
    JA_JP = "ja_JP"
    KO_KR = "ko_KR"
    ZH_CN = "zh_CN"


CATALOGUES: Mapping[Locale, Mapping[str, str]] = {
    Locale.EN_US: en_US.MESSAGES,
    Locale.JA_JP: ja_JP.MESSAGES,
    Locale.KO_KR: ko_KR.MESSAGES,
    Locale.ZH_CN: zh_CN.MESSAGES,
}


def locale_for(language_code: str | None) -> Locale:
    """'ja-JP', 'ja_JP', 'ja' -> ja_JP; zh-TW and zh-HK get Mandarin (zh_CN), the only Chinese locale
    Lex and the catalogue offer; anything unsupported falls back to en_US."""
    language = (language_code or "").strip().lower().replace("_", "-").split("-")[0]
    return {"ja": Locale.JA_JP, "ko": Locale.KO_KR, "zh": Locale.ZH_CN}.get(language, Locale.EN_US)


def message(locale: Locale, key: str, **values: object) -> str:
    return CATALOGUES[locale][key].format(**values)
