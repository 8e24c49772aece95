"""Small PCM helpers: silence at the end of a fragment (where a seam may fall) and chunking for Transcribe."""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field


def tail_rms(pcm: bytes, sample_rate: int, window_ms: int) -> float:
    """Root mean square of the last `window_ms` of 16-bit little-endian mono PCM (0 for no audio)."""
    samples = min(len(pcm) // 2, sample_rate * window_ms // 1000)
    if samples <= 0:
        return 0.0
    values = array("h", pcm[len(pcm) // 2 * 2 - samples * 2 : len(pcm) // 2 * 2])
    if sys.byteorder == "big":  # pragma: no cover - Lambda and CI are little-endian
        values.byteswap()
    return math.sqrt(sum(value * value for value in values) / samples)


def interleave(left: bytes, right: bytes) -> bytes:
    """Two mono 16-bit tracks as one stereo stream (left first); the shorter one padded with silence."""
    frames = max(len(left), len(right)) // 2
    left_samples = array("h", left[: frames * 2].ljust(frames * 2, b"\x00"))
    right_samples = array("h", right[: frames * 2].ljust(frames * 2, b"\x00"))
    stereo = array("h", bytes(frames * 4))
    stereo[0::2] = left_samples
    stereo[1::2] = right_samples
    return stereo.tobytes()  # byte order is preserved: both inputs and the output are little-endian


def chunks(pcm: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]


@dataclass(frozen=True)
class StereoChunk:
    start: int  # sample index from the time base
    pcm: bytes  # interleaved: customer (left), agent (right)

    @property
    def samples(self) -> int:
        return len(self.pcm) // 4


@dataclass
class _Track:
    start: int = 0  # sample index of buffer[0]
    buffer: bytearray = field(default_factory=bytearray)
    seen: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.buffer) // 2


class StereoAligner:
    """Lines the two tracks up on one clock and interleaves them, whatever their fragment boundaries.

    Connect's tracks arrive in blocks with their own timecodes, and a fragment may hold a little more
    of one track than of the other. Each track is placed where its timecodes say (small jitter is
    ignored, gaps become silence, overlaps are dropped) and stereo is released up to the point both
    tracks have reached. Nothing before `resume_at` is released: a continuation re-reads the last
    fragment and picks up exactly where the previous invocation stopped.
    """

    def __init__(self, sample_rate: int, base_ms: float, resume_at: int = 0, max_lag_ms: int = 1500) -> None:
        self.sample_rate = sample_rate
        self.base_ms = base_ms
        self.position = resume_at  # next sample to release
        self._tracks = (_Track(start=resume_at), _Track(start=resume_at))
        self._tolerance = max(sample_rate // 500, 1)  # 2 ms: timecodes are whole milliseconds
        self._max_lag = sample_rate * max_lag_ms // 1000
        self._started = resume_at > 0

    def add(
        self, customer: bytes, customer_start_ms: float | None, agent: bytes, agent_start_ms: float | None
    ) -> list[StereoChunk]:
        for track, pcm, start_ms in (
            (self._tracks[0], customer, customer_start_ms),
            (self._tracks[1], agent, agent_start_ms),
        ):
            if pcm:
                self._place(track, pcm, start_ms)
        if not any(track.seen for track in self._tracks):
            return []
        # A track not heard from yet holds the release back, but never more than max_lag.
        ends = [track.end if track.seen else self.position for track in self._tracks]
        return self._release(max(min(ends), max(ends) - self._max_lag))

    def flush(self) -> list[StereoChunk]:
        """Release everything buffered (the shorter track padded with silence): the end of the audio."""
        return self._release(max(track.end for track in self._tracks))

    def _place(self, track: _Track, pcm: bytes, start_ms: float | None) -> None:
        if start_ms is None:
            start = track.end if track.seen else self.position
        else:
            start = round((start_ms - self.base_ms) * self.sample_rate / 1000)
        if not track.seen:  # the track's first audio goes exactly where its timecode says
            if not self._started:
                others = [t for t in self._tracks if t.seen]
                self.position = min(self.position, start) if others else start
            track.seen, track.start, track.buffer = True, start, bytearray(pcm)
        else:
            gap = start - track.end
            if gap > self._tolerance:
                track.buffer += bytes(gap * 2)
            elif gap < -self._tolerance:
                pcm = pcm[-gap * 2 :]  # already have these samples
            track.buffer += pcm
        if track.start < self.position:  # before the resume point: released by an earlier invocation
            drop = min(self.position - track.start, len(track.buffer) // 2)
            del track.buffer[: drop * 2]
            track.start += drop

    def _release(self, horizon: int) -> list[StereoChunk]:
        if horizon <= self.position:
            return []
        self._started = True
        start, count = self.position, horizon - self.position
        channels = []
        for track in self._tracks:
            lead = max(track.start - start, 0)
            take = max(min(count - lead, len(track.buffer) // 2), 0)
            channels.append(
                bytes(lead * 2) + bytes(track.buffer[: take * 2]) + bytes((count - lead - take) * 2)
            )
            del track.buffer[: take * 2]
            track.start = max(track.start, start) + take if take else max(track.start, horizon)
        self.position = horizon
        return [StereoChunk(start, interleave(channels[0], channels[1]))]
