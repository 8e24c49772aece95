"""Where the KVS path's transcript goes: the same Transcripts table and agent panel as Contact Lens.

Final segments become `realtime.segments.Segment`s (source `kvs`) written by the shared
`TranscriptWriter`, so the sentiment function (through the table's stream), the panel and the
post-call note see one shape whatever the source. Partials go to the contact's panel connections
with the id the final will carry, so the panel replaces them exactly as it does for Contact Lens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connect_zendesk.errors import NotConfigured, StorageError
from connect_zendesk.kvs.ports import FinalSegment, PartialSegment
from connect_zendesk.kvs.segments import segment_id
from connect_zendesk.observability import logger
from connect_zendesk.realtime.segments import SOURCE_KVS, Segment
from connect_zendesk.realtime.wiring import RealtimeServices, realtime_services_for
from connect_zendesk.settings import Settings


class RealtimeTranscriptSink:
    def __init__(self, services: RealtimeServices, clock: Callable[[], float] = time.time) -> None:
        self._services = services
        self._clock = clock

    def write_final(self, segments: Sequence[FinalSegment]) -> None:
        """Store the segments (idempotent: same key, same item) and show them on the panel.

        Raises StorageError when any segment could not be stored, so the transcriber retries.
        """
        if not segments:
            return
        now = self._clock()  # the TTL base: KVS segments are written once the audio is transcribed
        stored = [_as_segment(final, now) for final in segments]
        failed = self._services.writer.write(stored)
        if failed:
            raise StorageError(f"{len(failed)} of {len(stored)} transcript segments not written")
        by_contact: dict[str, list[Mapping[str, Any]]] = {}
        for segment in stored:
            by_contact.setdefault(segment.contact_id, []).append(segment.panel_view())
        self._push(by_contact)

    def push_partial(self, contact_id: str, partial: PartialSegment) -> None:
        message = {
            "type": "partial",
            "utteranceId": partial.utterance_id,
            # The id the final of this utterance will have: the panel replaces the partial with it.
            "transcriptId": segment_id(contact_id, partial.speaker, partial.begin_offset_ms),
            "speaker": partial.speaker,
            "text": partial.text,
            "beginOffsetMs": partial.begin_offset_ms,
            "endOffsetMs": partial.end_offset_ms,
        }
        self._push({contact_id: [message]})

    def _push(self, messages: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Best effort: a panel that cannot be reached never costs the transcript."""
        try:
            self._services.pusher.push(messages)
        except (NotConfigured, StorageError) as exc:
            logger.warning("panel push skipped", extra={"reason": str(exc)})


def _as_segment(final: FinalSegment, observed_at: float) -> Segment:
    return Segment(
        contact_id=final.contact_id,
        segment_id=final.segment_id,
        speaker=final.speaker,
        text=final.text,
        begin_offset_ms=final.begin_offset_ms,
        end_offset_ms=final.end_offset_ms,
        observed_at=observed_at,
        language=final.language,
        source=SOURCE_KVS,
    )


def transcript_sink(settings: Settings) -> RealtimeTranscriptSink:
    return RealtimeTranscriptSink(realtime_services_for(settings))
