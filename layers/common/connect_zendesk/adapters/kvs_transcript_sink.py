"""ADAPTER SLOT: where the KVS path's transcript goes (wired to issue 4's writer on merge).

The KVS path produces segments in exactly the Contact Lens path's schema (see
`connect_zendesk.kvs.ports.FinalSegment.to_item`). Issue 4 provides the shared writer
(`connect_zendesk.realtime.segments`: the Segment model and the batched, idempotent Transcripts-table
writer) and the panel push (`connect_zendesk.realtime.panel_push`). Until they are merged,
`transcript_sink()` returns `LoggedTranscriptSink`, which stores nothing and logs only counts (never
text), so the path runs end to end and shows where its output would go.

Wiring, once issue 4 is on main: make `transcript_sink()` return an adapter whose `write_final`
converts each FinalSegment to issue 4's Segment (`segment.to_item()` has the data-model names) and
calls its writer, and whose `push_partial` calls panel_push for the contact; give kvs_transcriber
TRANSCRIPTS_TABLE and the Connections table/WebSocket endpoint in template.yaml with the matching
policies.
"""

from __future__ import annotations

from collections.abc import Sequence

from connect_zendesk.kvs.ports import FinalSegment, PartialSegment, TranscriptSink
from connect_zendesk.observability import logger
from connect_zendesk.settings import Settings


class LoggedTranscriptSink:
    """Stores nothing: logs how many segments would have been written (no transcript text)."""

    def __init__(self) -> None:
        self.finals_seen = 0
        self.partials_seen = 0

    def write_final(self, segments: Sequence[FinalSegment]) -> None:
        self.finals_seen += len(segments)
        logger.info(
            "final segments ready for the Transcripts table (sink not wired yet)",
            extra={
                "segments": len(segments),
                "positions": [segment.position for segment in segments],
                "characters": sum(len(segment.text) for segment in segments),
            },
        )

    def push_partial(self, contact_id: str, partial: PartialSegment) -> None:
        del contact_id
        self.partials_seen += 1


def transcript_sink(settings: Settings) -> TranscriptSink:
    """The sink kvs_transcriber writes to. Issue 4 merge: return the realtime writer adapter here."""
    del settings
    return LoggedTranscriptSink()
