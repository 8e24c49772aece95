"""ADAPTER SLOT: where the KVS path's transcript goes (wired to issue 4's writer on merge).

The KVS path produces segments in exactly the Contact Lens path's schema (see
`connect_zendesk.kvs.ports.FinalSegment.to_item`). Issue 4 provides the shared writer
(`connect_zendesk.realtime.segments`: the Segment model and the batched, idempotent Transcripts-table
writer) and the panel push (`connect_zendesk.realtime.panel_push`). Until they are merged,
`transcript_sink()` returns `LoggedTranscriptSink`, which stores nothing and logs only counts (never
text), so the path runs end to end and shows where its output would go; on the local stack
(KVS_LOCAL_TRANSCRIPT_DIR) it also writes each segment's item to a JSON-lines file per contact.

Wiring, once issue 4 is on main: make `transcript_sink()` return an adapter whose `write_final`
converts each FinalSegment to issue 4's Segment (`segment.to_item()` has the data-model names) and
calls its writer, and whose `push_partial` calls panel_push for the contact; give kvs_transcriber
TRANSCRIPTS_TABLE and the Connections table/WebSocket endpoint in template.yaml with the matching
policies.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

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


class JsonLinesTranscriptSink(LoggedTranscriptSink):
    """Local stack only: keeps each contact's items in <dir>/<contactId>.jsonl, keyed and ordered like
    the Transcripts table (a segment written twice is one line)."""

    def __init__(self, directory: str) -> None:
        super().__init__()
        self._directory = Path(directory)

    def write_final(self, segments: Sequence[FinalSegment]) -> None:
        super().write_final(segments)
        self._directory.mkdir(parents=True, exist_ok=True)
        for contact_id in {segment.contact_id for segment in segments}:
            path = self._directory / f"{contact_id}.jsonl"
            items = {}
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    item = json.loads(line)
                    items[f"{item['beginOffsetMs']:010d}#{item['segmentId']}"] = item
            for segment in segments:
                if segment.contact_id == contact_id:
                    items[segment.position] = segment.to_item()
            lines = [json.dumps(items[key], ensure_ascii=False) for key in sorted(items)]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def transcript_sink(settings: Settings) -> TranscriptSink:
    """The sink kvs_transcriber writes to. Issue 4 merge: return the realtime writer adapter here."""
    del settings
    local_directory = os.environ.get("KVS_LOCAL_TRANSCRIPT_DIR", "")  # set by the local stack only
    if local_directory:
        return JsonLinesTranscriptSink(local_directory)
    return LoggedTranscriptSink()
