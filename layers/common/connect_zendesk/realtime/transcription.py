"""The Contact Lens consumer: one Kinesis batch of segment records in, the batch's failures out.

For each batch: every record is decoded on its own (a malformed one fails alone); final transcripts
are written to the Transcripts table in batches; lifecycle, categories and the post-contact summary
become one Contacts update per contact; and everything the agent should see is pushed to the
contact's panels, partial utterances included, in as few frames as fit. Records whose writes failed
are reported by sequence number so Lambda retries from there; every write is idempotent, so the good
records a retry replays change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import StorageError
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.contact_lens import (
    FinalTranscript,
    LensEvent,
    MalformedLensRecord,
    MatchedCategories,
    PartialUtterance,
    PostContactSummary,
    decode_record,
)
from connect_zendesk.realtime.io_pool import map_io, stage_pool
from connect_zendesk.realtime.segments import SOURCE_CONTACT_LENS, Segment, TranscriptWriter
from connect_zendesk.realtime.stream_records import KinesisRecord


class TranscriptContacts(Protocol):
    def record_transcript(
        self,
        contact_id: str,
        *,
        status: str | None = None,
        categories: Any = (),
        summary: dict[str, str] | None = None,
    ) -> None: ...


class Pusher(Protocol):
    def push(self, messages_by_contact: dict[str, list[dict[str, Any]]]) -> Any: ...


@dataclass
class _ContactChanges:
    status: str | None = None
    categories: set[str] = field(default_factory=set)
    summary: dict[str, str] | None = None
    sequence_numbers: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return self.status is None and not self.categories and self.summary is None


def partial_view(utterance: PartialUtterance) -> dict[str, Any]:
    """A `partial` message: the panel shows it until the final with id `transcriptId` replaces it."""
    return {
        "type": "partial",
        "utteranceId": utterance.utterance_id,
        "transcriptId": utterance.transcript_id or utterance.utterance_id,
        "speaker": utterance.role,
        "text": utterance.text,
        "beginOffsetMs": utterance.begin_offset_ms,
        "endOffsetMs": utterance.end_offset_ms,
    }


def final_segment(event: LensEvent, transcript: FinalTranscript, arrival: float) -> Segment:
    return Segment(
        contact_id=event.contact_id,
        segment_id=transcript.transcript_id,
        speaker=transcript.role,
        text=transcript.text,
        begin_offset_ms=transcript.begin_offset_ms,
        end_offset_ms=transcript.end_offset_ms,
        observed_at=arrival,
        language=event.language,
        source=SOURCE_CONTACT_LENS,
        sentiment=transcript.sentiment,
        sentiment_source=SOURCE_CONTACT_LENS if transcript.sentiment else None,
        absolute_time=transcript.absolute_time,
        issues=transcript.issues,
    )


class TranscriptionConsumer:
    def __init__(
        self,
        writer: TranscriptWriter,
        contacts: TranscriptContacts,
        pusher: Pusher,
        clock: Callable[[], float],
    ) -> None:
        self._writer = writer
        self._contacts = contacts
        self._pusher = pusher
        self._clock = clock

    def process(self, records: Sequence[KinesisRecord]) -> list[str]:
        """Handle one batch; the sequence numbers of the records that must be retried."""
        failed: set[str] = set()
        segments: list[Segment] = []
        segment_records: dict[tuple[str, str], set[str]] = defaultdict(set)
        changes: dict[str, _ContactChanges] = defaultdict(_ContactChanges)
        panel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        ignored: dict[str, int] = defaultdict(int)

        for record in records:
            event = self._decode(record)
            if event is None:
                failed.add(record.sequence_number)
                continue
            for kind in event.ignored:
                ignored[kind] += 1
            contact = changes[event.contact_id]
            if event.is_lifecycle:
                contact.status = _later_status(contact.status, event.event_type)
                contact.sequence_numbers.add(record.sequence_number)
                panel[event.contact_id].append({"type": "status", "transcriptStatus": contact.status})
            for item in event.segments:
                if isinstance(item, PartialUtterance):
                    panel[event.contact_id].append(partial_view(item))
                elif isinstance(item, FinalTranscript):
                    segment = final_segment(event, item, record.arrival or self._clock())
                    segments.append(segment)
                    segment_records[(segment.contact_id, segment.position)].add(record.sequence_number)
                    panel[event.contact_id].append(segment.panel_view())
                elif isinstance(item, MatchedCategories):
                    contact.categories.update(item.names)
                    contact.sequence_numbers.add(record.sequence_number)
                    panel[event.contact_id].append({"type": "categories", "categories": list(item.names)})
                elif isinstance(item, PostContactSummary):
                    contact.summary = {
                        "content": item.content,
                        "status": item.status,
                        "failureCode": item.failure_code,
                    }
                    contact.sequence_numbers.add(record.sequence_number)
                    panel[event.contact_id].append({"type": "summary", **contact.summary})

        if ignored:
            logger.info("segment kinds ignored", extra={"kinds": dict(ignored)})
        # Storing, updating contacts and pushing are independent: they run at the same time. A panel
        # may show a final a moment before it is stored; if storing fails the record is retried and
        # the panel simply receives the same final again (it replaces lines by id).
        written = stage_pool().submit(self._writer.write, segments)
        updated = stage_pool().submit(self._update_contacts, changes)
        self._pusher.push({contact: messages for contact, messages in panel.items() if messages})
        for key in written.result():
            failed.update(segment_records[key])
        failed.update(updated.result())
        metrics.add_metric(name="SegmentsStored", unit=MetricUnit.Count, value=len(segments))
        if failed:
            metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failed))
        return sorted(failed)

    def _decode(self, record: KinesisRecord) -> LensEvent | None:
        if record.data is None:
            logger.error("record envelope unreadable", extra={"sequence_number": record.sequence_number})
            metrics.add_metric(name="MalformedRecords", unit=MetricUnit.Count, value=1)
            return None
        try:
            return decode_record(record.data)
        except MalformedLensRecord as exc:
            # The payload itself is never logged: it may hold transcript text.
            logger.error(
                "malformed Contact Lens record",
                extra={
                    "sequence_number": record.sequence_number,
                    "reason": str(exc),
                    "bytes": len(record.data),
                },
            )
            metrics.add_metric(name="MalformedRecords", unit=MetricUnit.Count, value=1)
            return None

    def _update_contacts(self, changes: dict[str, _ContactChanges]) -> set[str]:
        """One UpdateItem per contact, several contacts at once; the records of failed ones."""

        def update(item: tuple[str, _ContactChanges]) -> set[str]:
            contact_id, change = item
            try:
                self._contacts.record_transcript(
                    contact_id, status=change.status, categories=change.categories, summary=change.summary
                )
            except StorageError as exc:
                logger.error("contact record not updated", extra={"reason": str(exc)})
                return change.sequence_numbers
            return set()

        pending = [(contact_id, change) for contact_id, change in changes.items() if not change.empty]
        return set().union(*map_io(update, pending))


_STATUS_ORDER = {"STARTED": 0, "COMPLETED": 1, "FAILED": 1}


def _later_status(current: str | None, new: str) -> str:
    if current is None or _STATUS_ORDER[new] >= _STATUS_ORDER[current]:
        return new
    return current
