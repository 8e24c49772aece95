"""One invocation of kvs_transcriber: GetMedia → fragments → Transcribe streaming → segments.

Every fragment goes to exactly one Transcribe session of exactly one invocation, which is what makes
a long call come out whole: no gap and no duplicate where one invocation hands over to the next.

- A background thread reads GetMedia and parses fragments; Transcribe results arrive on the
  Transcribe client's threads. Both land in one queue that this loop drains, so all decisions are
  made in one thread.
- Reading stops when a fragment belongs to another contact (Connect reuses streams), when the stream
  ends or stays idle, or at the seam: before the Lambda timeout (less a configurable margin) the loop
  looks for a fragment boundary where both speakers are silent and no result is still partial, and
  cuts there (or at the margin anyway). The session is then closed, so Transcribe finalises what it
  has, the finals are written, the position is checkpointed and handed over, and the function
  invokes itself with the last fragment number read and the exact sample reached; the continuation
  reads that fragment again and sends only the audio after that sample.
- A lease in the Contacts item makes duplicate deliveries of an invocation harmless and lets a
  retried invocation resume from the last checkpoint instead of the start.
- Transcribe or GetMedia failures that can pass are retried with backoff; a restarted Transcribe
  session is sent the audio since the last settled point again, and finals already written are not
  written twice. What still fails is raised so Lambda retries the invocation, then sends it to the
  function's OnFailure queue. The call itself never depends on any of this.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.kvs.audio import StereoAligner, StereoChunk, chunks, tail_rms
from connect_zendesk.kvs.errors import (
    ContinuationFailed,
    KvsPathError,
    MediaUnavailable,
    SinkUnavailable,
    TranscribeUnavailable,
    TransientFailure,
)
from connect_zendesk.kvs.fragments import FragmentReader, KvsStreamError, MediaFragment, fragment_key
from connect_zendesk.kvs.job import TranscriptionJob
from connect_zendesk.kvs.ports import (
    AsyncInvoker,
    FinalSegment,
    MediaSource,
    MediaStream,
    RecordingStore,
    StreamSettings,
    TranscribeStreaming,
    TranscriptionProgress,
    TranscriptionStream,
    TranscriptResult,
    TranscriptSink,
)
from connect_zendesk.kvs.recording import WavSpool, recording_key
from connect_zendesk.kvs.segments import SegmentMapper, Timeline
from connect_zendesk.observability import logger, metrics

STARTED, COMPLETED, FAILED = "STARTED", "COMPLETED", "FAILED"
_FINAL_BATCH: Final = 25
_UNSETTLED_LIMIT: Final = 600  # chunks (~10 minutes) kept for re-sending to a restarted session


@dataclass(frozen=True)
class TranscriberConfig:
    max_invocation_seconds: float = 900.0
    continuation_margin_seconds: float = 45.0
    seam_window_seconds: float = 20.0
    idle_timeout_seconds: float = 30.0
    checkpoint_interval_seconds: float = 20.0
    finish_timeout_seconds: float = 20.0
    pii_redaction: bool = False
    pii_entity_types: str = ""
    recordings_prefix: str = "kvs-recordings/"
    record_audio: bool = False
    attempts: int = 3
    backoff_seconds: float = 0.5
    read_size: int = 16 * 1024
    chunk_ms: int = 100
    silence_rms: float = 300.0
    quiet_ms: int = 300

    @property
    def lease_seconds(self) -> float:
        return self.checkpoint_interval_seconds * 3


@dataclass
class TranscriberPorts:
    media: MediaSource
    transcribe: TranscribeStreaming
    sink: TranscriptSink
    invoker: AsyncInvoker
    progress: TranscriptionProgress
    recordings: RecordingStore | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class RunOutcome:
    reason: str  # ended, idle, contact_changed, continued, duplicate, lease_lost
    fragments: int = 0
    segments: int = 0
    audio_seconds: float = 0.0
    last_fragment: str = ""
    continuation: TranscriptionJob | None = None
    recording: str = ""


@dataclass
class _Session:
    stream: TranscriptionStream
    timeline: Timeline
    generation: int


@dataclass
class _State:
    job: TranscriptionJob
    mapper: SegmentMapper | None = None
    session: _Session | None = None
    generation: int = 0
    open_results: set[str] = field(default_factory=set)
    finals: list[FinalSegment] = field(default_factory=list)
    last_sent: str = ""
    # The last clean point (no result pending, both speakers quiet): fragment read and sample reached
    settled: tuple[str, int] = ("", 0)
    unsettled: deque[StereoChunk] = field(default_factory=lambda: deque(maxlen=_UNSETTLED_LIMIT))
    time_base_ms: float | None = None
    aligner: StereoAligner | None = None
    fragments: int = 0
    segments: int = 0
    audio_seconds: float = 0.0
    sample_rate: int = 0
    restarts: int = 0
    resume_at: int = 0
    recording: WavSpool | None = None


class Transcriber:
    def __init__(
        self,
        ports: TranscriberPorts,
        config: TranscriberConfig,
        vocabularies: Mapping[str, str] | None = None,
    ) -> None:
        self._ports = ports
        self._config = config
        self._vocabularies = dict(vocabularies or {})
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._held: deque[tuple[str, Any]] = deque()  # taken from the queue ahead of their turn
        self._owner = ""

    # ------------------------------------------------------------------ the invocation
    def run(self, job: TranscriptionJob, owner: str, function: str, remaining_seconds: float) -> RunOutcome:
        config, ports = self._config, self._ports
        self._owner = owner
        started = ports.clock()
        budget = min(config.max_invocation_seconds, remaining_seconds)
        cut_at = started + budget - config.continuation_margin_seconds
        seam_from = cut_at - config.seam_window_seconds

        progress = ports.progress.claim(
            job.contact_id, job.run_id, owner, job.lease_token, config.lease_seconds
        )
        if progress is None:
            logger.warning("another invocation holds this contact's transcription; exiting")
            metrics.add_metric(name="DuplicateInvocation", unit=MetricUnit.Count, value=1)
            return RunOutcome("duplicate")
        start_fragment, resume_at = job.start_fragment_number, job.resume_at_sample
        if (
            progress.run_id == job.run_id
            and progress.fragment_number
            and (fragment_key(progress.fragment_number), progress.resume_at_sample)
            > (fragment_key(start_fragment), resume_at)
        ):
            logger.info("resuming after the last checkpoint", extra={"fragment": progress.fragment_number})
            start_fragment, resume_at = progress.fragment_number, progress.resume_at_sample

        state = _State(job=job, time_base_ms=job.time_base_ms, settled=(start_fragment, resume_at))
        state.resume_at = resume_at
        if config.record_audio and ports.recordings is not None:
            state.recording = WavSpool(sample_rate=8000)
        try:
            reason = self._transcribe(state, start_fragment, seam_from, cut_at)
            if reason not in ("cut", "lease_lost") and state.aligner is not None:
                self._send_chunks(state, state.aligner.flush())  # the call's last samples
            self._finish_session(state)
        except KvsPathError as exc:
            self._abort(state)
            ports.progress.release(job.contact_id, owner, FAILED)
            metrics.add_metric(name="TranscriptionFailed", unit=MetricUnit.Count, value=1)
            logger.error(
                "transcription failed",
                extra={"reason": exc.reason, "retryable": exc.retryable, "detail": str(exc)},
            )
            if exc.retryable:
                raise TransientFailure(exc) from exc
            return RunOutcome("failed", state.fragments, state.segments, state.audio_seconds, state.last_sent)
        finally:
            self._abort(state)  # still open only after an unexpected failure
        recording = self._store_recording(state)
        self._record_metrics(state)
        if reason == "lease_lost":
            return RunOutcome(reason, state.fragments, state.segments, state.audio_seconds, state.last_sent)
        if reason == "cut":
            # Nothing read yet (a very short invocation): the next one starts where this one would have.
            fragment = state.last_sent or start_fragment
            position = state.aligner.position if state.aligner is not None else resume_at
            base = state.aligner.base_ms if state.aligner is not None else state.time_base_ms
            continuation = job.continuation(fragment, position, round(base) if base is not None else None)
            self._hand_over(job, owner, function, continuation, fragment)
            return RunOutcome(
                "continued",
                state.fragments,
                state.segments,
                state.audio_seconds,
                state.last_sent,
                continuation,
                recording,
            )
        ports.progress.release(job.contact_id, owner, COMPLETED)
        return RunOutcome(
            reason,
            state.fragments,
            state.segments,
            state.audio_seconds,
            state.last_sent,
            None,
            recording,
        )

    # ------------------------------------------------------------------ the loop
    def _transcribe(self, state: _State, start_fragment: str, seam_from: float, cut_at: float) -> str:
        config, ports = self._config, self._ports
        reading = _Reading(start_fragment)
        reading.pump = self._start_pump(state.job.stream_arn, start_fragment)
        next_checkpoint = ports.clock() + config.checkpoint_interval_seconds
        last_fragment_at = ports.clock()
        try:
            while True:
                now = ports.clock()
                if now >= cut_at:
                    logger.info("cutting at the invocation's time limit", extra={"fragment": state.last_sent})
                    return "cut"
                wait = min(cut_at, last_fragment_at + config.idle_timeout_seconds) - now
                if wait <= 0:
                    logger.info("no audio for the idle timeout: the stream has stopped")
                    return "idle"
                try:
                    kind, payload = self._held.popleft() if self._held else self._events.get(timeout=wait)
                except queue.Empty:
                    continue
                if kind != "fragment":
                    stop = self._on_event(state, reading, kind, payload)
                    if stop:
                        return stop
                    continue
                last_fragment_at = ports.clock()
                stop = self._on_fragment(state, payload)
                if stop:
                    return stop
                if ports.clock() >= next_checkpoint:
                    next_checkpoint = ports.clock() + config.checkpoint_interval_seconds
                    if not self._checkpoint(state):
                        return "lease_lost"
                if state.settled[0] == payload.number and ports.clock() >= seam_from:
                    logger.info("cutting at a quiet fragment boundary", extra={"fragment": payload.number})
                    return "cut"
        finally:
            if reading.pump is not None:
                reading.pump.stop()

    def _on_event(self, state: _State, reading: _Reading, kind: str, payload: Any) -> str:
        """Results, failures and the end of the media stream; a stop reason or ''."""
        if kind == "result":
            self._on_result(state, *payload)
        elif kind == "session_error":
            self._on_session_error(state, *payload)
        elif kind == "end" and not payload:
            logger.info("the stream ended")
            return "ended"
        else:  # the connection dropped (mid-fragment or with an error): read on after the last fragment
            failure = (
                _media_failure(payload) if kind == "media_error" else MediaUnavailable("stream cut short")
            )
            reading.reopens += 1
            if not failure.retryable or reading.reopens > self._config.attempts:
                raise failure
            logger.warning("GetMedia stopped early; reading again", extra={"reason": str(failure)})
            metrics.add_metric(name="MediaRetry", unit=MetricUnit.Count, value=1)
            if reading.pump is not None:
                reading.pump.stop()
            self._ports.sleep(self._backoff(reading.reopens))
            # Already-sent audio of that fragment is dropped by the aligner, which knows where it is.
            reading.start_fragment = state.last_sent or reading.start_fragment
            reading.pump = self._start_pump(state.job.stream_arn, reading.start_fragment)
        return ""

    def _start_pump(self, stream_arn: str, fragment: str) -> _MediaPump:
        pump = _MediaPump(self._open_media(stream_arn, fragment), self._events, self._config.read_size)
        pump.start()
        return pump

    def _on_fragment(self, state: _State, fragment: MediaFragment) -> str:
        """Send one fragment's new audio; a stop reason when it belongs to another contact."""
        if fragment.contact_id and fragment.contact_id != state.job.contact_id:
            logger.info("the stream moved on to another contact", extra={"fragment": fragment.number})
            return "contact_changed"
        self._send(state, fragment)
        self._settle(state, fragment)
        self._flush(state)
        return ""

    def _checkpoint(self, state: _State) -> bool:
        held = self._ports.progress.checkpoint(
            state.job.contact_id,
            owner=self._owner,
            run_id=state.job.run_id,
            fragment_number=state.settled[0],
            resume_at_sample=state.settled[1],
            lease_seconds=self._config.lease_seconds,
        )
        if not held:
            logger.warning("the lease was taken over; stopping without a continuation")
        return held

    def _send(self, state: _State, fragment: MediaFragment) -> None:
        if state.aligner is None:
            starts = [t for t in (fragment.customer_start_ms, fragment.agent_start_ms) if t is not None]
            if state.time_base_ms is None:
                state.time_base_ms = min(starts) if starts else fragment.producer_timestamp_ms or 0
            state.sample_rate = fragment.sample_rate
            state.aligner = StereoAligner(fragment.sample_rate, state.time_base_ms, resume_at=state.resume_at)
        chunks_ready = state.aligner.add(
            fragment.customer, fragment.customer_start_ms, fragment.agent, fragment.agent_start_ms
        )
        state.last_sent = fragment.number
        state.fragments += 1
        self._send_chunks(state, chunks_ready)

    def _send_chunks(self, state: _State, ready: list[StereoChunk]) -> None:
        for chunk in ready:
            if state.session is None:
                self._start_session(state)
            session = cast(_Session, state.session)  # started just above
            session.timeline.add_fragment(chunk.start * 1000 / state.sample_rate, chunk.samples)
            self._stream_audio(session, chunk.pcm, state.sample_rate)
            state.unsettled.append(chunk)
            state.audio_seconds += chunk.samples / state.sample_rate
            if state.recording is not None:
                state.recording.sample_rate = state.sample_rate
                state.recording.append(chunk.pcm)

    def _stream_audio(self, session: _Session, stereo: bytes, sample_rate: int) -> None:
        size = max(sample_rate * 4 * self._config.chunk_ms // 1000, 4)
        for chunk in chunks(stereo, size):
            session.stream.send_audio(chunk)

    def _settle(self, state: _State, fragment: MediaFragment) -> bool:
        """True when this fragment boundary is a clean place to cut: silence and nothing pending."""
        self._drain_results(state)
        config = self._config
        quiet = (
            not state.open_results
            and tail_rms(fragment.customer, fragment.sample_rate, config.quiet_ms) < config.silence_rms
            and tail_rms(fragment.agent, fragment.sample_rate, config.quiet_ms) < config.silence_rms
        )
        if quiet and state.aligner is not None:
            state.settled = (fragment.number, state.aligner.position)
            state.unsettled.clear()
        return quiet

    def _drain_results(self, state: _State) -> None:
        """Handle results already queued, without waiting; other items keep their turn."""
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return
            if item[0] == "result":
                self._on_result(state, *item[1])
            else:
                self._held.append(item)

    def _on_result(self, state: _State, generation: int, result: TranscriptResult) -> None:
        if generation != state.generation or state.mapper is None:
            return  # from a session that failed and was replaced
        if result.is_partial:
            state.open_results.add(result.result_id)
            partial = state.mapper.partial(result)
            if partial is not None:
                try:
                    self._ports.sink.push_partial(state.job.contact_id, partial)
                except Exception as exc:  # noqa: BLE001 - live text is best effort, finals are not
                    logger.warning("partial text not pushed", extra={"error": type(exc).__name__})
                    metrics.add_metric(name="PartialPushFailed", unit=MetricUnit.Count, value=1)
            return
        state.open_results.discard(result.result_id)
        segment = state.mapper.final(result)
        if segment is not None:
            state.finals.append(segment)
            if len(state.finals) >= _FINAL_BATCH:
                self._flush(state)

    def _flush(self, state: _State) -> None:
        if not state.finals:
            return
        batch, state.finals = state.finals, []
        for attempt in range(1, self._config.attempts + 1):
            try:
                self._ports.sink.write_final(batch)
            except Exception as exc:
                if attempt == self._config.attempts:
                    raise SinkUnavailable(f"{len(batch)} segments not stored: {type(exc).__name__}") from exc
                logger.warning("transcript write failed; retrying", extra={"attempt": attempt})
                self._ports.sleep(self._backoff(attempt))
            else:
                state.segments += len(batch)
                return

    # ------------------------------------------------------------------ Transcribe sessions
    def _start_session(self, state: _State) -> None:
        job = state.job
        settings = StreamSettings(
            language=job.language,
            sample_rate=state.sample_rate,
            vocabulary=job.vocabulary or self._vocabularies.get(job.language, ""),
            pii_redaction=self._config.pii_redaction,
            pii_entity_types=self._config.pii_entity_types,
        )
        state.generation += 1
        generation = state.generation
        events = self._events

        def on_result(result: TranscriptResult) -> None:
            events.put(("result", (generation, result)))

        def on_error(error: BaseException) -> None:
            events.put(("session_error", (generation, error)))

        for attempt in range(1, self._config.attempts + 1):
            try:
                stream = self._ports.transcribe.start(settings, on_result, on_error)
            except TranscribeUnavailable:
                if attempt == self._config.attempts:
                    raise
                metrics.add_metric(name="TranscribeRetry", unit=MetricUnit.Count, value=1)
                self._ports.sleep(self._backoff(attempt))
            else:
                timeline = Timeline(state.sample_rate)
                state.session = _Session(stream, timeline, generation)
                state.mapper = _mapper(state, timeline)
                state.open_results.clear()
                return

    def _on_session_error(self, state: _State, generation: int, error: BaseException) -> None:
        if generation != state.generation:
            return
        if isinstance(error, KvsPathError) and not error.retryable:
            raise error
        state.restarts += 1
        if state.restarts > self._config.attempts:
            raise TranscribeUnavailable(f"session failed {state.restarts} times: {error}")
        self._ports.sleep(self._backoff(state.restarts))
        logger.warning("Transcribe session failed; restarting it", extra={"error": str(error)})
        metrics.add_metric(name="TranscribeRetry", unit=MetricUnit.Count, value=1)
        if state.session is not None:
            state.session.stream.abort()
            state.session = None
        self._flush(state)
        resend = list(state.unsettled)
        state.unsettled.clear()
        state.audio_seconds -= sum(chunk.samples for chunk in resend) / state.sample_rate
        recording, state.recording = state.recording, None  # recorded already
        self._start_session(state)
        self._send_chunks(state, resend)
        state.recording = recording

    def _finish_session(self, state: _State) -> None:
        """End the audio so Transcribe finalises what it has; a session failing meanwhile is restarted."""
        while state.session is not None:
            self._drain_events(state)
            session = state.session
            if session is None:  # pragma: no cover - a restart always leaves a session
                break
            error: KvsPathError | None = None
            try:
                session.stream.finish(self._config.finish_timeout_seconds)
            except KvsPathError as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001 - a broken session is restarted like any other
                error = TranscribeUnavailable(f"closing the session failed: {type(exc).__name__}")
            self._drain_events(state)
            if state.session is not session:
                continue  # it failed while finishing and was restarted: finish the new one
            if error is not None:
                self._on_session_error(state, session.generation, error)
                continue
            state.session = None
        self._flush(state)

    def _drain_events(self, state: _State) -> None:
        """After reading stopped: handle queued results and session failures, drop the rest."""
        while True:
            try:
                kind, payload = self._held.popleft() if self._held else self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "result":
                self._on_result(state, *payload)
            elif kind == "session_error":
                self._on_session_error(state, *payload)

    def _abort(self, state: _State) -> None:
        session, state.session = state.session, None
        if session is not None:
            session.stream.abort()

    # ------------------------------------------------------------------ the rest
    def _open_media(self, stream_arn: str, fragment: str) -> MediaStream:
        for attempt in range(1, self._config.attempts + 1):
            try:
                return self._ports.media.open(stream_arn, fragment)
            except MediaUnavailable:
                if attempt == self._config.attempts:
                    raise
                metrics.add_metric(name="MediaRetry", unit=MetricUnit.Count, value=1)
                self._ports.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _hand_over(
        self, job: TranscriptionJob, owner: str, function: str, continuation: TranscriptionJob, fragment: str
    ) -> None:
        resume_at = continuation.resume_at_sample
        progress = self._ports.progress
        # The lease goes to the continuation first, so it can claim it the moment it starts.
        progress.checkpoint(
            job.contact_id,
            owner=owner,
            run_id=job.run_id,
            fragment_number=fragment,
            resume_at_sample=resume_at,
            lease_seconds=self._config.lease_seconds * 3,
            handover=continuation.lease_token,
        )
        for attempt in range(1, self._config.attempts + 1):
            try:
                self._ports.invoker.invoke_async(function, continuation.to_event())
            except Exception as exc:
                if attempt == self._config.attempts:
                    progress.release(job.contact_id, continuation.lease_token, FAILED)
                    raise TransientFailure(ContinuationFailed(type(exc).__name__)) from exc
                self._ports.sleep(self._backoff(attempt))
            else:
                metrics.add_metric(name="ContinuationInvoked", unit=MetricUnit.Count, value=1)
                logger.info(
                    "continuing in a new invocation",
                    extra={"fragment": fragment, "sequence": continuation.sequence},
                )
                return

    def _store_recording(self, state: _State) -> str:
        spool, state.recording = state.recording, None
        if spool is None or self._ports.recordings is None:
            return ""
        try:
            if not spool.data_bytes:
                return ""
            key = recording_key(self._config.recordings_prefix, state.job.contact_id, state.job.sequence)
            return self._ports.recordings.put_recording(key, spool.chunks(), spool.size)
        except Exception as exc:  # noqa: BLE001 - a lost recording part must not lose the transcript
            logger.error("recording not stored", extra={"error": type(exc).__name__})
            metrics.add_metric(name="RecordingFailed", unit=MetricUnit.Count, value=1)
            return ""
        finally:
            spool.close()

    def _record_metrics(self, state: _State) -> None:
        metrics.add_metric(name="FragmentsTranscribed", unit=MetricUnit.Count, value=state.fragments)
        metrics.add_metric(name="SegmentsWritten", unit=MetricUnit.Count, value=state.segments)
        metrics.add_metric(name="AudioSeconds", unit=MetricUnit.Seconds, value=round(state.audio_seconds, 3))

    def _backoff(self, attempt: int) -> float:
        return float(self._config.backoff_seconds * 2 ** (attempt - 1))


def _mapper(state: _State, timeline: Timeline) -> SegmentMapper:
    previous = state.mapper
    mapper = SegmentMapper(state.job.contact_id, state.job.language, timeline)
    if previous is not None:
        mapper.written_until_ms = previous.written_until_ms
    return mapper


def _media_failure(error: BaseException) -> KvsPathError:
    if isinstance(error, KvsPathError):
        return error
    if isinstance(error, KvsStreamError):
        if error.fragment_not_found:
            from connect_zendesk.kvs.errors import MediaNotFound  # noqa: PLC0415

            return MediaNotFound(str(error))
        return MediaUnavailable(str(error))
    return MediaUnavailable(f"GetMedia stream failed: {type(error).__name__}")


@dataclass
class _Reading:
    """Where GetMedia reads from."""

    start_fragment: str
    pump: _MediaPump | None = None
    reopens: int = 0


class _MediaPump(threading.Thread):
    """Reads GetMedia in the background and queues whole fragments (GetMedia blocks on a live stream)."""

    def __init__(self, stream: MediaStream, events: queue.Queue[tuple[str, Any]], read_size: int) -> None:
        super().__init__(name="kvs-media", daemon=True)
        self._stream = stream
        self._events = events
        self._read_size = read_size
        self._stopping = threading.Event()

    def run(self) -> None:
        reader = FragmentReader()
        try:
            while not self._stopping.is_set():
                chunk = self._stream.read(self._read_size)
                if not chunk:
                    break
                for fragment in reader.feed(chunk):
                    self._events.put(("fragment", fragment))
            if self._stopping.is_set():
                return
            tail, truncated = reader.close()
            for fragment in tail:
                self._events.put(("fragment", fragment))
            self._events.put(("end", truncated))
        except Exception as exc:  # noqa: BLE001 - reported to the loop, which decides
            if not self._stopping.is_set():
                self._events.put(("media_error", exc))

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(Exception):  # closing a broken connection may fail; nothing to do
            self._stream.close()
