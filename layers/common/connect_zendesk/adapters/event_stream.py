"""AWS event stream encoding (application/vnd.amazon.eventstream) and its SigV4 chunk signatures.

The framing Amazon Transcribe streaming uses in both directions: a prelude (total and header
lengths, CRC-32), typed headers, the payload and a CRC-32 of the whole message. Audio events are
sent inside signed envelopes whose `:chunk-signature` chains from the HTTP request's signature.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

BYTES_TYPE: Final = 6
STRING_TYPE: Final = 7
TIMESTAMP_TYPE: Final = 8
_PRELUDE: Final = 12
MAX_MESSAGE: Final = 16 * 1024 * 1024

HeaderValue = str | bytes | datetime


class EventStreamError(ValueError):
    """Bytes that are not a valid event stream message (bad lengths or checksums)."""


@dataclass(frozen=True)
class Message:
    headers: dict[str, HeaderValue]
    payload: bytes

    def header(self, name: str) -> str:
        value = self.headers.get(name, "")
        return value if isinstance(value, str) else ""


def encode_headers(headers: Sequence[tuple[str, HeaderValue]]) -> bytes:
    encoded = bytearray()
    for name, value in headers:
        raw_name = name.encode("utf-8")
        encoded += struct.pack(">B", len(raw_name)) + raw_name
        if isinstance(value, datetime):
            encoded += struct.pack(">Bq", TIMESTAMP_TYPE, int(value.timestamp() * 1000))
        elif isinstance(value, bytes):
            encoded += struct.pack(">BH", BYTES_TYPE, len(value)) + value
        else:
            raw = value.encode("utf-8")
            encoded += struct.pack(">BH", STRING_TYPE, len(raw)) + raw
    return bytes(encoded)


def encode_message(headers: Sequence[tuple[str, HeaderValue]], payload: bytes) -> bytes:
    encoded_headers = encode_headers(headers)
    total = _PRELUDE + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded_headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    body = prelude + encoded_headers + payload
    return body + struct.pack(">I", binascii.crc32(body))


class MessageDecoder:
    """Incremental decoder: feed response bytes as they arrive, get whole messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while len(self._buffer) >= _PRELUDE:
            total, headers_length, prelude_crc = struct.unpack(">III", self._buffer[:_PRELUDE])
            if binascii.crc32(self._buffer[:8]) != prelude_crc:
                raise EventStreamError("prelude checksum mismatch")
            if total > MAX_MESSAGE or total < _PRELUDE + 4 + headers_length:
                raise EventStreamError(f"implausible message length {total}")
            if len(self._buffer) < total:
                break
            raw = bytes(self._buffer[:total])
            del self._buffer[:total]
            if binascii.crc32(raw[:-4]) != struct.unpack(">I", raw[-4:])[0]:
                raise EventStreamError("message checksum mismatch")
            headers = _decode_headers(raw[_PRELUDE : _PRELUDE + headers_length])
            messages.append(Message(headers, raw[_PRELUDE + headers_length : -4]))
        return messages


def _decode_headers(data: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    position = 0
    while position < len(data):
        name_length = data[position]
        name = data[position + 1 : position + 1 + name_length].decode("utf-8")
        position += 1 + name_length
        kind = data[position]
        position += 1
        if kind in (BYTES_TYPE, STRING_TYPE):
            (length,) = struct.unpack(">H", data[position : position + 2])
            raw = data[position + 2 : position + 2 + length]
            headers[name] = raw.decode("utf-8") if kind == STRING_TYPE else raw
            position += 2 + length
        elif kind == TIMESTAMP_TYPE:
            (millis,) = struct.unpack(">q", data[position : position + 8])
            headers[name] = datetime.fromtimestamp(millis / 1000, UTC)
            position += 8
        elif kind in (0, 1):  # booleans: the value is the type
            headers[name] = "true" if kind == 0 else "false"
        else:
            sizes = {2: 1, 3: 2, 4: 4, 5: 8, 9: 16}
            if kind not in sizes:
                raise EventStreamError(f"unknown header type {kind}")
            headers[name] = data[position : position + sizes[kind]]
            position += sizes[kind]
    return headers


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


class ChunkSigner:
    """Signs event stream messages in a chain starting from the request's (seed) signature."""

    def __init__(
        self,
        secret_key: str,
        region: str,
        seed_signature: str,
        service: str = "transcribe",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._secret = secret_key
        self._region = region
        self._service = service
        self._previous = seed_signature
        self._clock = clock

    def sign(self, payload: bytes) -> bytes:
        """The signed envelope around an encoded message (an empty payload ends the stream)."""
        now = self._clock()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the header carries milliseconds
        date = now.strftime("%Y%m%d")
        date_header = encode_headers([(":date", now)])
        scope = f"{date}/{self._region}/{self._service}/aws4_request"
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                now.strftime("%Y%m%dT%H%M%SZ"),
                scope,
                self._previous,
                hashlib.sha256(date_header).hexdigest(),
                hashlib.sha256(payload).hexdigest(),
            ]
        )
        key = signing_key(self._secret, date, self._region, self._service)
        signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        self._previous = signature
        return encode_message([(":date", now), (":chunk-signature", bytes.fromhex(signature))], payload)


def audio_event(pcm: bytes) -> bytes:
    return encode_message(
        [
            (":content-type", "application/octet-stream"),
            (":event-type", "AudioEvent"),
            (":message-type", "event"),
        ],
        pcm,
    )
