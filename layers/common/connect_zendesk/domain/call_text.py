"""The call's words as they may leave AWS: transcript and bot turns, PII-redacted when configured.

Redaction happens before any text reaches Zendesk or the analytics bucket. When it is required and
Comprehend cannot do it for the call's language, the text is withheld, never sent unredacted; when
Comprehend fails, the message is retried later.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connect_zendesk.domain.call_record import BotTurn, ContactRecord, TranscriptSegment
from connect_zendesk.domain.post_call_ports import TextAnalyzer, TextSpan, UnsupportedLanguage
from connect_zendesk.observability import logger

SPEAKER_NAMES = {"CUSTOMER": "Customer", "AGENT": "Agent"}
ROLE_NAMES = {"caller": "Caller", "bot": "Bot"}
WITHHELD = "[withheld: PII redaction is not available for this language]"


@dataclass(frozen=True)
class CallText:
    segments: tuple[TranscriptSegment, ...]
    bot_turns: tuple[BotTurn, ...]
    language: str
    redaction: str = "off"  # off | redacted | withheld
    pii_spans: int = 0

    @property
    def analysis_text(self) -> str:
        """What analytics offsets refer to: one line per transcript segment, in order."""
        return "\n".join(segment.text for segment in self.segments)


def comprehend_language(language: str) -> str:
    """The language code Comprehend uses: 'en-US' -> 'en', 'zh-TW' stays, '' -> 'en'."""
    code = language.replace("_", "-").strip()
    if code.lower() == "zh-tw":
        return "zh-TW"
    return code.split("-")[0].lower() or "en"


def call_language(contact: ContactRecord, segments: Sequence[TranscriptSegment]) -> str:
    return contact.language or next((s.language for s in segments if s.language), "") or "en-US"


def prepare_text(
    contact: ContactRecord,
    segments: Sequence[TranscriptSegment],
    *,
    redact: bool,
    analyzer: TextAnalyzer,
) -> CallText:
    language = call_language(contact, segments)
    if not redact or not (segments or contact.conversation):
        return CallText(tuple(segments), contact.conversation, language)
    texts = [s.text for s in segments] + [t.text for t in contact.conversation]
    try:
        spans = analyzer.detect_pii("\n".join(texts), language)
    except UnsupportedLanguage:
        logger.warning("transcript withheld: PII redaction unavailable", extra={"language": language})
        cleaned, redaction, found = [WITHHELD] * len(texts), "withheld", 0
    else:
        cleaned, redaction, found = _apply(texts, spans), "redacted", len(spans)
    return CallText(
        segments=tuple(dataclasses.replace(s, text=t) for s, t in zip(segments, cleaned, strict=False)),
        bot_turns=tuple(
            dataclasses.replace(turn, text=text)
            for turn, text in zip(contact.conversation, cleaned[len(segments) :], strict=True)
        ),
        language=language,
        redaction=redaction,
        pii_spans=found,
    )


def _apply(texts: list[str], spans: Sequence[TextSpan]) -> list[str]:
    """Replace each PII span by [TYPE] in the joined text, then split it back into its lines."""
    joined = "\n".join(texts)
    for span in sorted(spans, key=lambda s: s.begin, reverse=True):
        begin, end = max(span.begin, 0), min(span.end, len(joined))
        if begin >= end:
            continue
        # A span never swallows a line break: each line stays one segment.
        pieces = joined[begin:end].split("\n")
        marker = f"[{span.type}]"
        joined = joined[:begin] + "\n".join(marker for _ in pieces) + joined[end:]
    return joined.split("\n")


def timeline_line(offset_ms: int | None, at: datetime | None, who: str, text: str) -> str:
    if offset_ms is not None:
        seconds = max(offset_ms, 0) // 1000
        hours, rest = divmod(seconds, 3600)
        stamp = f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
    elif at is not None:
        stamp = at.strftime("%H:%M:%S UTC")
    else:
        stamp = "--:--"
    return f"[{stamp}] {who}: {text}"


def transcript_lines(text: CallText) -> list[str]:
    return [
        timeline_line(s.begin_ms, None, SPEAKER_NAMES.get(s.speaker, s.speaker.title()), s.text)
        for s in text.segments
    ]


def bot_lines(text: CallText, started_at: datetime | None) -> list[str]:
    lines = []
    for turn in text.bot_turns:
        offset = int((turn.at - started_at).total_seconds() * 1000) if turn.at and started_at else None
        if offset is not None and offset < 0:
            offset = None
        lines.append(timeline_line(offset, turn.at, ROLE_NAMES.get(turn.role, turn.role.title()), turn.text))
    return lines
