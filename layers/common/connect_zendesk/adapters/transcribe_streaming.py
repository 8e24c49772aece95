"""Amazon Transcribe streaming over HTTP/2 (StartStreamTranscription), with awscrt as the HTTP/2 client.

boto3 has no Transcribe streaming; the `amazon-transcribe` SDK pins an awscrt release that conflicts
with the one botocore and the SAM CLI use, and AWS's newer SDK needs Python 3.12. This client speaks
the documented protocol itself: a SigV4-signed HTTP/2 POST /stream-transcription, then audio
events in signed event-stream envelopes, while TranscriptEvents stream back on the same HTTP/2
stream. awscrt (manylinux aarch64 wheel) ships with kvs_transcriber only, not the common layer.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from connect_zendesk.adapters.event_stream import ChunkSigner, Message, MessageDecoder, audio_event
from connect_zendesk.kvs.errors import KvsPathError, TranscribeRejected, TranscribeUnavailable
from connect_zendesk.kvs.ports import ErrorHandler, ResultHandler, StreamSettings, TranscriptResult
from connect_zendesk.untrusted import NOT_JSON, UntrustedInput, bounded_number, decode_json

PORT: Final = 443  # HTTP/2; port 8443 is the WebSocket endpoint
PATH: Final = "/stream-transcription"
WRITE_TIMEOUT: Final = 10.0
CONNECT_TIMEOUT: Final = 5.0
_RETRYABLE: Final = frozenset(
    {
        "LimitExceededException",
        "InternalFailureException",
        "ServiceUnavailableException",
        "ThrottlingException",
    }
)


class Http2Stream(Protocol):
    """The part of awscrt's Http2ClientStream this client uses (tests replace it)."""

    def activate(self) -> None: ...

    def write_data(self, data_stream: Any, end_stream: bool = False) -> Future[None]: ...

    @property
    def completion_future(self) -> Future[int]: ...


OpenStream = Callable[
    [str, int, list[tuple[str, str]], Callable[..., None], Callable[..., None]],
    Http2Stream,
]


def _awscrt_stream(
    host: str,
    port: int,
    headers: list[tuple[str, str]],
    on_response: Callable[..., None],
    on_body: Callable[..., None],
) -> Http2Stream:  # pragma: no cover - needs the Transcribe endpoint; the protocol is tested with fakes
    from awscrt import http  # noqa: PLC0415 - loaded only by kvs_transcriber
    from awscrt import io as crt_io  # noqa: PLC0415

    options = crt_io.TlsContextOptions()
    options.alpn_list = ["h2"]
    tls = crt_io.ClientTlsContext(options).new_connection_options()
    tls.set_server_name(host)
    connection = http.Http2ClientConnection.new(host_name=host, port=port, tls_connection_options=tls).result(
        CONNECT_TIMEOUT
    )
    request = http.HttpRequest("POST", PATH, http.HttpHeaders(headers))
    return connection.request(  # type: ignore[no-any-return]
        request, on_response=on_response, on_body=on_body, manual_write=True
    )


class TranscribeStreamingClient:
    """The TranscribeStreaming port against the real service."""

    def __init__(
        self,
        region: str,
        *,
        endpoint_host: str = "",
        open_stream: OpenStream = _awscrt_stream,
        credentials: Any = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._region = region
        self._host = endpoint_host or f"transcribestreaming.{region}.amazonaws.com"
        self._open_stream = open_stream
        self._credentials = credentials
        self._clock = clock

    def start(
        self, settings: StreamSettings, on_result: ResultHandler, on_error: ErrorHandler
    ) -> TranscribeSession:
        credentials = self._credentials or botocore.session.get_session().get_credentials()
        if credentials is None:
            raise TranscribeRejected("no AWS credentials for Transcribe")
        frozen = credentials.get_frozen_credentials()
        headers, seed = self._signed_headers(settings, frozen)
        session = TranscribeSession(
            ChunkSigner(str(frozen.secret_key), self._region, seed, clock=self._clock), on_result, on_error
        )
        try:
            stream = self._open_stream(self._host, PORT, headers, session.on_response, session.on_body)
            stream.activate()
        except Exception as exc:
            raise TranscribeUnavailable(f"cannot open a Transcribe stream: {type(exc).__name__}") from exc
        session.attach(stream)
        return session

    def _signed_headers(
        self, settings: StreamSettings, credentials: Any
    ) -> tuple[list[tuple[str, str]], str]:
        headers = request_headers(settings)
        request = AWSRequest(method="POST", url=f"https://{self._host}{PATH}", headers=headers)
        SigV4Auth(credentials, "transcribe", self._region).add_auth(request)
        authorization = str(request.headers["Authorization"])
        seed = authorization.rsplit("Signature=", 1)[-1]
        signed = [(name, str(value)) for name, value in request.headers.items()]
        if not any(name.lower() == "host" for name, _ in signed):
            signed.append(("host", self._host))
        return signed, seed


def request_headers(settings: StreamSettings) -> dict[str, str]:
    headers = {
        "content-type": "application/vnd.amazon.eventstream",
        "x-amz-target": "com.amazonaws.transcribe.Transcribe.StartStreamTranscription",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-EVENTS",
        "x-amzn-transcribe-language-code": settings.language,
        "x-amzn-transcribe-sample-rate": str(settings.sample_rate),
        "x-amzn-transcribe-media-encoding": "pcm",
        "x-amzn-transcribe-enable-partial-results-stabilization": "true",
        "x-amzn-transcribe-partial-results-stability": settings.partial_stability,
    }
    if settings.channels > 1:
        headers["x-amzn-transcribe-enable-channel-identification"] = "true"
        headers["x-amzn-transcribe-number-of-channels"] = str(settings.channels)
    if settings.vocabulary:
        headers["x-amzn-transcribe-vocabulary-name"] = settings.vocabulary
    if settings.pii_redaction:
        headers["x-amzn-transcribe-content-redaction-type"] = "PII"
        if settings.pii_entity_types:
            headers["x-amzn-transcribe-pii-entity-types"] = settings.pii_entity_types
    return headers


class TranscribeSession:
    """One StartStreamTranscription stream: sends audio, decodes results as they arrive."""

    def __init__(self, signer: ChunkSigner, on_result: ResultHandler, on_error: ErrorHandler) -> None:
        self._signer = signer
        self._on_result = on_result
        self._on_error = on_error
        self._decoder = MessageDecoder()
        self._stream: Http2Stream | None = None
        self._status = 0
        self._error_body = bytearray()
        self._failed = threading.Event()
        self._lock = threading.Lock()
        self.closed = False

    def attach(self, stream: Http2Stream) -> None:
        self._stream = stream

    # ------------------------------------------------------------------ callbacks (awscrt threads)
    def on_response(
        self, http_stream: Any = None, status_code: int = 0, headers: Any = None, **_: Any
    ) -> None:
        self._status = status_code

    def on_body(self, http_stream: Any = None, chunk: bytes = b"", **_: Any) -> None:
        if self._status and self._status != 200:
            self._error_body += chunk
            if len(self._error_body) < 64 * 1024:
                self._fail_from_http()
            return
        try:
            messages = self._decoder.feed(chunk)
        except ValueError as exc:
            self._fail(TranscribeUnavailable(f"unreadable response stream: {exc}"))
            return
        for message in messages:
            self._dispatch(message)

    def _dispatch(self, message: Message) -> None:
        kind = message.header(":message-type")
        if kind == "event" and message.header(":event-type") == "TranscriptEvent":
            for result in parse_transcript_event(message.payload):
                self._on_result(result)
        elif kind == "exception":
            name = message.header(":exception-type")
            self._fail(_service_error(name, _message_text(message.payload)))
        elif kind == "error":
            name = message.header(":error-code")
            self._fail(_service_error(name, message.header(":error-message")))

    def _fail_from_http(self) -> None:
        name = ""
        text = bytes(self._error_body).decode("utf-8", errors="replace")
        try:
            body = decode_json(text)
        except UntrustedInput as exc:
            if exc.reason == NOT_JSON:
                return  # wait for the rest of the body
            body = {}  # too deep, too large, NaN: the status code alone names the failure
        if isinstance(body, Mapping):
            name = str(body.get("__type", "")).rsplit("#", 1)[-1]
            text = str(body.get("message") or body.get("Message") or text)
        if not name:
            name = "ServiceUnavailableException" if self._status >= 500 else "BadRequestException"
        self._fail(_service_error(name, text))

    def _fail(self, error: KvsPathError) -> None:
        if not self._failed.is_set():
            self._failed.set()
            self._on_error(error)

    # ------------------------------------------------------------------ TranscriptionStream
    def send_audio(self, pcm: bytes) -> None:
        self._write(self._signer.sign(audio_event(pcm)), end=False)

    def finish(self, timeout: float) -> None:
        if self.closed:
            return
        self.closed = True
        self._write(self._signer.sign(b""), end=True)
        stream = self._stream
        if stream is not None:
            stream.completion_future.result(timeout)

    def abort(self) -> None:
        self.closed = True

    def _write(self, data: bytes, *, end: bool) -> None:
        stream = self._stream
        if stream is None or self._failed.is_set():
            return  # the failure was reported through on_error; the transcriber restarts the session
        with self._lock:  # event order matters: one write at a time
            try:
                stream.write_data(io.BytesIO(data), end).result(WRITE_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - a dropped stream is reported as a session failure
                self._fail(TranscribeUnavailable(f"audio write failed: {type(exc).__name__}"))


def parse_transcript_event(payload: bytes) -> list[TranscriptResult]:
    """The results of one TranscriptEvent ({"Transcript": {"Results": [...]}})."""
    try:
        document = decode_json(payload)
    except UntrustedInput:
        return []
    transcript = document.get("Transcript") if isinstance(document, Mapping) else None
    results = transcript.get("Results") if isinstance(transcript, Mapping) else None
    parsed: list[TranscriptResult] = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping):
            continue
        alternatives = result.get("Alternatives")
        first = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
        text = first.get("Transcript", "") if isinstance(first, Mapping) else ""
        try:
            parsed.append(
                TranscriptResult(
                    result_id=str(result.get("ResultId", "")),
                    channel=str(result.get("ChannelId") or "ch_0"),
                    start_time=_stream_seconds(result.get("StartTime", 0.0), "StartTime"),
                    end_time=_stream_seconds(result.get("EndTime", 0.0), "EndTime"),
                    is_partial=bool(result.get("IsPartial", False)),
                    text=text if isinstance(text, str) else "",
                    language=str(result.get("LanguageCode") or ""),
                )
            )
        except (TypeError, ValueError):  # UntrustedInput too: a NaN, infinite or negative time
            continue
    return parsed


MAX_STREAM_SECONDS = 7 * 24 * 3600.0  # far beyond a call; a session restarts long before


def _stream_seconds(value: Any, what: str) -> float:
    """A result's offset in the audio stream: finite seconds, not before its start."""
    if isinstance(value, str):  # the service sends numbers; text is read as one if it is a number
        value = float(value)
    return bounded_number(value, what, low=0.0, high=MAX_STREAM_SECONDS)


def _message_text(payload: bytes) -> str:
    try:
        body = decode_json(payload)
    except UntrustedInput:
        return payload.decode("utf-8", errors="replace")[:300]
    return str(body.get("Message") or body.get("message") or "") if isinstance(body, Mapping) else ""


def _service_error(name: str, text: str) -> KvsPathError:
    detail = f"{name}: {text}".strip(": ")
    return TranscribeUnavailable(detail) if name in _RETRYABLE else TranscribeRejected(detail)
