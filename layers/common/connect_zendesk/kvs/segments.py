"""Transcribe results to transcript segments: speaker, text and offsets from the start of the call.

A Transcribe session measures time from its own first sample; a call may span several sessions (one
per invocation, or a restarted session). `Timeline` remembers where each fragment's audio starts in
the session and in the call, so a result maps to call offsets whatever the session.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from typing import Final

from connect_zendesk.kvs.ports import FinalSegment, PartialSegment, Speaker, TranscriptResult

CHANNEL_SPEAKERS: Final[dict[str, Speaker]] = {"ch_0": "CUSTOMER", "ch_1": "AGENT"}
_SEGMENT_NAMESPACE: Final = uuid.UUID("0b1e6a5e-5b8f-4c55-9d3c-6b7a1f2e4d90")


def segment_id(contact_id: str, speaker: str, begin_offset_ms: int) -> str:
    """Stable id of a KVS-path segment: the same utterance re-transcribed gets the same id."""
    return str(uuid.uuid5(_SEGMENT_NAMESPACE, f"{contact_id}:{speaker}:{begin_offset_ms}"))


@dataclass
class Timeline:
    """Session sample index -> call offset, anchored at the start of every fragment sent."""

    sample_rate: int
    _session_samples: list[int] = field(default_factory=list)
    _call_ms: list[float] = field(default_factory=list)
    samples_sent: int = 0

    def add_fragment(self, call_offset_ms: float, samples: int) -> None:
        self._session_samples.append(self.samples_sent)
        self._call_ms.append(call_offset_ms)
        self.samples_sent += samples

    def call_offset_ms(self, session_seconds: float) -> int:
        sample = session_seconds * self.sample_rate
        if not self._session_samples:
            return round(session_seconds * 1000)
        index = max(bisect.bisect_right(self._session_samples, sample) - 1, 0)
        anchor_ms = self._call_ms[index] + (sample - self._session_samples[index]) * 1000 / self.sample_rate
        return max(round(anchor_ms), 0)


@dataclass
class SegmentMapper:
    contact_id: str
    language: str
    timeline: Timeline
    # After a restarted session re-sends audio, finals ending before these marks were already written.
    written_until_ms: dict[str, int] = field(default_factory=dict)

    def speaker(self, result: TranscriptResult) -> Speaker | None:
        return CHANNEL_SPEAKERS.get(result.channel)

    def final(self, result: TranscriptResult) -> FinalSegment | None:
        speaker = self.speaker(result)
        text = result.text.strip()
        if speaker is None or not text:
            return None
        begin = self.timeline.call_offset_ms(result.start_time)
        end = max(self.timeline.call_offset_ms(result.end_time), begin)
        if end <= self.written_until_ms.get(speaker, -1):
            return None  # already written before the session restarted
        self.written_until_ms[speaker] = max(end, self.written_until_ms.get(speaker, -1))
        return FinalSegment(
            contact_id=self.contact_id,
            segment_id=segment_id(self.contact_id, speaker, begin),
            speaker=speaker,
            text=text,
            begin_offset_ms=begin,
            end_offset_ms=end,
            language=result.language or self.language,
        )

    def partial(self, result: TranscriptResult) -> PartialSegment | None:
        speaker = self.speaker(result)
        text = result.text.strip()
        if speaker is None or not text:
            return None
        begin = self.timeline.call_offset_ms(result.start_time)
        return PartialSegment(
            contact_id=self.contact_id,
            utterance_id=f"{self.contact_id}:{result.result_id}",
            speaker=speaker,
            text=text,
            begin_offset_ms=begin,
            end_offset_ms=max(self.timeline.call_offset_ms(result.end_time), begin),
            language=result.language or self.language,
        )
