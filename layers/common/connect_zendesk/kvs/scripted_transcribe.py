"""A stand-in for Amazon Transcribe streaming that replays scripted text on real audio.

It listens to the audio it is sent (per channel, 20 ms frames, an energy threshold) to find where
each utterance starts and ends, and answers the way Transcribe does: growing partial results while
someone speaks, then one final result with the same ResultId, times in seconds of the session. The
words come from a script (the lines each speaker says, in order); audio it has no line for becomes
"(speech N.N s)". Results are deterministic: the same audio gives the same results.

Used by the tests and, when TRANSCRIBE_BACKEND=scripted, by the local stack. Settings refuse that
backend unless AWS_ENDPOINT_URL points at this machine, so it can never run in AWS.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

from connect_zendesk.kvs.errors import TranscribeRejected, TranscribeUnavailable
from connect_zendesk.kvs.ports import ErrorHandler, ResultHandler, StreamSettings, TranscriptResult

FRAME_MS: Final = 20
SPEECH_RMS: Final = 400.0
HANGOVER_MS: Final = 500  # silence that ends an utterance
PARTIAL_EVERY_MS: Final = 400
SPEAKER_CHANNELS: Final = {"CUSTOMER": "ch_0", "AGENT": "ch_1"}


@dataclass
class _Channel:
    name: str
    lines: deque[str]
    frame: bytearray = field(default_factory=bytearray)
    frames_seen: int = 0
    utterance: int = 0
    speech_start: int | None = None  # frame index
    last_speech: int = 0
    last_partial: int = 0


class ScriptedStream:
    def __init__(
        self,
        settings: StreamSettings,
        lines: dict[str, Sequence[str]],
        on_result: ResultHandler,
        on_error: ErrorHandler,
        *,
        session: int,
        fail_after_seconds: float | None = None,
    ) -> None:
        self.settings = settings
        self._on_result = on_result
        self._on_error = on_error
        self._session = session
        self._fail_after = fail_after_seconds
        self._channels = [
            _Channel(f"ch_{index}", deque(lines.get(f"ch_{index}", ()))) for index in range(settings.channels)
        ]
        self._frame_bytes = settings.sample_rate * FRAME_MS // 1000 * 2
        self._pending = bytearray()
        self.audio_bytes = 0
        self.received = bytearray()  # every byte of audio this session accepted, in order
        self.finished = False
        self.aborted = False
        self.failed = False

    # ------------------------------------------------------------------ TranscriptionStream
    def send_audio(self, pcm: bytes) -> None:
        if self.finished or self.aborted:
            raise RuntimeError("audio sent to a closed session")
        if self.failed:
            return  # as on a dropped connection: the failure was reported, the audio goes nowhere
        self.audio_bytes += len(pcm)
        self.received += pcm
        self._pending += pcm
        frame_set = self._frame_bytes * len(self._channels)
        while len(self._pending) >= frame_set:
            block = bytes(self._pending[:frame_set])
            del self._pending[:frame_set]
            self._frame(block)
            if (
                self._fail_after is not None
                and self._seconds(self._channels[0].frames_seen) >= self._fail_after
            ):
                self.failed = True
                self._on_error(TranscribeUnavailable("scripted failure: session dropped"))
                return

    def finish(self, timeout: float) -> None:
        del timeout  # everything is synchronous here
        if self.finished:
            return
        self.finished = True
        for channel in self._channels:
            if channel.speech_start is not None:
                self._final(channel, channel.frames_seen)

    def abort(self) -> None:
        self.aborted = True

    # ------------------------------------------------------------------ voice activity
    def _frame(self, block: bytes) -> None:
        samples = array("h", block)
        if sys.byteorder == "big":  # pragma: no cover
            samples.byteswap()
        count = len(self._channels)
        for index, channel in enumerate(self._channels):
            values = samples[index::count]
            rms = math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0
            position = channel.frames_seen
            channel.frames_seen += 1
            if rms >= SPEECH_RMS:
                if channel.speech_start is None:
                    channel.speech_start = position
                    channel.utterance += 1
                    channel.last_partial = position
                channel.last_speech = position
            if channel.speech_start is None:
                continue
            if (position - channel.last_speech) * FRAME_MS >= HANGOVER_MS:
                self._final(channel, channel.last_speech + 1)
            elif (position - channel.last_partial) * FRAME_MS >= PARTIAL_EVERY_MS:
                channel.last_partial = position
                self._partial(channel, position + 1)

    def _seconds(self, frames: int) -> float:
        return round(frames * FRAME_MS / 1000, 3)

    def _text(self, channel: _Channel) -> str:
        if channel.lines:
            return channel.lines[0]
        start = cast(int, channel.speech_start)  # set when the utterance began
        return f"(speech {self._seconds(channel.last_speech + 1 - start):.1f} s)"

    def _result(self, channel: _Channel, end_frame: int, text: str, partial: bool) -> TranscriptResult:
        return TranscriptResult(
            result_id=f"s{self._session}-{channel.name}-{channel.utterance}",
            channel=channel.name,
            start_time=self._seconds(cast(int, channel.speech_start)),
            end_time=self._seconds(end_frame),
            is_partial=partial,
            text=text,
            language=self.settings.language,
        )

    def _partial(self, channel: _Channel, end_frame: int) -> None:
        words = self._text(channel).split()
        spoken = (end_frame - cast(int, channel.speech_start)) * FRAME_MS
        shown = max(1, min(len(words) - 1, round(len(words) * spoken / max(len(words) * 330, 1))))
        self._on_result(self._result(channel, end_frame, " ".join(words[:shown]), partial=True))

    def _final(self, channel: _Channel, end_frame: int) -> None:
        text = self._text(channel)
        if channel.lines:
            channel.lines.popleft()
        self._on_result(self._result(channel, end_frame, text, partial=False))
        channel.speech_start = None


class ScriptedTranscribe:
    """The TranscribeStreaming port; `script` holds each speaker's lines, shared across sessions."""

    def __init__(
        self,
        script: Iterable[tuple[str, str]] = (),
        *,
        reject_languages: Iterable[str] = (),
        unavailable_starts: int = 0,
        fail_after_seconds: float | None = None,
    ) -> None:
        self.lines: dict[str, deque[str]] = {"ch_0": deque(), "ch_1": deque()}
        for speaker, text in script:
            self.lines[SPEAKER_CHANNELS[speaker]].append(text)
        self._reject = set(reject_languages)
        self._unavailable = unavailable_starts
        self._fail_after = fail_after_seconds
        self.sessions: list[ScriptedStream] = []

    def start(
        self, settings: StreamSettings, on_result: ResultHandler, on_error: ErrorHandler
    ) -> ScriptedStream:
        if settings.language in self._reject:
            raise TranscribeRejected(f"language {settings.language} is not supported")
        if self._unavailable > 0:
            self._unavailable -= 1
            raise TranscribeUnavailable("LimitExceededException: too many concurrent streams")
        stream = _SharedScriptStream(
            self,
            settings,
            on_result,
            on_error,
            session=len(self.sessions) + 1,
            fail_after_seconds=self._fail_after,
        )
        self._fail_after = None  # only the first session fails
        self.sessions.append(stream)
        return stream

    @property
    def audio_seconds(self) -> float:
        """Audio received by every session so far (a live call's clock, for tests)."""
        return sum(
            session.audio_bytes / (session.settings.sample_rate * 2 * session.settings.channels)
            for session in self.sessions
        )


class _SharedScriptStream(ScriptedStream):
    """A session consuming the shared script, so a call spread over sessions says each line once."""

    def __init__(
        self, owner: ScriptedTranscribe, settings: StreamSettings, *args: object, **kwargs: object
    ) -> None:
        super().__init__(settings, {}, *args, **kwargs)  # type: ignore[arg-type]
        for channel in self._channels:
            channel.lines = owner.lines.setdefault(channel.name, deque())
