"""Adapters of the KVS path: Transcribe streaming, GetMedia, Lambda, the DynamoDB lease, S3, the sink slot."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from connect_zendesk.adapters import kvs_media, lambda_invoker, recordings
from connect_zendesk.adapters.event_stream import (
    ChunkSigner,
    EventStreamError,
    MessageDecoder,
    audio_event,
    encode_headers,
    encode_message,
    signing_key,
)
from connect_zendesk.adapters.kvs_media import KvsMediaSource, media_error
from connect_zendesk.adapters.kvs_progress import DynamoTranscriptionProgress
from connect_zendesk.adapters.kvs_transcript_sink import (
    RealtimeTranscriptSink,
    transcript_sink,
)
from connect_zendesk.adapters.lambda_invoker import InvokeFailed, LambdaInvoker
from connect_zendesk.adapters.recordings import S3RecordingStore
from connect_zendesk.adapters.transcribe_streaming import (
    TranscribeSession,
    TranscribeStreamingClient,
    parse_transcript_event,
    request_headers,
)
from connect_zendesk.errors import NotConfigured, StorageError
from connect_zendesk.kvs.audio import StereoAligner, tail_rms
from connect_zendesk.kvs.errors import (
    KvsPathError,
    MediaAccessDenied,
    MediaNotFound,
    MediaUnavailable,
    TranscribeRejected,
    TranscribeUnavailable,
)
from connect_zendesk.kvs.ports import FinalSegment, PartialSegment, StreamSettings, TranscriptResult
from connect_zendesk.kvs.scripted_transcribe import ScriptedTranscribe
from connect_zendesk.kvs.segments import SegmentMapper, Timeline, segment_id
from connect_zendesk.realtime.segments import TranscriptWriter
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template

NOW = datetime(2026, 11, 21, 12, 0, 0, 123000, tzinfo=UTC)
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
SETTINGS = StreamSettings(language="en-US", vocabulary="acme", pii_redaction=True, pii_entity_types="NAME")


# ---------------------------------------------------------------------------- event stream
def botocore_decode(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_messages_decode_with_botocores_event_stream_parser() -> None:
    encoded = encode_message(
        [(":message-type", "event"), (":event-type", "AudioEvent"), ("blob", b"\x00\x01"), (":date", NOW)],
        b"pcm",
    )
    (message,) = botocore_decode(encoded)
    assert message.payload == b"pcm"
    assert message.headers[":event-type"] == "AudioEvent"
    assert message.headers["blob"] == b"\x00\x01"
    assert message.headers[":date"] == int(NOW.timestamp() * 1000)


def test_the_decoder_reads_messages_split_anywhere() -> None:
    stream = b"".join(
        encode_message([(":message-type", "event"), ("n", str(i))], bytes([i]) * i) for i in range(5)
    )
    decoder = MessageDecoder()
    messages = [m for i in range(len(stream)) for m in decoder.feed(stream[i : i + 1])]
    assert [m.payload for m in messages] == [bytes([i]) * i for i in range(5)]
    assert messages[3].header("n") == "3"
    assert messages[3].header(":missing") == ""


def test_the_decoder_reads_every_header_type() -> None:
    headers = b"".join(
        [
            b"\x01t\x00",  # true
            b"\x01f\x01",  # false
            b"\x01b\x02\x07",  # byte
            b"\x01i\x04\x00\x00\x00\x07",  # int32
            b"\x01u\x09" + bytes(16),  # uuid
        ]
    )
    prelude_free = headers + b"x"
    raw = encode_message([], b"")  # build by hand with our headers
    total = 12 + len(prelude_free) + 4
    import binascii
    import struct

    prelude = struct.pack(">II", total, len(headers))
    body = prelude + struct.pack(">I", binascii.crc32(prelude)) + prelude_free
    raw = body + struct.pack(">I", binascii.crc32(body))
    (message,) = MessageDecoder().feed(raw)
    assert (message.headers["t"], message.headers["f"], message.headers["b"]) == ("true", "false", b"\x07")
    assert message.payload == b"x"


@pytest.mark.parametrize("damage", ["prelude", "message", "length", "header type"])
def test_corrupt_messages_are_refused(damage: str) -> None:
    good = bytearray(encode_message([("k", "v")], b"payload"))
    if damage == "prelude":
        good[9] ^= 0xFF
    elif damage == "message":
        good[-6] ^= 0xFF
    elif damage == "length":
        good[0:4] = (2**30).to_bytes(4, "big")
    else:
        good = bytearray(encode_message([], b""))
        import binascii
        import struct

        headers = b"\x01k\x0b"
        prelude = struct.pack(">II", 12 + len(headers) + 4, len(headers))
        body = prelude + struct.pack(">I", binascii.crc32(prelude)) + headers
        good = bytearray(body + struct.pack(">I", binascii.crc32(body)))
    with pytest.raises(EventStreamError):
        MessageDecoder().feed(bytes(good))


def test_chunk_signatures_chain_from_the_seed_as_sigv4_documents() -> None:
    signer = ChunkSigner(CREDENTIALS.secret_key, "us-east-1", "seed" * 16, clock=lambda: NOW)
    first = botocore_decode(signer.sign(audio_event(b"\x01\x02")))[0]
    second = botocore_decode(signer.sign(b""))[0]

    def expected(previous: str, payload: bytes) -> str:
        date_header = encode_headers([(":date", NOW)])
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                "20261121T120000Z",
                "20261121/us-east-1/transcribe/aws4_request",
                previous,
                hashlib.sha256(date_header).hexdigest(),
                hashlib.sha256(payload).hexdigest(),
            ]
        )
        key = signing_key(CREDENTIALS.secret_key, "20261121", "us-east-1", "transcribe")
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    first_signature = expected("seed" * 16, audio_event(b"\x01\x02"))
    assert first.headers[":chunk-signature"].hex() == first_signature
    assert second.headers[":chunk-signature"].hex() == expected(first_signature, b"")
    assert second.payload == b""
    (inner,) = botocore_decode(first.payload)
    assert (inner.headers[":event-type"], inner.payload) == ("AudioEvent", b"\x01\x02")


# ---------------------------------------------------------------------------- the Transcribe client
class FakeHttp2Stream:
    """Stands in for awscrt's Http2ClientStream: records writes, completes when the client ends."""

    def __init__(self, fail_writes: bool = False) -> None:
        self.writes: list[tuple[bytes, bool]] = []
        self.activated = False
        self.completion_future: Future[int] = Future()
        self._fail = fail_writes

    def activate(self) -> None:
        self.activated = True

    def write_data(self, data_stream: Any, end_stream: bool = False) -> Future[None]:
        future: Future[None] = Future()
        if self._fail:
            future.set_exception(RuntimeError("AWS_ERROR_HTTP_STREAM_HAS_COMPLETED"))
            return future
        self.writes.append((data_stream.read(), end_stream))
        if end_stream:
            self.completion_future.set_result(200)
        future.set_result(None)
        return future


class Opened:
    def __init__(self, stream: FakeHttp2Stream | None = None, error: Exception | None = None) -> None:
        self.stream = stream or FakeHttp2Stream()
        self.error = error
        self.calls: list[tuple[str, int, dict[str, str]]] = []
        self.on_response: Any = None
        self.on_body: Any = None

    def __call__(
        self, host: str, port: int, headers: list[tuple[str, str]], on_response: Any, on_body: Any
    ) -> Any:
        if self.error:
            raise self.error
        self.calls.append((host, port, dict(headers)))
        self.on_response, self.on_body = on_response, on_body
        return self.stream


def transcript_event(*results: dict[str, Any]) -> bytes:
    payload = json.dumps({"Transcript": {"Results": list(results)}}).encode()
    return encode_message(
        [
            (":message-type", "event"),
            (":event-type", "TranscriptEvent"),
            (":content-type", "application/json"),
        ],
        payload,
    )


RECORDED_RESULT = {
    "Alternatives": [{"Items": [], "Transcript": "Hi, my printer went offline."}],
    "ChannelId": "ch_0",
    "EndTime": 2.63,
    "IsPartial": False,
    "LanguageCode": "en-US",
    "ResultId": "6b8c4d4f-6c8a-4a47-9a02-3c1a2f0e1b7d",
    "StartTime": 0.48,
}


def start_session() -> tuple[TranscribeSession, Opened, list[TranscriptResult], list[BaseException]]:
    results: list[TranscriptResult] = []
    errors: list[BaseException] = []
    opened = Opened()
    client = TranscribeStreamingClient(
        "us-east-1", open_stream=opened, credentials=CREDENTIALS, clock=lambda: NOW
    )
    session = client.start(SETTINGS, results.append, errors.append)
    return session, opened, results, errors


def test_the_request_is_signed_for_transcribe_with_the_session_settings() -> None:
    _, opened, _, _ = start_session()
    ((host, port, headers),) = opened.calls
    assert (host, port) == ("transcribestreaming.us-east-1.amazonaws.com", 443)
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/transcribe/aws4_request" in headers["Authorization"]
    assert headers["x-amz-content-sha256"] == "STREAMING-AWS4-HMAC-SHA256-EVENTS"
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert headers["x-amzn-transcribe-enable-channel-identification"] == "true"
    assert headers["x-amzn-transcribe-number-of-channels"] == "2"
    assert headers["x-amzn-transcribe-sample-rate"] == "8000"
    assert headers["x-amzn-transcribe-media-encoding"] == "pcm"
    assert headers["x-amzn-transcribe-vocabulary-name"] == "acme"
    assert headers["x-amzn-transcribe-content-redaction-type"] == "PII"
    assert headers["x-amzn-transcribe-pii-entity-types"] == "NAME"
    assert headers["host"] == host
    assert opened.stream.activated


def test_plain_settings_send_no_optional_headers() -> None:
    headers = request_headers(StreamSettings(language="ja-JP", channels=1))
    assert "x-amzn-transcribe-vocabulary-name" not in headers
    assert "x-amzn-transcribe-content-redaction-type" not in headers
    assert "x-amzn-transcribe-enable-channel-identification" not in headers


def test_audio_goes_out_as_signed_audio_events_and_the_end_frame_closes_the_stream() -> None:
    session, opened, _, _ = start_session()
    seed = opened.calls[0][2]["Authorization"].rsplit("Signature=", 1)[1]
    session.send_audio(b"\x01\x00\x02\x00")
    session.finish(timeout=1)
    session.finish(timeout=1)  # a second finish is a no-op
    (audio, more), (end, last) = opened.stream.writes
    assert (more, last) == (False, True)
    envelope = botocore_decode(audio)[0]
    (inner,) = botocore_decode(envelope.payload)
    assert inner.payload == b"\x01\x00\x02\x00"
    assert botocore_decode(end)[0].payload == b""
    replay = ChunkSigner(CREDENTIALS.secret_key, "us-east-1", seed, clock=lambda: NOW)
    assert replay.sign(audio_event(b"\x01\x00\x02\x00")) == audio


def test_transcript_events_become_results_whatever_the_body_chunks() -> None:
    _, opened, results, errors = start_session()
    opened.on_response(status_code=200, headers=[])
    partial = {**RECORDED_RESULT, "IsPartial": True, "Alternatives": [{"Transcript": "Hi, my"}]}
    body = transcript_event(partial) + transcript_event(
        RECORDED_RESULT, {**RECORDED_RESULT, "ChannelId": "ch_1"}
    )
    for index in range(0, len(body), 7):
        opened.on_body(chunk=body[index : index + 7])
    assert errors == []
    assert [(r.is_partial, r.channel, r.text) for r in results] == [
        (True, "ch_0", "Hi, my"),
        (False, "ch_0", "Hi, my printer went offline."),
        (False, "ch_1", "Hi, my printer went offline."),
    ]
    assert (results[1].start_time, results[1].end_time, results[1].language) == (0.48, 2.63, "en-US")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("LimitExceededException", TranscribeUnavailable),
        ("InternalFailureException", TranscribeUnavailable),
        ("BadRequestException", TranscribeRejected),
        ("ConflictException", TranscribeRejected),
    ],
)
def test_exceptions_in_the_stream_fail_the_session(name: str, error: type[KvsPathError]) -> None:
    session, opened, _, errors = start_session()
    opened.on_response(status_code=200)
    opened.on_body(
        chunk=encode_message(
            [(":message-type", "exception"), (":exception-type", name)], json.dumps({"Message": "m"}).encode()
        )
    )
    opened.on_body(chunk=encode_message([(":message-type", "error"), (":error-code", name)], b""))
    (reported,) = errors  # reported once
    assert isinstance(reported, error)
    assert name in str(reported)
    session.send_audio(b"\x00\x00")  # ignored after the failure
    assert opened.stream.writes == []


def test_an_http_error_answer_fails_the_session_with_its_type() -> None:
    _, opened, _, errors = start_session()
    opened.on_response(status_code=400)
    body = json.dumps(
        {"__type": "com.amazon#BadRequestException", "message": "vocabulary not found"}
    ).encode()
    opened.on_body(chunk=body[:10])
    assert errors == []  # waits for the whole body
    opened.on_body(chunk=body[10:])
    assert isinstance(errors[0], TranscribeRejected)
    assert "vocabulary not found" in str(errors[0])
    _, opened, _, errors = start_session()
    opened.on_response(status_code=503)
    opened.on_body(chunk=b"{}")
    assert isinstance(errors[0], TranscribeUnavailable)


def test_an_unreadable_response_and_a_failed_write_fail_the_session() -> None:
    _, opened, _, errors = start_session()
    opened.on_response(status_code=200)
    opened.on_body(chunk=b"\x00" * 16)
    assert isinstance(errors[0], TranscribeUnavailable)

    results: list[TranscriptResult] = []
    failures: list[BaseException] = []
    broken = Opened(FakeHttp2Stream(fail_writes=True))
    client = TranscribeStreamingClient("eu-west-1", open_stream=broken, credentials=CREDENTIALS)
    session = client.start(SETTINGS, results.append, failures.append)
    session.send_audio(b"\x00\x00")
    assert isinstance(failures[0], TranscribeUnavailable)
    session.abort()
    assert session.closed


def test_a_connection_that_cannot_open_is_transient_and_missing_credentials_are_not() -> None:
    client = TranscribeStreamingClient(
        "us-east-1", open_stream=Opened(error=OSError("connection refused")), credentials=CREDENTIALS
    )
    with pytest.raises(TranscribeUnavailable):
        client.start(SETTINGS, print, print)

    class NoCredentials:
        def get_frozen_credentials(self) -> Any:
            return None

    anonymous = TranscribeStreamingClient("us-east-1", open_stream=Opened(), credentials=None)
    anonymous._credentials = None
    import botocore.session

    original = botocore.session.Session.get_credentials
    try:
        botocore.session.Session.get_credentials = lambda self: None  # type: ignore[method-assign]
        with pytest.raises(TranscribeRejected):
            anonymous.start(SETTINGS, print, print)
    finally:
        botocore.session.Session.get_credentials = original  # type: ignore[method-assign]


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b'{"Transcript": {"Results": [1, {"StartTime": "x"}]}}', b'{"Transcript": {}}'],
)
def test_malformed_transcript_events_give_no_results(payload: bytes) -> None:
    assert parse_transcript_event(payload) == []


def test_results_without_alternatives_or_channel_default_sensibly() -> None:
    (result,) = parse_transcript_event(json.dumps({"Transcript": {"Results": [{"ResultId": "r"}]}}).encode())
    assert (result.channel, result.text, result.is_partial) == ("ch_0", "", False)


# ---------------------------------------------------------------------------- GetMedia
def test_getmedia_errors_map_to_retry_or_give_up() -> None:
    def client_error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}}, "GetMedia")

    assert isinstance(media_error(client_error("ResourceNotFoundException")), MediaNotFound)
    assert isinstance(media_error(client_error("NotAuthorizedException")), MediaAccessDenied)
    assert isinstance(media_error(client_error("ClientLimitExceededException")), MediaUnavailable)
    assert isinstance(media_error(client_error("ConnectionLimitExceededException")), MediaUnavailable)
    assert isinstance(media_error(EndpointConnectionError(endpoint_url="https://x")), MediaUnavailable)
    assert media_error(client_error("ClientLimitExceededException")).retryable
    assert not media_error(client_error("ResourceNotFoundException")).retryable


ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/connect-acme-contact-x/1700000000000"


def test_getmedia_asks_the_data_endpoint_from_the_start_fragment(monkeypatch: pytest.MonkeyPatch) -> None:
    control = boto3.client("kinesisvideo", region_name="us-east-1")
    media = boto3.client("kinesis-video-media", region_name="us-east-1", endpoint_url="https://b-1.example")
    with Stubber(control) as control_stub, Stubber(media) as media_stub:
        control_stub.add_response(
            "get_data_endpoint",
            {"DataEndpoint": "https://b-1.example"},
            {"StreamARN": ARN, "APIName": "GET_MEDIA"},
        )
        media_stub.add_response(
            "get_media",
            {"ContentType": "video/webm", "Payload": StreamingBody(io.BytesIO(b"mkv bytes"), 9)},
            {
                "StreamARN": ARN,
                "StartSelector": {"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": "42"},
            },
        )
        monkeypatch.setattr(kvs_media, "aws_client", lambda service, profile="interactive": control)
        monkeypatch.setattr(kvs_media, "_media_client", lambda endpoint, timeout: media)
        stream = KvsMediaSource().open(ARN, "42")
        assert stream.read(4) + stream.read(100) == b"mkv bytes"
        stream.close()

    with Stubber(control) as control_stub:
        control_stub.add_client_error("get_data_endpoint", "ResourceNotFoundException")
        with pytest.raises(MediaNotFound):
            KvsMediaSource().open(ARN, "42")


def test_a_failing_read_is_a_retryable_media_error() -> None:
    class Broken:
        def read(self, size: int) -> bytes:
            raise EndpointConnectionError(endpoint_url="https://b-1.example")

        def close(self) -> None:
            pass

    with pytest.raises(MediaUnavailable):
        kvs_media.KvsMediaStream(Broken()).read(10)
    kvs_media.reset_media_clients()


# ---------------------------------------------------------------------------- Lambda
def test_the_invoker_queues_an_event_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    monkeypatch.setattr(lambda_invoker, "aws_client", lambda service, profile: client)
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": "fn", "InvocationType": "Event", "Payload": b'{"a":1}'},
        )
        LambdaInvoker().invoke_async("fn", {"a": 1})
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(InvokeFailed, match="200"):
            LambdaInvoker().invoke_async("fn", {})
        stub.add_client_error("invoke", "TooManyRequestsException")
        with pytest.raises(InvokeFailed, match="TooManyRequestsException"):
            LambdaInvoker().invoke_async("fn", {})

    def unreachable(**_: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="https://lambda")

    monkeypatch.setattr(client, "invoke", unreachable)
    with pytest.raises(InvokeFailed, match="EndpointConnectionError"):
        LambdaInvoker().invoke_async("fn", {})


# ---------------------------------------------------------------------------- the lease in DynamoDB
@pytest.fixture
def progress(aws: Template) -> DynamoTranscriptionProgress:
    clock = iter(range(1_700_000_000, 1_800_000_000, 10))
    return DynamoTranscriptionProgress(
        aws.physical["ContactsTable"].ref, 90, clock=lambda: float(next(clock))
    )


def contact_item(aws: Template, contact_id: str) -> dict[str, Any]:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=aws.physical["ContactsTable"].ref, Key={"contactId": {"S": contact_id}}
    )["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def test_the_lease_admits_one_invocation_at_a_time(
    progress: DynamoTranscriptionProgress, aws: Template
) -> None:
    first = progress.claim("c-1", "run", "request-A", "run#0", lease_seconds=60)
    assert first is not None
    assert (first.fragment_number, first.resume_at_sample) == ("", 0)
    # A second delivery of the same invocation backs off while the lease holds
    assert progress.claim("c-1", "run", "request-B", "run#0", lease_seconds=60) is None
    item = contact_item(aws, "c-1")
    assert (item["transcriptStatus"], item["kvsOwner"]) == ("STARTED", "request-A")
    assert {"createdAt", "updatedAt", "ttl"} <= set(item)


def test_checkpoints_hand_over_to_the_continuation(
    progress: DynamoTranscriptionProgress, aws: Template
) -> None:
    progress.claim("c-2", "run", "request-A", "run#0", 60)
    assert progress.checkpoint(
        "c-2", owner="request-A", run_id="run", fragment_number="9", resume_at_sample=80, lease_seconds=60
    )
    assert not progress.checkpoint(
        "c-2", owner="someone", run_id="run", fragment_number="10", resume_at_sample=1, lease_seconds=60
    )
    progress.checkpoint(
        "c-2",
        owner="request-A",
        run_id="run",
        fragment_number="12",
        resume_at_sample=96,
        lease_seconds=60,
        handover="run#1",
    )
    # Only the continuation named in the handover may take the lease before it expires
    assert progress.claim("c-2", "run", "request-C", "run#2", 60) is None
    resumed = progress.claim("c-2", "run", "request-B", "run#1", 60)
    assert resumed is not None
    assert (resumed.fragment_number, resumed.resume_at_sample) == ("12", 96)
    assert contact_item(aws, "c-2")["kvsCheckpoint"] == "run#12#96"
    # A checkpoint of an earlier run is not offered to a new run
    progress.release("c-2", "request-B", "COMPLETED")
    other = progress.claim("c-2", "run-2", "request-D", "run-2#0", 60)
    assert other is not None
    assert other.fragment_number == ""


def test_release_records_the_status_and_frees_the_lease(
    progress: DynamoTranscriptionProgress, aws: Template
) -> None:
    progress.claim("c-3", "run", "request-A", "run#0", 60)
    progress.release("c-3", "not-the-owner", "FAILED")
    assert contact_item(aws, "c-3")["transcriptStatus"] == "STARTED"
    progress.release("c-3", "request-A", "COMPLETED")
    item = contact_item(aws, "c-3")
    assert (item["transcriptStatus"], item["kvsLeaseUntil"]) == ("COMPLETED", "0")
    assert progress.claim("c-3", "run", "request-Z", "run#5", 60) is not None


def test_storage_failures_are_storage_errors(aws: Template) -> None:
    with pytest.raises(StorageError, match="ResourceNotFoundException"):
        DynamoTranscriptionProgress("no-such-table", 90).claim("c", "r", "o", "t", 60)


# ---------------------------------------------------------------------------- recordings
def test_recordings_are_uploaded_in_parts_from_the_spool(
    aws: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="recordings")
    monkeypatch.setattr(recordings, "aws_client", lambda service, profile: s3)
    chunks = [b"RIFF", b"a" * 10, b"", b"b" * 5]
    location = S3RecordingStore("recordings").put_recording("kvs/c/part-0000.wav", iter(chunks), 19)
    assert location == "s3://recordings/kvs/c/part-0000.wav"
    stored = s3.get_object(Bucket="recordings", Key="kvs/c/part-0000.wav")
    assert stored["Body"].read() == b"".join(chunks)
    assert stored["ContentType"] == "audio/wav"


# ---------------------------------------------------------------------------- the sink slot
def segment(begin: int, text: str = "Hello there.", contact: str = "c-1") -> FinalSegment:
    return FinalSegment(
        contact, segment_id(contact, "AGENT", begin), "AGENT", text, begin, begin + 900, "en-US"
    )


class ItemStore:
    """TranscriptStore double: keeps items by table key, like DynamoDB; can fail every write."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail = False

    def put_many(self, items: Sequence[dict[str, Any]]) -> None:
        if self.fail:
            raise StorageError("BatchWriteItem on Transcripts failed: ThrottlingException")
        for item in items:
            self.items[(item["contactId"], item["position"])] = item


class RecordingPusher:
    def __init__(self, error: Exception | None = None) -> None:
        self.messages: list[Mapping[str, Sequence[Mapping[str, Any]]]] = []
        self.error = error

    def push(self, messages: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        if self.error is not None:
            raise self.error
        self.messages.append(messages)


def realtime_sink(store: ItemStore, pusher: RecordingPusher) -> RealtimeTranscriptSink:
    services = RealtimeServices(Settings.from_env({}))
    services.__dict__["writer"] = TranscriptWriter(store, retention_days=90)
    services.__dict__["pusher"] = pusher
    return RealtimeTranscriptSink(services, clock=lambda: 1_800_000_000.0)


def test_kvs_finals_become_transcripts_items_in_the_contact_lens_schema() -> None:
    store, pusher = ItemStore(), RecordingPusher()
    sink = realtime_sink(store, pusher)
    sink.write_final([segment(2000), segment(100)])
    sink.write_final([segment(100)])  # replayed after a restart: the same item
    items = [store.items[key] for key in sorted(store.items)]
    assert [item["beginOffsetMs"] for item in items] == [100, 2000]
    first = items[0]
    assert first["position"] == f"{100:010d}#{segment_id('c-1', 'AGENT', 100)}"
    assert (first["source"], first["speaker"], first["language"]) == ("kvs", "AGENT", "en-US")
    assert first["ttl"] == 1_800_000_000 + 90 * 86400
    # and the agent's panel shows them as finals
    shown = [m for batch in pusher.messages for m in batch["c-1"]]
    assert [m["type"] for m in shown] == ["segment", "segment", "segment"]


def test_a_partial_carries_the_id_its_final_will_have_so_the_panel_replaces_it() -> None:
    pusher = RecordingPusher()
    sink = realtime_sink(ItemStore(), pusher)
    sink.push_partial("c-1", PartialSegment("c-1", "c-1:result-7", "AGENT", "my printer", 100, 900, "en-US"))
    sink.write_final([segment(100, "my printer went offline")])
    partial = pusher.messages[0]["c-1"][0]
    final = pusher.messages[1]["c-1"][0]
    assert (partial["type"], partial["utteranceId"]) == ("partial", "c-1:result-7")
    assert partial["transcriptId"] == final["segmentId"]


def test_segments_that_cannot_be_stored_fail_the_write_so_the_transcriber_retries() -> None:
    store, pusher = ItemStore(), RecordingPusher()
    store.fail = True
    with pytest.raises(StorageError, match="2 of 2 transcript segments not written"):
        realtime_sink(store, pusher).write_final([segment(100), segment(2000)])
    assert pusher.messages == []
    realtime_sink(store, pusher).write_final([])  # nothing to write: nothing asked of DynamoDB


@pytest.mark.parametrize(
    "error", [NotConfigured("PANEL_SOCKET_ENDPOINT is not set"), StorageError("Query failed")]
)
def test_an_unreachable_panel_never_costs_the_transcript(error: Exception) -> None:
    store = ItemStore()
    sink = realtime_sink(store, RecordingPusher(error))
    sink.write_final([segment(100)])
    sink.push_partial("c-1", PartialSegment("c-1", "u", "AGENT", "my", 100, 200, "en-US"))
    assert len(store.items) == 1


def test_the_sink_writes_through_the_real_time_services_of_the_settings() -> None:
    assert isinstance(transcript_sink(Settings.from_env({})), RealtimeTranscriptSink)


# ---------------------------------------------------------------------------- audio and segments
def pcm(*samples: int) -> bytes:
    return b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples)


def test_the_aligner_places_tracks_by_time_and_releases_what_both_reached() -> None:
    aligner = StereoAligner(sample_rate=1000, base_ms=0)  # 1 sample per ms keeps the arithmetic plain
    first = aligner.add(pcm(1, 2, 3, 4), 0, pcm(5, 6), 0)
    assert [(c.start, c.pcm) for c in first] == [(0, pcm(1, 5, 2, 6))]
    # the customer repeats 3 samples (an overlap: dropped), the agent skips 5 ms (a gap: silence)
    second = aligner.add(pcm(2, 3, 4, 7, 8), 1, pcm(9), 7)
    assert [(c.start, c.pcm) for c in second] == [(2, pcm(3, 0, 4, 0, 7, 0, 8, 0))]
    tail = aligner.flush()
    assert [(c.start, c.pcm) for c in tail] == [(6, pcm(0, 0, 0, 9))]
    # a millisecond of timecode jitter is not a gap
    jitter = StereoAligner(sample_rate=1000, base_ms=0)
    jitter.add(pcm(1, 2), 0, pcm(1, 2), 0)
    assert [c.pcm for c in jitter.add(pcm(3), 3, pcm(3), 1)] == [pcm(3, 3)]
    assert aligner.flush() == []


def test_the_aligner_does_not_wait_forever_for_a_missing_track() -> None:
    aligner = StereoAligner(sample_rate=1000, base_ms=0, max_lag_ms=3)
    released = aligner.add(pcm(*range(1, 8)), 0, b"", None)
    assert sum(c.samples for c in released) == 4
    assert released[0].pcm[:4] == pcm(1, 0)


def test_the_aligner_resumes_exactly_at_a_sample_and_follows_untimed_audio() -> None:
    aligner = StereoAligner(sample_rate=1000, base_ms=100, resume_at=3)
    assert aligner.add(pcm(1, 2), 100, pcm(1, 2), 100) == []  # all before the resume point
    chunks = aligner.add(pcm(3, 4, 5), 102, pcm(3, 4, 5), 102)
    assert [(c.start, c.pcm) for c in chunks] == [(3, pcm(4, 4, 5, 5))]
    more = aligner.add(pcm(6), None, pcm(6), None)  # no timecodes: right after what came before
    assert [(c.start, c.pcm) for c in more] == [(5, pcm(6, 6))]


def test_tail_rms_measures_the_last_window() -> None:
    assert tail_rms(b"", 8000, 300) == 0.0
    assert tail_rms(pcm(*([1000] * 10 + [0] * 2400)), 8000, 300) == 0.0
    assert round(tail_rms(pcm(*([300] * 2400)), 8000, 300)) == 300


def test_the_timeline_maps_session_time_to_call_offsets_across_gaps() -> None:
    timeline = Timeline(sample_rate=8000)
    assert timeline.call_offset_ms(1.5) == 1500  # nothing sent yet
    timeline.add_fragment(10_000, 8000)  # session 0-1 s is call 10-11 s
    timeline.add_fragment(20_000, 8000)  # session 1-2 s is call 20-21 s
    assert (timeline.call_offset_ms(0.5), timeline.call_offset_ms(1.25)) == (10_500, 20_250)


def test_results_without_text_or_from_unknown_channels_are_ignored() -> None:
    mapper = SegmentMapper("c-1", "en-US", Timeline(8000))

    def result(channel: str, text: str, partial: bool = False) -> TranscriptResult:
        return TranscriptResult("r", channel, 0.0, 1.0, partial, text)

    assert mapper.final(result("ch_5", "hello")) is None
    assert mapper.final(result("ch_0", "  ")) is None
    assert mapper.partial(result("ch_1", "")) is None
    final = mapper.final(result("ch_0", "hello"))
    assert final is not None
    assert (final.speaker, final.language, final.source) == ("CUSTOMER", "en-US", "kvs")
    assert mapper.final(result("ch_0", "hello again")) is None  # ends where written speech ended


def test_the_scripted_transcribe_grows_partials_and_names_unscripted_speech() -> None:
    received: list[TranscriptResult] = []
    transcribe = ScriptedTranscribe([("CUSTOMER", "one two three four five six")])
    stream = transcribe.start(StreamSettings("en-US"), received.append, print)
    loud = pcm(*([3000, 3000] * 8000))  # 1 s of speech on both channels
    stream.send_audio(loud + bytes(4 * 8000))
    stream.send_audio(loud)
    stream.finish(timeout=1)
    stream.finish(timeout=1)
    partials = [r.text for r in received if r.is_partial and r.channel == "ch_0"]
    assert partials[0] != partials[-1]
    finals = [(r.channel, r.text) for r in received if not r.is_partial]
    assert finals[0] == ("ch_0", "one two three four five six")
    assert ("ch_1", "(speech 1.0 s)") in finals
    stream.abort()
    with pytest.raises(RuntimeError):
        stream.send_audio(b"\x00\x00")
