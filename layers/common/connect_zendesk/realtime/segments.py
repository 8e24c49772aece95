"""A final transcript segment and the writer that stores segments in the Transcripts table.

Both transcript sources (Contact Lens through Kinesis, and the KVS -> Transcribe path) build
`Segment`s and store them with `TranscriptWriter`, so the table, the sentiment function and the
post-call note see one shape. The item key is (contactId, position) with
position = f"{begin_offset_ms:010d}#{segment_id}": a query returns the call in order, and a
replayed segment writes exactly the same item (every attribute, the TTL included, is derived from
the segment, never from the time of writing).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from connect_zendesk.errors import StorageError
from connect_zendesk.observability import logger
from connect_zendesk.realtime.io_pool import map_io

BATCH_LIMIT = 25  # BatchWriteItem takes at most 25 items
SENTIMENTS = ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
SOURCE_CONTACT_LENS = "contact_lens"
SOURCE_KVS = "kvs"


@dataclass(frozen=True)
class Segment:
    contact_id: str
    segment_id: str
    speaker: str  # CUSTOMER or AGENT (Contact Lens ParticipantRole); chat may add SYSTEM
    text: str
    begin_offset_ms: int
    end_offset_ms: int
    observed_at: float  # epoch seconds the source first saw it (Kinesis arrival): the TTL base
    language: str = ""
    source: str = SOURCE_CONTACT_LENS
    sentiment: str | None = None
    sentiment_source: str | None = None
    sentiment_score: Mapping[str, float] | None = None
    absolute_time: str = ""
    issues: tuple[tuple[int, int], ...] = ()
    analysis: Mapping[str, Any] = field(default_factory=dict)  # written by the sentiment function

    @property
    def position(self) -> str:
        return position_of(self.begin_offset_ms, self.segment_id)

    def to_item(self, retention_days: int) -> dict[str, Any]:
        """The Transcripts item as Python values (the adapter serialises them)."""
        item: dict[str, Any] = {
            "contactId": self.contact_id,
            "position": self.position,
            "segmentId": self.segment_id,
            "speaker": self.speaker,
            "text": self.text,
            "beginOffsetMs": self.begin_offset_ms,
            "endOffsetMs": self.end_offset_ms,
            "language": self.language,
            "source": self.source,
            "observedAt": Decimal(str(round(self.observed_at, 3))),
            "ttl": int(self.observed_at) + retention_days * 86400,
        }
        if self.sentiment:
            item["sentiment"] = self.sentiment
            item["sentimentSource"] = self.sentiment_source or SOURCE_CONTACT_LENS
        if self.sentiment_score:
            item["sentimentScore"] = {k: _decimal(v) for k, v in self.sentiment_score.items()}
        if self.absolute_time:
            item["absoluteTime"] = self.absolute_time
        if self.issues:
            item["issues"] = [{"beginChar": begin, "endChar": end} for begin, end in self.issues]
        item.update(self.analysis)
        return {key: value for key, value in item.items() if value not in ("", None)}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Segment:
        """A segment from a Transcripts item (plain values, as the adapter or a stream image gives)."""
        contact_id, position = str(item["contactId"]), str(item["position"])
        begin = int(item.get("beginOffsetMs", 0))
        score = item.get("sentimentScore")
        known = {
            "contactId",
            "position",
            "segmentId",
            "speaker",
            "text",
            "beginOffsetMs",
            "endOffsetMs",
            "language",
            "source",
            "observedAt",
            "ttl",
            "sentiment",
            "sentimentSource",
            "sentimentScore",
            "absoluteTime",
            "issues",
        }
        return cls(
            contact_id=contact_id,
            segment_id=str(item.get("segmentId") or position.partition("#")[2]),
            speaker=str(item.get("speaker", "")),
            text=str(item.get("text", "")),
            begin_offset_ms=begin,
            end_offset_ms=int(item.get("endOffsetMs", begin)),
            observed_at=float(item.get("observedAt", 0) or 0),
            language=str(item.get("language", "")),
            source=str(item.get("source", SOURCE_CONTACT_LENS)),
            sentiment=str(item["sentiment"]) if item.get("sentiment") else None,
            sentiment_source=str(item["sentimentSource"]) if item.get("sentimentSource") else None,
            sentiment_score={k: float(v) for k, v in score.items()} if isinstance(score, Mapping) else None,
            absolute_time=str(item.get("absoluteTime", "")),
            issues=tuple(
                (int(i.get("beginChar", 0)), int(i.get("endChar", 0)))
                for i in item.get("issues", [])
                if isinstance(i, Mapping)
            ),
            analysis={k: v for k, v in item.items() if k not in known},
        )

    def panel_view(self) -> dict[str, Any]:
        """What the agent's panel shows of a final segment (a `segment` message)."""
        view: dict[str, Any] = {
            "type": "segment",
            "segmentId": self.segment_id,
            "position": self.position,
            "speaker": self.speaker,
            "text": self.text,
            "beginOffsetMs": self.begin_offset_ms,
            "endOffsetMs": self.end_offset_ms,
        }
        if self.sentiment:
            view["sentiment"] = self.sentiment
            view["sentimentSource"] = self.sentiment_source or SOURCE_CONTACT_LENS
        return view


def position_of(begin_offset_ms: int, segment_id: str) -> str:
    return f"{max(int(begin_offset_ms), 0):010d}#{segment_id}"


def _decimal(value: float) -> Decimal:
    if not math.isfinite(value):
        return Decimal(0)
    return Decimal(str(round(value, 4)))


class TranscriptStore(Protocol):
    def put_many(self, items: Sequence[dict[str, Any]]) -> None:
        """Store up to 25 items in one request; raise StorageError if any is left unwritten."""
        ...


class TranscriptWriter:
    """Stores segments in batches of 25, several batches at once; a replay rewrites the same items."""

    def __init__(self, store: TranscriptStore, retention_days: int) -> None:
        self._store = store
        self._retention_days = retention_days

    def write(self, segments: Iterable[Segment]) -> set[tuple[str, str]]:
        """Write every segment; returns the (contactId, position) keys that could not be written."""
        unique: dict[tuple[str, str], Segment] = {}
        for segment in segments:  # one request may not name a key twice: the last version wins
            unique[(segment.contact_id, segment.position)] = segment
        keys = list(unique)
        chunks = [keys[i : i + BATCH_LIMIT] for i in range(0, len(keys), BATCH_LIMIT)]
        if not chunks:
            return set()
        failed: set[tuple[str, str]] = set()

        def write_chunk(chunk: list[tuple[str, str]]) -> None:
            try:
                self._store.put_many([unique[key].to_item(self._retention_days) for key in chunk])
            except StorageError as exc:
                logger.error(
                    "transcript segments not written", extra={"reason": str(exc), "count": len(chunk)}
                )
                failed.update(chunk)

        map_io(write_chunk, chunks)
        return failed
