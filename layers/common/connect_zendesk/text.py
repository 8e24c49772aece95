"""Text a contact flow will speak: SSML-safe, short, and in the caller's language."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from connect_zendesk.messages import Locale, message

# Characters that break SSML (<, >, &) or that text-to-speech reads aloud as symbols.
_DROP = re.compile(r"[<>\"{}\[\]\\|*_#~^`=]")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def speakable(text: str | None, locale: Locale, max_chars: int = 80) -> str:
    """Plain text safe inside <speak>…</speak>, trimmed at a word boundary."""
    cleaned = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text or "")
    cleaned = cleaned.replace("&", f" {message(locale, 'and')} ")
    cleaned = _SPACES.sub(" ", _DROP.sub(" ", cleaned)).strip()
    if len(cleaned) <= max_chars:
        return cleaned
    cut = cleaned[:max_chars]
    ends_on_boundary = cleaned[max_chars] == " "
    if " " in cut and not ends_on_boundary and not _CJK.search(cut):
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-")


def first_name(full_name: str) -> str:
    """What a greeting uses. Names written in Chinese, Japanese or Korean script are used whole,
    because their first token is the family name; the flow adds the honorific."""
    name = full_name.strip()
    if not name or _CJK.search(name):
        return name.replace(" ", "")
    return name.split()[0]


def time_ago(moment: datetime, now: datetime, locale: Locale) -> str:
    seconds = max((now - moment).total_seconds(), 0)
    for unit, size in (("years", 365 * 86400), ("months", 30 * 86400), ("days", 86400), ("hours", 3600)):
        count = int(seconds // size)
        if count:
            return _ago(locale, unit, count)
    minutes = int(seconds // 60)
    return _ago(locale, "minutes", minutes) if minutes else message(locale, "ago.now")


def _ago(locale: Locale, unit: str, count: int) -> str:
    return message(locale, f"ago.{unit}.one") if count == 1 else message(locale, f"ago.{unit}", count=count)
