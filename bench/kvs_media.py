"""The KVS audio path's media reader: how much faster than real time, and how much memory per call minute.

Media is made here as for the tests (espeak-ng speaks, ffmpeg muxes, laid out as Connect's fragments)
and repeated to a 10-minute call with fresh fragment numbers and timestamps. The stream is fed in
16 KB reads as GetMedia delivers it; each fragment is dropped once returned, as kvs_transcriber does
after sending it. Memory is what tracemalloc sees allocated at each minute of the call (the reader and
the track aligner stay alive), so growth per minute shows anything kept for the length of a call.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from connect_zendesk.kvs.audio import StereoAligner
from connect_zendesk.kvs.fragments import FragmentReader
from connect_zendesk_local.kvs_fixtures import (
    FIRST_FRAGMENT_NUMBER,
    FRAGMENT_NUMBER_STEP,
    CallScript,
    Utterance,
    connect_fragments,
    missing_media_tools,
    mux,
    synthesize,
)

from bench.report import Row

READ_SIZE = 16 * 1024
MINUTE_SCRIPT = CallScript(
    contact_id="be0c4a11-0000-4000-8000-00000000be0c",
    utterances=tuple(
        Utterance(
            "CUSTOMER" if i % 2 else "AGENT",
            f"Benchmark line {i + 1}, about order {2000 + i}.",
            300 + i * 5000,
        )
        for i in range(12)
    ),
    tail_ms=0,
)


def call_stream(minutes: int, mkv: bytes, minute_ms: int) -> bytes:
    """`minutes` repetitions of a one-minute call, numbered and timed as one continuous stream."""
    parts: list[bytes] = []
    count = 0
    for minute in range(minutes):
        fragments = connect_fragments(
            mkv,
            MINUTE_SCRIPT.contact_id,
            first_number=FIRST_FRAGMENT_NUMBER + count * FRAGMENT_NUMBER_STEP,
            producer_start_ms=1_726_677_688_724 + minute * minute_ms,
        )
        count += len(fragments)
        parts.extend(fragment.data for fragment in fragments)
    return b"".join(parts)


def parse(stream: bytes, *, align: bool, each_minute: Callable[[], None] | None = None) -> float:
    """Seconds of audio read from the stream (fragments dropped as they come)."""
    reader = FragmentReader()
    aligner: StereoAligner | None = None
    samples = 0
    for start in range(0, len(stream), READ_SIZE):
        for fragment in reader.feed(stream[start : start + READ_SIZE]):
            if each_minute is not None and (samples + fragment.samples) // 480_000 > samples // 480_000:
                each_minute()
            samples += fragment.samples
            if align:
                if aligner is None:
                    aligner = StereoAligner(fragment.sample_rate, fragment.customer_start_ms or 0.0)
                aligner.add(
                    fragment.customer, fragment.customer_start_ms, fragment.agent, fragment.agent_start_ms
                )
    reader.close()
    return samples / 8000


def cpu_throughput(work: Callable[[], float], repeats: int = 3) -> float:
    """Best of `repeats`: seconds of audio handled per second of CPU."""
    best = 0.0
    for _ in range(repeats):
        started = time.process_time()
        audio = work()
        best = max(best, audio / max(time.process_time() - started, 1e-9))
    return best


def memory(stream: bytes) -> tuple[list[int], int]:
    """Memory held by the reader and aligner at each minute of the call, and the peak (bytes)."""
    held: list[int] = []
    tracemalloc.start()
    try:
        parse(stream, align=True, each_minute=lambda: held.append(tracemalloc.get_traced_memory()[0]))
        return held, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run() -> list[Row]:
    missing = missing_media_tools()
    if missing:
        print(f"  KVS media benchmarks skipped: they need the Debian packages {', '.join(missing)}")
        return []
    with tempfile.TemporaryDirectory(prefix="bench-kvs-") as directory:
        audio = synthesize(MINUTE_SCRIPT, Path(directory))
        mkv = mux(audio, Path(directory))
    minute_ms = 60_000
    one_minute = call_stream(1, mkv, minute_ms)
    ten_minutes = call_stream(10, mkv, minute_ms)

    parser = cpu_throughput(lambda: parse(ten_minutes, align=False))
    pipeline = cpu_throughput(lambda: parse(ten_minutes, align=True))
    held, peak = memory(ten_minutes)
    per_minute = (held[-1] - held[0]) / max(len(held) - 1, 1)
    stream_kb_per_minute = len(one_minute) / 1024
    return [
        Row(
            "KVS media reader throughput",
            f"{parser:,.0f} s of audio per CPU s",
            1 / parser,
            0.01,
            "CPU s per s of call audio (1.00 = real time; budget: 100x faster)",
        ),
        Row(
            "KVS reader + track alignment",
            f"{pipeline:,.0f} s of audio per CPU s",
            1 / pipeline,
            0.02,
            "same, with both tracks lined up into stereo for Transcribe",
        ),
        Row(
            "KVS memory held per call minute",
            f"{per_minute / 1024:+,.1f} KB/min (held {held[-1] / 1024:,.0f} KB, peak {peak / 1024:,.0f} KB)",
            max(per_minute, 0) / (stream_kb_per_minute * 1024),
            0.01,
            f"the call's own stream: {stream_kb_per_minute:,.0f} KB per minute (10-minute call)",
        ),
    ]
