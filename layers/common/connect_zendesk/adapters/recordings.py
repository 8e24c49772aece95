"""Call recordings in the recordings bucket (encrypted by the bucket's default encryption)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from connect_zendesk.adapters.aws_clients import aws_client


class _ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, so S3 uploads it in parts without holding it all."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class S3RecordingStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def put_recording(self, key: str, chunks: Iterator[bytes], size: int) -> str:
        aws_client("s3", "batch").upload_fileobj(
            io.BufferedReader(_ChunkReader(chunks)),
            self._bucket,
            key,
            ExtraArgs={"ContentType": "audio/wav", "Metadata": {"bytes": str(size)}},
        )
        return f"s3://{self._bucket}/{key}"
