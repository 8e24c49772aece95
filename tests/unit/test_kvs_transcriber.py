"""kvs_transcriber on real call media, with Transcribe replaced at its client interface.

The scripted Transcribe listens to the audio it is sent and answers as Transcribe streaming does
(partials, then a final with the same ResultId, session-relative times). Time is the audio sent so
far, as on a live call, so a short configured invocation limit makes a two-minute call continue over
several invocations, which these tests chain the way Lambda would.
"""

from __future__ import annotations

import io
import itertools
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from connect_zendesk.kvs.errors import (
    MediaUnavailable,
    TranscribeUnavailable,
    TransientFailure,
)
from connect_zendesk.kvs.fragments import read_fragments
from connect_zendesk.kvs.job import TranscriptionJob
from connect_zendesk.kvs.ports import FinalSegment, Progress
from connect_zendesk.kvs.recording import wav_header
from connect_zendesk.kvs.scripted_transcribe import ScriptedTranscribe
from connect_zendesk.kvs.transcriber import RunOutcome, Transcriber, TranscriberConfig, TranscriberPorts
from connect_zendesk_local.kvs_fixtures import CallMedia, StreamFragment
from unit_doubles import FragmentMedia, MemoryProgress, MemorySink, RecordingInvoker

STREAM_ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/connect-acme-contact-x/1700000000000"
LEAD_IN_MS = 600  # espeak-ng's silence before the first word, plus the detector's 20 ms frames
SHORT = TranscriberConfig(
    max_invocation_seconds=40, continuation_margin_seconds=5, seam_window_seconds=10, idle_timeout_seconds=2
)


def first_job(call: CallMedia, **overrides: Any) -> TranscriptionJob:
    values: dict[str, Any] = {
        "contact_id": call.script.contact_id,
        "stream_arn": STREAM_ARN,
        "start_fragment_number": call.fragments[0].number,
        "language": "en-US",
        "run_id": "run-1",
        **overrides,
    }
    return TranscriptionJob(**values)


class RecordingStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail = False

    def put_recording(self, key: str, chunks: Iterator[bytes], size: int) -> str:
        if self.fail:
            raise RuntimeError("AccessDenied")
        self.objects[key] = b"".join(chunks)
        assert len(self.objects[key]) == size
        return f"s3://recordings/{key}"


@dataclass
class Call:
    """One call transcribed end to end: every invocation, chained through the recorded invoker."""

    media: CallMedia
    config: TranscriberConfig = SHORT
    transcribe: ScriptedTranscribe = field(init=False)
    sink: MemorySink = field(default_factory=MemorySink)
    progress: MemoryProgress = field(default_factory=MemoryProgress)
    invoker: RecordingInvoker = field(default_factory=RecordingInvoker)
    recordings: RecordingStore | None = None
    source: FragmentMedia = field(init=False)
    outcomes: list[RunOutcome] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.transcribe = ScriptedTranscribe((u.speaker, u.text) for u in self.media.script.utterances)
        self.source = FragmentMedia(self.media.fragments, stream_arn=STREAM_ARN)

    def ports(self) -> TranscriberPorts:
        return TranscriberPorts(
            media=self.source,
            transcribe=self.transcribe,
            sink=self.sink,
            invoker=self.invoker,
            progress=self.progress,
            recordings=self.recordings,
            clock=lambda: self.transcribe.audio_seconds,  # a live call: time is the audio so far
            sleep=self.sleeps.append,
        )

    def run(self, job: TranscriptionJob, owner: str = "request-0") -> RunOutcome:
        outcome = Transcriber(self.ports(), self.config).run(job, owner, "kvs-transcriber", 900.0)
        self.outcomes.append(outcome)
        return outcome

    def run_all(self, job: TranscriptionJob, limit: int = 20) -> list[RunOutcome]:
        for index in range(limit):
            outcome = self.run(job, owner=f"request-{index}")
            if outcome.continuation is None:
                return self.outcomes
            function, payload = self.invoker.calls[-1]
            assert function == "kvs-transcriber"
            job = TranscriptionJob.from_event(payload)
            assert job == outcome.continuation
        raise AssertionError("the call never ended")

    def tracks_sent(self) -> tuple[bytes, bytes]:
        """What every session accepted, joined in order and split back into the two tracks."""
        return deinterleave(b"".join(bytes(session.received) for session in self.transcribe.sessions))

    def transcript(self) -> list[FinalSegment]:
        return self.sink.transcript(self.media.script.contact_id)


def deinterleave(stereo: bytes) -> tuple[bytes, bytes]:
    left, right = bytearray(), bytearray()
    for index in range(0, len(stereo), 4):
        left += stereo[index : index + 2]
        right += stereo[index + 2 : index + 4]
    return bytes(left), bytes(right)


def assert_sent_exactly_once(call: Call, media: CallMedia) -> None:
    """Every sample of both tracks reached Transcribe once, in order: no gap, no duplicate, no drift."""
    assert call.tracks_sent() == (media.audio.customer, media.audio.agent)


def assert_matches_script(transcript: list[FinalSegment], call: CallMedia) -> None:
    """Every line once, by the right speaker, at the time it was spoken (offsets from the call start)."""
    by_text = {segment.text: segment for segment in transcript}
    assert len(by_text) == len(transcript) == len(call.script.utterances)
    for utterance in call.script.utterances:
        segment = by_text[utterance.text]
        assert segment.speaker == utterance.speaker
        assert utterance.at_ms <= segment.begin_offset_ms <= utterance.at_ms + LEAD_IN_MS, utterance
        assert segment.end_offset_ms > segment.begin_offset_ms
        assert segment.source == "kvs"
        assert segment.language == "en-US"


def assert_no_overlap_per_speaker(transcript: list[FinalSegment]) -> None:
    for speaker in ("CUSTOMER", "AGENT"):
        spans = sorted((s.begin_offset_ms, s.end_offset_ms) for s in transcript if s.speaker == speaker)
        for (_, end), (begin, _) in itertools.pairwise(spans):
            assert begin >= end, f"{speaker} segments overlap: a duplicate at a seam"


# ---------------------------------------------------------------------------- one invocation
def test_a_short_call_is_transcribed_in_one_invocation(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    (outcome,) = call.run_all(first_job(demo_call, time_base_ms=None))

    assert outcome.reason == "ended"
    assert outcome.fragments == len(demo_call.fragments)
    assert outcome.segments == len(demo_call.script.utterances)
    assert_matches_script(call.transcript(), demo_call)
    assert_sent_exactly_once(call, demo_call)
    # Partials were pushed for the panel while people spoke, each tied to its utterance
    assert len({p.utterance_id for p in call.sink.partials}) >= 3
    assert all(p.contact_id == demo_call.script.contact_id for p in call.sink.partials)
    # The contact's progress ends released and COMPLETED
    record = call.progress.records[demo_call.script.contact_id]
    assert (record["status"], record["until"]) == ("COMPLETED", 0)
    assert call.invoker.calls == []


def test_segment_ids_are_stable_so_a_rerun_writes_the_same_items(demo_call: CallMedia) -> None:
    first, second = Call(demo_call), Call(demo_call)
    first.run_all(first_job(demo_call))
    second.run_all(first_job(demo_call, run_id="run-2"))
    assert [s.position for s in first.transcript()] == [s.position for s in second.transcript()]
    # Written into one table, the rerun adds nothing
    both = MemorySink()
    both.write_final(first.transcript())
    both.write_final(second.transcript())
    assert len(both.items) == len(first.transcript())


def test_offsets_are_measured_from_connects_start_timestamp(demo_call: CallMedia) -> None:
    # Given the stream started 2 s before the first fragment (Connect's StartTimestamp)
    first_fragment = next(iter(read_fragments([demo_call.fragments[0].data])))
    assert first_fragment.producer_timestamp_ms is not None
    call = Call(demo_call)
    call.run_all(first_job(demo_call, time_base_ms=first_fragment.producer_timestamp_ms - 2000))
    shifted = call.transcript()
    assert all(s.begin_offset_ms >= 2000 for s in shifted)
    baseline = Call(demo_call)
    baseline.run_all(first_job(demo_call))
    assert [s.begin_offset_ms - 2000 for s in shifted] == [s.begin_offset_ms for s in baseline.transcript()]


def test_vocabulary_and_redaction_settings_reach_transcribe(demo_call: CallMedia) -> None:
    call = Call(demo_call, config=TranscriberConfig(pii_redaction=True, pii_entity_types="NAME"))
    transcriber = Transcriber(call.ports(), call.config, vocabularies={"en-US": "acme-en"})
    transcriber.run(first_job(demo_call), "request-0", "fn", 900.0)
    settings = call.transcribe.sessions[0].settings
    assert (settings.vocabulary, settings.pii_redaction, settings.pii_entity_types) == (
        "acme-en",
        True,
        "NAME",
    )
    assert (settings.sample_rate, settings.channels, settings.language) == (8000, 2, "en-US")
    # A vocabulary named by the flow wins over the configured one
    call = Call(demo_call)
    Transcriber(call.ports(), call.config, {"en-US": "acme-en"}).run(
        first_job(demo_call, vocabulary="flow-vocab"), "request-0", "fn", 900.0
    )
    assert call.transcribe.sessions[0].settings.vocabulary == "flow-vocab"


# ---------------------------------------------------------------------------- continuation
def test_a_long_call_is_transcribed_whole_across_invocations(long_call: CallMedia) -> None:
    # Given invocations limited to 40 s (5 s margin, 10 s to find a silence) on a two-minute call
    call = Call(long_call)
    outcomes = call.run_all(first_job(long_call))

    # Then it took several invocations, each handing over to the next
    assert len(outcomes) >= 3
    assert [o.reason for o in outcomes[:-1]] == ["continued"] * (len(outcomes) - 1)
    assert outcomes[-1].reason == "ended"
    # And every fragment's audio went to Transcribe exactly once: no gap, no duplicate at a seam
    assert sum(o.fragments for o in outcomes) == len(long_call.fragments) + len(outcomes) - 1
    assert_sent_exactly_once(call, long_call)
    # And the transcript is the whole call, each line once, at its time
    assert_matches_script(call.transcript(), long_call)
    assert_no_overlap_per_speaker(call.transcript())
    # Each continuation read again from the last fragment read, resuming at the exact sample
    for previous, opened in zip(outcomes, call.source.opened[1:], strict=False):
        assert opened == previous.last_fragment
        assert previous.continuation is not None
        assert previous.continuation.resume_at_sample > 0
    # Invocations stayed within their limit (seam found before the margin)
    assert all(
        o.audio_seconds <= SHORT.max_invocation_seconds - SHORT.continuation_margin_seconds + 1.1
        for o in outcomes
    )


def test_a_hard_cut_mid_utterance_splits_it_without_gap_or_duplicate(long_call: CallMedia) -> None:
    # Given no time to look for silence: each invocation cuts at its limit, wherever that falls
    config = TranscriberConfig(
        max_invocation_seconds=23,
        continuation_margin_seconds=1,
        seam_window_seconds=0,
        idle_timeout_seconds=2,
    )
    call = Call(long_call, config=config)
    outcomes = call.run_all(first_job(long_call))

    assert len(outcomes) >= 5
    assert_sent_exactly_once(call, long_call)
    transcript = call.transcript()
    assert_no_overlap_per_speaker(transcript)
    assert len({s.position for s in transcript}) == len(transcript)
    # Every line's speech is covered by the segments of its speaker
    for utterance in long_call.script.utterances:
        start = utterance.at_ms + LEAD_IN_MS
        assert any(
            s.speaker == utterance.speaker and s.begin_offset_ms <= start <= s.end_offset_ms + 20
            for s in transcript
        ), utterance


def test_continuation_events_round_trip(long_call: CallMedia) -> None:
    job = first_job(long_call, time_base_ms=123, vocabulary="v", instance_arn="arn:aws:connect:x")
    following = job.continuation("42", 16000, 123)
    assert following.sequence == 1
    assert following.resume_at_sample == 16000
    assert TranscriptionJob.from_event(following.to_event()) == following
    assert following.lease_token == "run-1#1"


def test_a_failed_continuation_invoke_is_retried_then_raised_for_lambda_to_retry(
    long_call: CallMedia,
) -> None:
    call = Call(long_call)
    call.invoker.fail_with = RuntimeError("TooManyRequestsException")
    with pytest.raises(TransientFailure, match="ContinuationFailed"):
        call.run(first_job(long_call))
    assert len(call.sleeps) == SHORT.attempts - 1
    # The lease is given up, so Lambda's retry can claim it and resume from the checkpoint
    record = call.progress.records[long_call.script.contact_id]
    assert (record["status"], record["until"]) == ("FAILED", 0)
    checkpoint = record["checkpoint"]
    call.invoker.fail_with = None
    retry = call.run(first_job(long_call), owner="retry")
    assert call.source.opened[-1] == checkpoint.split("#")[1]
    assert retry.reason == "continued"


def test_a_transient_invoke_failure_is_absorbed_by_the_retry(long_call: CallMedia) -> None:
    call = Call(long_call)
    call.invoker.fail_with = RuntimeError("ServiceException")
    call.invoker.fail_times = 1
    outcome = call.run(first_job(long_call))
    assert outcome.reason == "continued"
    assert len(call.invoker.calls) == 1


# ---------------------------------------------------------------------------- stopping
def test_reading_stops_when_the_stream_moves_to_another_contact(demo_call: CallMedia) -> None:
    other = "11111111-2222-4333-8444-555555555555"
    foreign = [
        StreamFragment(
            f"{int(f.number) + 10**30}",
            other,
            f.data.replace(demo_call.script.contact_id.encode(), other.encode()),
        )
        for f in demo_call.fragments[:3]
    ]
    call = Call(demo_call)
    call.source.fragments += foreign
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.reason == "contact_changed"
    assert_sent_exactly_once(call, demo_call)  # and nothing of the next call


def test_an_idle_stream_ends_the_transcription(demo_call: CallMedia) -> None:
    # Given GetMedia holding the connection open after the last fragment (no more audio comes)
    release = threading.Event()

    class HangingStream:
        def __init__(self, data: bytes) -> None:
            self._data = data

        def read(self, size: int) -> bytes:
            if self._data:
                chunk, self._data = self._data[:size], self._data[size:]
                return chunk
            release.wait(10)
            return b""

        def close(self) -> None:
            release.set()

    class HangingMedia(FragmentMedia):
        def open(self, stream_arn: str, start_fragment_number: str) -> Any:
            return HangingStream(b"".join(f.data for f in self.fragments))

    call = Call(demo_call, config=TranscriberConfig(idle_timeout_seconds=0.3))
    call.source = HangingMedia(demo_call.fragments)
    ports = call.ports()
    ports.clock = __import__("time").monotonic
    outcome = Transcriber(ports, call.config).run(first_job(demo_call), "request-0", "fn", 900.0)
    assert outcome.reason == "idle"
    assert release.is_set()  # the connection was closed
    assert outcome.segments == len(demo_call.script.utterances)


def test_a_dropped_connection_is_read_again_after_the_last_fragment_sent(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.source.cut_first_at = len(demo_call.fragments[0].data) * 5 + 100
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.reason == "ended"
    assert call.source.opened[1] != call.source.opened[0]
    assert_sent_exactly_once(call, demo_call)
    assert_matches_script(call.transcript(), demo_call)


# ---------------------------------------------------------------------------- failures
def test_a_missing_stream_fails_without_retrying(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    outcome = call.run(first_job(demo_call, stream_arn=STREAM_ARN.replace("acme", "other")))
    assert outcome.reason == "failed"
    assert call.progress.records[demo_call.script.contact_id]["status"] == "FAILED"
    assert call.sleeps == []


def test_getmedia_throttling_is_retried_with_backoff(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.source.fail_open = [MediaUnavailable("ClientLimitExceededException")] * 2
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.reason == "ended"
    assert call.sleeps == [0.5, 1.0]


def test_getmedia_still_throttled_after_retries_is_raised_for_lambda_to_retry(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.source.fail_open = [MediaUnavailable("ConnectionLimitExceededException")] * 5
    with pytest.raises(TransientFailure, match="MediaUnavailable"):
        call.run(first_job(demo_call))
    assert call.progress.records[demo_call.script.contact_id]["status"] == "FAILED"


def test_transcribe_limits_are_retried_when_the_session_starts(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.transcribe = ScriptedTranscribe(
        ((u.speaker, u.text) for u in demo_call.script.utterances), unavailable_starts=2
    )
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.reason == "ended"
    assert_matches_script(call.transcript(), demo_call)


def test_transcribe_refusing_the_language_fails_the_job_without_retries(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.transcribe = ScriptedTranscribe(reject_languages=["xx-XX"])
    outcome = call.run(first_job(demo_call, language="xx-XX"))
    assert outcome.reason == "failed"


def test_a_dropped_transcribe_session_is_restarted_without_duplicates(long_call: CallMedia) -> None:
    # Given a Transcribe session that fails 17 s into the call
    call = Call(long_call, config=TranscriberConfig(idle_timeout_seconds=60))
    call.transcribe = ScriptedTranscribe(
        ((u.speaker, u.text) for u in long_call.script.utterances), fail_after_seconds=17.0
    )
    (outcome,) = call.run_all(first_job(long_call))
    # Then a new session took over and the transcript has no duplicated speech
    assert outcome.reason == "ended"
    assert len(call.transcribe.sessions) == 2
    transcript = call.transcript()
    assert_no_overlap_per_speaker(transcript)
    assert len(transcript) == len(long_call.script.utterances)


def test_a_session_failing_again_and_again_is_raised(demo_call: CallMedia) -> None:
    class AlwaysFailing(ScriptedTranscribe):
        def start(self, settings: Any, on_result: Any, on_error: Any) -> Any:
            stream = super().start(settings, on_result, on_error)
            on_error(TranscribeUnavailable("InternalFailureException"))
            return stream

    call = Call(demo_call)
    call.transcribe = AlwaysFailing()
    with pytest.raises(TransientFailure, match="TranscribeUnavailable"):
        call.run(first_job(demo_call))


def test_transcript_writes_are_retried_then_raised(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.sink.fail_next = 1
    call.run_all(first_job(demo_call))
    assert len(call.transcript()) == len(demo_call.script.utterances)

    broken = Call(demo_call)
    broken.sink.fail_next = 100
    with pytest.raises(TransientFailure, match="TranscriptWriteFailed"):
        broken.run(first_job(demo_call))


def test_partial_push_failures_do_not_stop_transcription(demo_call: CallMedia) -> None:
    call = Call(demo_call)

    def refuse(contact_id: str, partial: Any) -> None:
        raise ConnectionError("GoneException")

    call.sink.push_partial = refuse  # type: ignore[method-assign]
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.segments == len(demo_call.script.utterances)


# ---------------------------------------------------------------------------- lease and checkpoint
def test_a_second_delivery_of_the_same_invocation_backs_off(demo_call: CallMedia) -> None:
    call = Call(demo_call)
    call.progress.records[demo_call.script.contact_id] = {"owner": "request-A", "until": 1e12}
    outcome = call.run(first_job(demo_call), owner="request-B")
    assert outcome.reason == "duplicate"
    assert call.transcribe.sessions == []


def test_a_retried_invocation_resumes_after_the_last_checkpoint(long_call: CallMedia) -> None:
    # Given an earlier attempt of this run that checkpointed the 30th fragment before it died
    checkpoint = long_call.fragments[29].number
    call = Call(long_call)
    call.progress.records[long_call.script.contact_id] = {
        "owner": "dead",
        "until": 0,
        "checkpoint": f"run-1#{checkpoint}",
    }
    call.run(first_job(long_call), owner="retry")
    assert call.source.opened[0] == checkpoint
    assert call.outcomes[0].fragments < len(long_call.fragments) - 29
    # A checkpoint of another run (an earlier stream of the contact) is not used
    other = Call(long_call)
    other.progress.records[long_call.script.contact_id] = {"checkpoint": f"old-run#{checkpoint}#8000"}
    other.run(first_job(long_call))
    assert other.source.opened[0] == long_call.fragments[0].number


def test_checkpoints_are_written_while_the_call_goes_on(long_call: CallMedia) -> None:
    call = Call(long_call, config=TranscriberConfig(checkpoint_interval_seconds=10, idle_timeout_seconds=2))
    call.run_all(first_job(long_call))
    points = [(int(number), sample) for _, number, sample in call.progress.checkpoints]
    assert len(points) >= 5
    assert points == sorted(points)


def test_losing_the_lease_stops_without_a_continuation(long_call: CallMedia) -> None:
    call = Call(long_call, config=TranscriberConfig(checkpoint_interval_seconds=5, idle_timeout_seconds=2))

    class Stolen(MemoryProgress):
        def checkpoint(self, contact_id: str, **kwargs: Any) -> bool:
            return False

    call.progress = Stolen()
    outcome = call.run(first_job(long_call))
    assert outcome.reason == "lease_lost"
    assert call.invoker.calls == []


def test_progress_is_what_the_claim_returns(long_call: CallMedia) -> None:
    progress = MemoryProgress()
    claimed = progress.claim("c", "run", "me", "run#0", 60)
    assert claimed == Progress("", "", "me", 1_700_000_060.0, "STARTED")


# ---------------------------------------------------------------------------- recording
def test_recording_parts_join_into_the_whole_call_as_stereo_wav(long_call: CallMedia) -> None:
    store = RecordingStore()
    call = Call(long_call, config=TranscriberConfig(**{**SHORT.__dict__, "record_audio": True}))
    call.recordings = store
    outcomes = call.run_all(first_job(long_call))

    keys = sorted(store.objects)
    assert keys == [
        f"kvs-recordings/{long_call.script.contact_id}/part-{i:04d}.wav" for i in range(len(outcomes))
    ]
    pcm = b""
    for key in keys:
        with wave.open(io.BytesIO(store.objects[key])) as part:
            assert (part.getnchannels(), part.getsampwidth(), part.getframerate()) == (2, 2, 8000)
            pcm += part.readframes(part.getnframes())
    # The parts join into the whole call: customer left, agent right, every sample once
    assert deinterleave(pcm) == (long_call.audio.customer, long_call.audio.agent)
    assert outcomes[0].recording.startswith("s3://recordings/kvs-recordings/")


def test_a_failed_recording_upload_keeps_the_transcript(demo_call: CallMedia) -> None:
    store = RecordingStore()
    store.fail = True
    call = Call(demo_call, config=TranscriberConfig(record_audio=True))
    call.recordings = store
    (outcome,) = call.run_all(first_job(demo_call))
    assert outcome.recording == ""
    assert outcome.segments == len(demo_call.script.utterances)


def test_wav_header_describes_the_data() -> None:
    header = wav_header(32000, 8000)
    with wave.open(io.BytesIO(header + bytes(32000))) as parsed:
        assert (parsed.getnchannels(), parsed.getframerate(), parsed.getnframes()) == (2, 8000, 8000)
