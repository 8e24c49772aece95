"""Masking of personal data before it reaches a log line.

Code logs masked values on purpose (`mask_phone`, `mask_email`, ...); `scrub` is the safety net that
the log formatter runs over every record, so a phone number or email that slips into a message or an
exception text is still masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-])[\w.-]*(\.[a-z]{2,})\b", re.IGNORECASE)
# E.164 (+ and 8-15 digits, separators allowed) or North-American style (415) 555-2671 / 415-555-2671.
# Bare digit runs are left alone: they are Zendesk ids, which logs need.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d[\d\s().-]{6,18}\d|\(\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}|\d{2,4}[.\s-]\d{3,4}[.\s-]\d{4})(?!\w)"
)

_SAFE_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "sampling_rate",
        "contact_id",
        "step",
    }
)


def mask_phone(number: str | None) -> str:
    """'+14155552671' -> '+1*******671': enough to tell calls apart, not enough to dial."""
    if not number:
        return ""
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 4:
        return "*" * len(digits)
    prefix = "+" + digits[0] if number.strip().startswith("+") else digits[0]
    return f"{prefix}{'*' * (len(digits) - 4)}{digits[-3:]}"


def mask_email(address: str | None) -> str:
    if not address or "@" not in address:
        return "***" if address else ""
    local, _, domain = address.partition("@")
    tld = "." + domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@{domain[:1]}***{tld}"


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return " ".join(part[:1] + "***" for part in name.split())


def mask_text(text: str | None) -> str:
    """Transcript and free text are never logged, only their size."""
    return f"<{len(text or '')} chars>"


def scrub_text(text: str) -> str:
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}***{m.group(3)}", text)
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def scrub(value: Any, key: str | None = None) -> Any:
    """Recursively mask phone numbers and emails in a log record (keys in _SAFE_KEYS are kept)."""
    if key in _SAFE_KEYS:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        # Keys are masked too: a mapping logged as a count by key (kinds ignored, fields unknown) has
        # keys that came from the event.
        return {scrub_text(str(k)): scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # Anything else (an exception in stack_trace, an object in `extra`) is logged as its text.
    return scrub_text(str(value))
