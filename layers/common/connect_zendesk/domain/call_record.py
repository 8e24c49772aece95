"""What the steps of a call stored about it, read tolerantly (docs/data-model.md).

Steps are built and deployed independently: a call may skip the bot, have no transcript, or never
reach an agent, and an attribute written by a newer step may be missing or malformed. Every field
here defaults to "not known" instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SPEAKERS = ("CUSTOMER", "AGENT")
SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
TRANSCRIPT_IN_PROGRESS = "STARTED"
_TICKET_ID = re.compile(r"^[1-9]\d{0,18}$")


@dataclass(frozen=True)
class TranscriptSegment:
    speaker: str  # CUSTOMER, AGENT (or whatever the source said, upper case)
    text: str
    begin_ms: int
    end_ms: int
    language: str = ""
    sentiment: str = ""  # one of SENTIMENTS, "" until analysed
    sentiment_score: Mapping[str, float] | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TranscriptSegment | None:
        text = _text(item.get("text"))
        if not text:
            return None
        begin = _int(item.get("beginOffsetMs")) or 0
        sentiment = _text(item.get("sentiment")).upper()
        return cls(
            speaker=_text(item.get("speaker")).upper() or "UNKNOWN",
            text=" ".join(text.split()),  # one line per segment, whatever the source sent
            begin_ms=max(begin, 0),
            end_ms=max(_int(item.get("endOffsetMs")) or begin, begin),
            language=_text(item.get("language")),
            sentiment=sentiment if sentiment in SENTIMENTS else "",
            sentiment_score=_score_map(item.get("sentimentScore")),
        )


@dataclass(frozen=True)
class BotTurn:
    at: datetime | None
    role: str  # caller | bot
    text: str
    intent: str = ""


@dataclass(frozen=True)
class AgentNote:
    at: datetime | None
    agent_id: str
    text: str


@dataclass(frozen=True)
class RecordingPause:
    action: str  # suspend | resume
    at: datetime | None
    agent_id: str


@dataclass(frozen=True)
class Handoff:
    at: datetime | None
    reason: str
    ticket_id: int | None


@dataclass(frozen=True)
class SpeakerSentiment:
    score: float | None  # -1..1
    counts: Mapping[str, int]
    trend: tuple[float, ...]  # the last scores, oldest first


@dataclass(frozen=True)
class KeyPhrase:
    text: str
    score: float | None
    count: int = 1


@dataclass(frozen=True)
class PostCallState:
    status: str = ""  # WRITING, DONE, FAILED, SKIPPED
    ticket_id: int | None = None
    comment_marker: str = ""
    created_user_id: int | None = None
    analytics_key: str = ""
    at: str = ""

    def to_item(self) -> dict[str, Any]:
        values: dict[str, Any] = {"status": self.status, "at": self.at}
        if self.ticket_id is not None:
            values["ticketId"] = self.ticket_id
        if self.comment_marker:
            values["commentMarker"] = self.comment_marker
        if self.created_user_id is not None:
            values["createdUserId"] = self.created_user_id
        if self.analytics_key:
            values["analyticsKey"] = self.analytics_key
        return values


@dataclass(frozen=True)
class ContactRecord:
    """One Contacts item as post-call steps see it."""

    contact_id: str
    caller_e164: str = ""
    zendesk_user_id: int | None = None
    selected_ticket_id: int | None = None
    language: str = ""
    channel: str = ""
    created_at: datetime | None = None
    conversation: tuple[BotTurn, ...] = ()
    fulfilled_intents: tuple[str, ...] = ()
    handoff: Handoff | None = None
    transcript_status: str = ""
    categories: tuple[str, ...] = ()
    post_contact_summary: str = ""
    sentiment: Mapping[str, SpeakerSentiment] = field(default_factory=dict)
    key_phrases: tuple[KeyPhrase, ...] = ()
    agent_notes: tuple[AgentNote, ...] = ()
    agent_connected: bool = False
    outcome: str = ""
    initial_contact_id: str = ""
    disconnected_at: datetime | None = None
    post_call: PostCallState = field(default_factory=PostCallState)
    resolution: Mapping[str, Any] | None = None
    connected_ticket_id: int | None = None  # the ticket agent_connected assigned (agentLeg.ticketId)
    recording_pauses: tuple[RecordingPause, ...] = ()  # the top bar's POST /recording, in order

    @property
    def transcript_in_progress(self) -> bool:
        return self.transcript_status == TRANSCRIPT_IN_PROGRESS

    @classmethod
    def from_item(cls, contact_id: str, item: Mapping[str, Any] | None) -> ContactRecord:
        item = item or {}
        handoff = item.get("handoff")
        post_call = item.get("postCall")
        resolution = item.get("resolution")
        leg = item.get("agentLeg")
        return cls(
            contact_id=contact_id,
            caller_e164=_text(item.get("callerE164")),
            zendesk_user_id=_positive(item.get("zendeskUserId")),
            selected_ticket_id=_positive(item.get("selectedTicketId")),
            language=_text(item.get("language")),
            channel=_text(item.get("channel")).upper(),
            created_at=parse_time(item.get("createdAt")),
            conversation=tuple(_turns(item.get("conversation"))),
            fulfilled_intents=tuple(sorted(_strings(item.get("fulfilledIntents")))),
            handoff=(
                Handoff(
                    at=parse_time(handoff.get("at")),
                    reason=_text(handoff.get("reason")),
                    ticket_id=_positive(handoff.get("ticketId")),
                )
                if isinstance(handoff, Mapping)
                else None
            ),
            transcript_status=_text(item.get("transcriptStatus")).upper(),
            categories=tuple(sorted(_strings(item.get("categories")))),
            post_contact_summary=_text(item.get("postContactSummary")),
            sentiment=_sentiments(item.get("sentiment")),
            key_phrases=tuple(_phrases(item.get("keyPhrases"))),
            agent_notes=tuple(_notes(item.get("agentNotes"))),
            agent_connected=item.get("agentConnected") is True,
            outcome=_text(item.get("outcome")),
            initial_contact_id=_text(item.get("initialContactId")),
            disconnected_at=parse_time(item.get("disconnectedAt")),
            post_call=(
                PostCallState(
                    status=_text(post_call.get("status")).upper(),
                    ticket_id=_positive(post_call.get("ticketId")),
                    comment_marker=_text(post_call.get("commentMarker")),
                    created_user_id=_positive(post_call.get("createdUserId")),
                    analytics_key=_text(post_call.get("analyticsKey")),
                    at=_text(post_call.get("at")),
                )
                if isinstance(post_call, Mapping)
                else PostCallState()
            ),
            resolution=dict(resolution) if isinstance(resolution, Mapping) else None,
            connected_ticket_id=_positive(leg.get("ticketId")) if isinstance(leg, Mapping) else None,
            recording_pauses=tuple(_pauses(item.get("recordingPauses"))),
        )


def _pauses(value: Any) -> list[RecordingPause]:
    entries = value if isinstance(value, list) else []
    return [
        RecordingPause(
            action=_text(entry.get("action")),
            at=parse_time(entry.get("at")),
            agent_id=str(entry.get("zendeskAgentId") or ""),
        )
        for entry in entries[:50]
        if isinstance(entry, Mapping) and entry.get("action") in ("suspend", "resume")
    ]


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return int(value)
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value.strip()):
        return int(value)
    return None


def _positive(value: Any) -> int | None:
    if isinstance(value, str) and not _TICKET_ID.match(value.strip()):
        return None
    number = _int(value)
    return number if number is not None and number > 0 else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _strings(value: Any) -> set[str]:
    if isinstance(value, (set, list, tuple, frozenset)):
        return {item.strip() for item in value if isinstance(item, str) and item.strip()}
    return set()


def _score_map(value: Any) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        return None
    scores = {}
    for name in ("Positive", "Negative", "Neutral", "Mixed"):
        number = _float(value.get(name, value.get(name.upper(), value.get(name.lower()))))
        if number is not None:
            scores[name] = number
    return scores or None


def _turns(value: Any) -> Iterable[BotTurn]:
    for turn in value if isinstance(value, list) else []:
        if isinstance(turn, Mapping) and _text(turn.get("text")):
            yield BotTurn(
                at=parse_time(turn.get("at")),
                role=_text(turn.get("role")).lower() or "caller",
                text=" ".join(_text(turn.get("text")).split()),
                intent=_text(turn.get("intent")),
            )


def _notes(value: Any) -> Iterable[AgentNote]:
    for note in value if isinstance(value, list) else []:
        if isinstance(note, Mapping) and _text(note.get("text")):
            yield AgentNote(
                at=parse_time(note.get("at")),
                agent_id=_text(note.get("agentId")),
                text=_text(note.get("text")),
            )


def _phrases(value: Any) -> Iterable[KeyPhrase]:
    for phrase in value if isinstance(value, list) else []:
        if isinstance(phrase, Mapping) and _text(phrase.get("text")):
            yield KeyPhrase(
                text=_text(phrase.get("text")),
                score=_float(phrase.get("score")),
                count=max(_int(phrase.get("count")) or 1, 1),
            )


def _sentiments(value: Any) -> dict[str, SpeakerSentiment]:
    if not isinstance(value, Mapping):
        return {}
    result = {}
    for speaker, entry in value.items():
        if not isinstance(entry, Mapping):
            continue
        counts = entry.get("counts")
        trend = entry.get("trend")
        result[str(speaker).upper()] = SpeakerSentiment(
            score=_float(entry.get("score")),
            counts=(
                {str(k).upper(): max(_int(v) or 0, 0) for k, v in counts.items()}
                if isinstance(counts, Mapping)
                else {}
            ),
            trend=tuple(x for x in (_float(v) for v in trend) if x is not None)
            if isinstance(trend, list)
            else (),
        )
    return result
