"""Optional call recording: the stereo PCM sent to Transcribe, kept as a WAV (customer left, agent right).

Audio is spooled to /tmp (a 15-minute invocation holds 28.8 MB of stereo PCM) rather than memory. Each
invocation stores its own part, `<prefix><contactId>/part-0000.wav`, `part-0001.wav`, ...: parts of
one call follow each other without gap or overlap, because every fragment goes to exactly one
invocation.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Final

CHUNK: Final = 1024 * 1024


def wav_header(data_bytes: int, sample_rate: int, channels: int = 2, bits: int = 16) -> bytes:
    block_align = channels * bits // 8
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        sample_rate,
        sample_rate * block_align,
        block_align,
        bits,
        b"data",
        data_bytes,
    )


class WavSpool:
    def __init__(self, sample_rate: int, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="kvs-recording-")  # noqa: SIM115 - closed in close()
        self.data_bytes = 0

    def append(self, pcm: bytes) -> None:
        self._file.write(pcm)
        self.data_bytes += len(pcm)

    @property
    def size(self) -> int:
        return 44 + self.data_bytes

    def chunks(self) -> Iterator[bytes]:
        yield wav_header(self.data_bytes, self.sample_rate, self.channels)
        self._file.seek(0)
        while block := self._file.read(CHUNK):
            yield block

    def close(self) -> None:
        self._file.close()


def recording_key(prefix: str, contact_id: str, sequence: int) -> str:
    return f"{prefix}{contact_id}/part-{sequence:04d}.wav"
