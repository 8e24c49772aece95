"""Decoding of Contact Lens real-time segment records (Kinesis), both published schemas.

Voice records are Version 1.0.0 (`EventType`, `LanguageCode` at the top); chat records are Version
2.0.0 (`StreamingEventType`, the language inside `StreamingSettings` or, for COMPLETED/FAILED,
`StreamingEventSettings`). Both carry STARTED, SEGMENTS and COMPLETED/FAILED events; a SEGMENTS event
lists segments each holding exactly one kind (Utterance, Transcript, Categories, PostContactSummary,
and for chat also Issues, Attachments, Event). Unknown fields, segment kinds and event types are
ignored, so a schema addition never fails a record; only a record that is not a JSON object naming a
contact is malformed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connect_zendesk.untrusted import UntrustedInput, decode_json, epoch_seconds

LIFECYCLE_EVENTS = frozenset({"STARTED", "COMPLETED", "FAILED"})
SEGMENTS = "SEGMENTS"
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,255}$")


class MalformedLensRecord(ValueError):
    """The record cannot be read as a Contact Lens event (not JSON, not an object, no contact id)."""


@dataclass(frozen=True)
class PartialUtterance:
    """A piece of what a participant is saying, before Contact Lens finalises the transcript."""

    utterance_id: str
    transcript_id: str  # the final transcript this piece belongs to ("" when not given)
    role: str
    text: str
    begin_offset_ms: int
    end_offset_ms: int
    sentiment: str | None = None


@dataclass(frozen=True)
class FinalTranscript:
    transcript_id: str
    role: str
    text: str
    begin_offset_ms: int
    end_offset_ms: int
    sentiment: str | None = None
    issues: tuple[tuple[int, int], ...] = ()  # character offsets of detected issues
    absolute_time: str = ""  # chat: ISO time of the message (chat segments have no offsets)


@dataclass(frozen=True)
class MatchedCategories:
    names: tuple[str, ...]


@dataclass(frozen=True)
class PostContactSummary:
    content: str
    status: str  # COMPLETED or FAILED
    failure_code: str = ""


LensSegment = PartialUtterance | FinalTranscript | MatchedCategories | PostContactSummary


@dataclass(frozen=True)
class LensEvent:
    version: str
    channel: str
    contact_id: str
    instance_id: str
    language: str  # BCP 47 such as en-US, "" when absent or not a language code
    event_type: str  # STARTED, SEGMENTS, COMPLETED, FAILED, or whatever unknown type was sent
    segments: tuple[LensSegment, ...] = ()
    ignored: tuple[str, ...] = field(default=())  # segment kinds skipped (unknown or unusable)

    @property
    def is_lifecycle(self) -> bool:
        return self.event_type in LIFECYCLE_EVENTS


def decode_record(data: bytes) -> LensEvent:
    try:
        document = decode_json(data)
    except UntrustedInput as exc:
        # too deep, too large, NaN/Infinity, not JSON: one poison record, never a failed batch
        raise MalformedLensRecord(f"record data refused: {exc}") from None
    return decode_event(document)


def decode_event(document: Any) -> LensEvent:
    if not isinstance(document, Mapping):
        raise MalformedLensRecord("record is not a JSON object")
    contact_id = _text(document.get("ContactId"))
    if not contact_id or len(contact_id) > 256:
        raise MalformedLensRecord("record names no ContactId")
    version = _text(document.get("Version"))
    event_type = _text(document.get("EventType") or document.get("StreamingEventType")).upper()
    settings = document.get("StreamingSettings") or document.get("StreamingEventSettings") or {}
    language = _text(document.get("LanguageCode") or _get(settings, "LanguageCode"))
    segments: list[LensSegment] = []
    ignored: list[str] = []
    raw_segments = document.get("Segments") if event_type == SEGMENTS else None
    for raw in raw_segments if isinstance(raw_segments, list) else []:
        decoded, skipped = _segment(raw)
        segments.extend(decoded)
        ignored.extend(skipped)
    return LensEvent(
        version=version,
        channel=_text(document.get("Channel")).upper(),
        contact_id=contact_id,
        instance_id=_text(document.get("InstanceId")),
        language=language if _LANGUAGE.match(language) else "",
        event_type=event_type or "UNKNOWN",
        segments=tuple(segments),
        ignored=tuple(ignored),
    )


def _segment(raw: Any) -> tuple[list[LensSegment], list[str]]:
    if not isinstance(raw, Mapping):
        return [], ["NotAnObject"]
    decoded: list[LensSegment] = []
    skipped: list[str] = []
    for kind, body in raw.items():
        reader = _READERS.get(str(kind))
        value = reader(body) if reader is not None and isinstance(body, Mapping) else None
        if value is None:
            skipped.append(str(kind))
        else:
            decoded.append(value)
    return decoded, skipped


def _utterance(body: Mapping[str, Any]) -> PartialUtterance | None:
    utterance_id = _identifier(body.get("Id"))
    text = _text(body.get("PartialContent"))
    if not utterance_id or not text:
        return None
    return PartialUtterance(
        utterance_id=utterance_id,
        transcript_id=_identifier(body.get("TranscriptId")),
        role=_role(body),
        text=text,
        begin_offset_ms=_millis(body.get("BeginOffsetMillis")),
        end_offset_ms=_millis(body.get("EndOffsetMillis")),
        sentiment=_sentiment(body.get("Sentiment")),
    )


def _transcript(body: Mapping[str, Any]) -> FinalTranscript | None:
    transcript_id = _identifier(body.get("Id"))
    text = _text(body.get("Content"))
    if not transcript_id or not text:
        return None
    absolute_time = _text(_get(body.get("Time"), "AbsoluteTime"))
    begin = _millis(body.get("BeginOffsetMillis"))
    end = _millis(body.get("EndOffsetMillis"))
    if "BeginOffsetMillis" not in body and absolute_time:
        # Chat messages carry a wall-clock time instead of offsets: epoch milliseconds keep them in order.
        begin = end = _epoch_millis(absolute_time)
    return FinalTranscript(
        transcript_id=transcript_id,
        role=_role(body),
        text=text,
        begin_offset_ms=begin,
        end_offset_ms=max(end, begin),
        sentiment=_sentiment(body.get("Sentiment")),
        issues=_issues(body.get("IssuesDetected")),
        absolute_time=absolute_time,
    )


def _categories(body: Mapping[str, Any]) -> MatchedCategories | None:
    names: list[str] = [_text(name) for name in _list(body.get("MatchedCategories"))]
    details = body.get("MatchedDetails")
    if isinstance(details, Mapping):  # chat sends only MatchedDetails, keyed by category name
        names.extend(_text(name) for name in details)
    unique = tuple(dict.fromkeys(name for name in names if name and len(name) <= 256))
    return MatchedCategories(unique) if unique else None


def _summary(body: Mapping[str, Any]) -> PostContactSummary | None:
    status = _text(body.get("Status")).upper() or "COMPLETED"
    content = _text(body.get("Content"))
    if status == "COMPLETED" and not content:
        return None
    return PostContactSummary(content=content, status=status, failure_code=_text(body.get("FailureCode")))


_READERS: dict[str, Any] = {
    "Utterance": _utterance,
    "Transcript": _transcript,
    "Categories": _categories,
    "PostContactSummary": _summary,
}


# ---------------------------------------------------------------------------- tolerant field readers
def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _identifier(value: Any) -> str:
    text = _text(value)
    return text if _ID.match(text) else ""


def _role(body: Mapping[str, Any]) -> str:
    return (_text(body.get("ParticipantRole")) or _text(body.get("ParticipantId")) or "UNKNOWN").upper()


MAX_OFFSET_DIGITS = 18  # ~31 million years in ms: anything longer is not an offset (and int() caps at 4,300)


def _millis(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    if isinstance(value, (int, float)):
        return max(int(value), 0)
    text = value.strip() if isinstance(value, str) else ""
    # ASCII digits only: str.isdigit() also accepts characters such as "²" that int() rejects.
    if text.isascii() and text.isdigit() and len(text) <= MAX_OFFSET_DIGITS:
        return int(text)
    return 0


def _sentiment(value: Any) -> str | None:
    text = _text(value).upper()
    return text if text in {"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"} else None


def _issues(value: Any) -> tuple[tuple[int, int], ...]:
    found: list[tuple[int, int]] = []
    for issue in _list(value):
        offsets = _get(issue, "CharacterOffsets")
        if isinstance(offsets, Mapping):
            found.append((_millis(offsets.get("BeginOffsetChar")), _millis(offsets.get("EndOffsetChar"))))
    return tuple(found)


def _epoch_millis(iso: str) -> int:
    """A chat message's time as epoch milliseconds; 0 before 1970 or past 9999 (a negative offset
    would sort before the call and break the zero-padded segment key)."""
    try:
        seconds = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
        return int(epoch_seconds(seconds, "AbsoluteTime") * 1000)
    except (ValueError, OverflowError):  # UntrustedInput is a ValueError
        return 0
