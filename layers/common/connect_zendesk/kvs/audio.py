"""Small PCM helpers: silence at the end of a fragment (where a seam may fall) and chunking for Transcribe."""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterator


def tail_rms(pcm: bytes, sample_rate: int, window_ms: int) -> float:
    """Root mean square of the last `window_ms` of 16-bit little-endian mono PCM (0 for no audio)."""
    samples = min(len(pcm) // 2, sample_rate * window_ms // 1000)
    if samples <= 0:
        return 0.0
    values = array("h", pcm[len(pcm) // 2 * 2 - samples * 2 : len(pcm) // 2 * 2])
    if sys.byteorder == "big":  # pragma: no cover - Lambda and CI are little-endian
        values.byteswap()
    return math.sqrt(sum(value * value for value in values) / samples)


def chunks(pcm: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]
