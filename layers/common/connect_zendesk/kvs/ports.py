"""What the KVS audio path needs from the outside world; adapters (and test fakes) implement these.

`TranscriptSink` is the seam to the real-time transcript feature (issue 4): final segments go to the
Transcripts table in exactly the Contact Lens path's schema (docs/data-model.md) and partial text to
the contact's agent panel. See `connect_zendesk.adapters.kvs_transcript_sink` for the adapter slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Speaker = Literal["CUSTOMER", "AGENT"]
SOURCE = "kvs"


@dataclass(frozen=True)
class FinalSegment:
    """One final utterance, with exactly the Transcripts-table fields of docs/data-model.md."""

    contact_id: str
    segment_id: str  # stable: contact + speaker + begin offset, so a re-run writes the same id
    speaker: Speaker
    text: str
    begin_offset_ms: int
    end_offset_ms: int
    language: str
    source: str = SOURCE

    @property
    def position(self) -> str:
        """The Transcripts table's sort key for this segment."""
        return f"{self.begin_offset_ms:010d}#{self.segment_id}"

    def to_item(self) -> dict[str, Any]:
        """The segment under the data model's attribute names (contactId, segmentId, ...)."""
        return {
            "contactId": self.contact_id,
            "segmentId": self.segment_id,
            "speaker": self.speaker,
            "text": self.text,
            "beginOffsetMs": self.begin_offset_ms,
            "endOffsetMs": self.end_offset_ms,
            "language": self.language,
            "source": self.source,
        }


@dataclass(frozen=True)
class PartialSegment:
    """Text of an utterance still being spoken; later partials of the same utterance replace it.

    `utterance_id` is not the final segment's id: the final result gets its own stable `segment_id`.
    """

    contact_id: str
    utterance_id: str  # the same for every partial of one utterance
    speaker: Speaker
    text: str
    begin_offset_ms: int
    end_offset_ms: int
    language: str
    source: str = SOURCE


class TranscriptSink(Protocol):
    def write_final(self, segments: Sequence[FinalSegment]) -> None:
        """Store final segments; idempotent (a segment written twice is one item)."""
        ...

    def push_partial(self, contact_id: str, partial: PartialSegment) -> None:
        """Best effort: show partial text on the contact's panel connections."""
        ...


# ---------------------------------------------------------------------------- media
class MediaStream(Protocol):
    """An open GetMedia response."""

    def read(self, size: int) -> bytes: ...  # b"" at the end of the stream

    def close(self) -> None: ...


class MediaSource(Protocol):
    def open(self, stream_arn: str, start_fragment_number: str) -> MediaStream:
        """GetMedia from that fragment (inclusive)."""
        ...


# ---------------------------------------------------------------------------- Transcribe streaming
@dataclass(frozen=True)
class StreamSettings:
    language: str
    sample_rate: int = 8000
    channels: int = 2  # channel identification: ch_0 customer, ch_1 agent
    vocabulary: str = ""
    pii_redaction: bool = False
    pii_entity_types: str = ""  # empty = all types Transcribe redacts
    partial_stability: str = "high"


@dataclass(frozen=True)
class TranscriptResult:
    """One Result of a TranscriptEvent, as Transcribe streaming sends it (times in session seconds)."""

    result_id: str
    channel: str  # "ch_0", "ch_1"
    start_time: float
    end_time: float
    is_partial: bool
    text: str
    language: str = ""


class TranscriptionStream(Protocol):
    def send_audio(self, pcm: bytes) -> None:
        """Interleaved 16-bit little-endian PCM (channels as configured)."""
        ...

    def finish(self, timeout: float) -> None:
        """End the audio and wait until every result has been delivered (or raise)."""
        ...

    def abort(self) -> None: ...


ResultHandler = Callable[[TranscriptResult], None]
ErrorHandler = Callable[[BaseException], None]


class TranscribeStreaming(Protocol):
    def start(
        self, settings: StreamSettings, on_result: ResultHandler, on_error: ErrorHandler
    ) -> TranscriptionStream:
        """Open a streaming session; results and a session failure arrive through the callbacks."""
        ...


# ---------------------------------------------------------------------------- the rest
class AsyncInvoker(Protocol):
    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        """Lambda InvokeType Event: queue the invocation and return."""
        ...


class RecordingStore(Protocol):
    def put_recording(self, key: str, chunks: Iterator[bytes], size: int) -> str:
        """Store a recording; returns its s3:// location."""
        ...


@dataclass(frozen=True)
class Progress:
    """Where transcription of a contact stands (for continuations, retries and duplicates)."""

    run_id: str
    fragment_number: str  # the fragment holding the checkpoint; "" before the first
    owner: str
    lease_until: float
    status: str
    resume_at_sample: int = 0  # audio before this sample (from the call's time base) is transcribed


class TranscriptionProgress(Protocol):
    def claim(
        self, contact_id: str, run_id: str, owner: str, token: str, lease_seconds: float
    ) -> Progress | None:
        """Take the contact's lease if it is free, expired, or handed over to `token`; None if held."""
        ...

    def checkpoint(
        self,
        contact_id: str,
        *,
        owner: str,
        run_id: str,
        fragment_number: str,
        resume_at_sample: int,
        lease_seconds: float,
        handover: str = "",
    ) -> bool:
        """Record how far the call is transcribed and renew (or hand over) the lease; False if lost."""
        ...

    def release(self, contact_id: str, owner: str, status: str) -> None:
        """Give the lease up, with the contact's transcriptStatus (STARTED, COMPLETED, FAILED)."""
        ...
