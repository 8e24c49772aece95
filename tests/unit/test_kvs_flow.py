"""start_streaming (the contact-flow step) and kvs_transcriber's entry point, loaded from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.kvs.job import InvalidJob, TranscriptionJob
from connect_zendesk.kvs.scripted_transcribe import ScriptedTranscribe
from connect_zendesk.kvs.transcriber import TranscriberPorts
from connect_zendesk.kvs.wiring import transcriber_config, transcriber_ports, use_kvs_ports
from connect_zendesk.settings import ConfigurationError, Settings
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.kvs_fixtures import CallMedia
from connect_zendesk_local.lambda_context import LocalLambdaContext
from support import reference_events
from unit_doubles import FragmentMedia, MemoryProgress, MemorySink, RecordingInvoker

EVENTS = PROJECT_ROOT / "events"
Handler = Callable[[Any, Any], Any]


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def invoker() -> Iterator[RecordingInvoker]:
    recording = RecordingInvoker()
    with use_kvs_ports(invoker=recording):
        yield recording


@pytest.fixture
def load(aws: Template, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Handler]:
    def loader(name: str, **overrides: str) -> Handler:
        forget_loaded_handlers()
        spec = aws.function(name)
        for variable, value in {**spec.environment, **overrides}.items():
            monkeypatch.setenv(variable, value)
        return load_handler(spec)

    return loader


# ---------------------------------------------------------------------------- start_streaming
def test_a_voice_call_queues_the_transcriber_and_answers_at_once(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext, aws: Template
) -> None:
    response = load("start_streaming")(event("start_streaming/voice_call.json"), lambda_context)

    assert response["lambdaResult"] == "Success"
    assert response["language"] == "en-US"
    ((function, payload),) = invoker.calls
    # The transcriber named by the template gets the contact, stream, start fragment and time base
    assert function == aws.function("start_streaming").environment["KVS_TRANSCRIBER_FUNCTION"]
    job = TranscriptionJob.from_event(payload)
    audio = event("start_streaming/voice_call.json")["Details"]["ContactData"]["MediaStreams"]["Customer"][
        "Audio"
    ]
    assert (job.stream_arn, job.start_fragment_number) == (audio["StreamARN"], audio["StartFragmentNumber"])
    assert job.time_base_ms == int(audio["StartTimestamp"])
    assert (job.contact_id, job.sequence, job.resume_at_sample) == (
        "5ca32fbd-8f92-46af-92a5-6b0f970f0efe",
        0,
        0,
    )
    assert response["runId"] == job.run_id


def test_a_retried_block_queues_the_same_run(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    handler = load("start_streaming")
    first = handler(event("start_streaming/voice_call.json"), lambda_context)
    second = handler(event("start_streaming/voice_call.json"), lambda_context)
    assert first["runId"] == second["runId"]
    assert invoker.calls[0][1] == invoker.calls[1][1]  # the transcriber's lease runs it once


@pytest.mark.parametrize(
    ("name", "language", "vocabulary"),
    [
        ("japanese_call.json", "ja-JP", ""),
        ("language_parameter.json", "ko-KR", "acme-products-ko"),
        ("language_attribute.json", "zh-CN", ""),
    ],
)
def test_the_language_comes_from_the_parameter_attribute_or_contact(
    name: str,
    language: str,
    vocabulary: str,
    load: Callable[..., Handler],
    invoker: RecordingInvoker,
    lambda_context: LocalLambdaContext,
) -> None:
    response = load("start_streaming")(event(f"start_streaming/{name}"), lambda_context)
    assert response["language"] == language
    job = TranscriptionJob.from_event(invoker.calls[0][1])
    assert (job.language, job.vocabulary) == (language, vocabulary)


def test_without_a_language_the_configured_default_is_used(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    call = event("start_streaming/voice_call.json")
    call["Details"]["ContactData"]["LanguageCode"] = "not a language"
    response = load("start_streaming", TRANSCRIBE_DEFAULT_LANGUAGE="ja-JP")(call, lambda_context)
    assert response["language"] == "ja-JP"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("chat_contact.json", "NotVoice"),
        ("null_media_stream.json", "NoMediaStream"),
        ("no_media_streams.json", "NoMediaStream"),
    ],
)
def test_no_audio_to_transcribe_is_skipped_without_an_invocation(
    name: str,
    reason: str,
    load: Callable[..., Handler],
    invoker: RecordingInvoker,
    lambda_context: LocalLambdaContext,
) -> None:
    response = load("start_streaming")(event(f"start_streaming/{name}"), lambda_context)
    assert (response["lambdaResult"], response["skipReason"]) == ("Skipped", reason)
    assert invoker.calls == []


@pytest.mark.parametrize("path", reference_events("connect_contact_flow_*.json"), ids=lambda p: p.name)
def test_public_contact_flow_events_are_answered(
    path: Path, load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    response = load("start_streaming")(json.loads(path.read_text(encoding="utf-8")), lambda_context)
    assert response["lambdaResult"] in {"Success", "Skipped", "Error"}
    if response["lambdaResult"] == "Success":
        TranscriptionJob.from_event(invoker.calls[-1][1])


@pytest.mark.parametrize(
    ("audio", "parameters"),
    [
        ({"StreamARN": "arn:aws:kinesisvideo::eu-west-2:1:stream/x/1", "StartFragmentNumber": "100"}, {}),
        ({"StreamARN": None, "StartFragmentNumber": "100"}, {}),
        ({"StartFragmentNumber": "12ab"}, {}),
        ({}, {"vocabularyName": "not a name!"}),
    ],
)
def test_malformed_stream_data_is_an_invalid_input_error(
    audio: dict[str, Any],
    parameters: dict[str, str],
    load: Callable[..., Handler],
    invoker: RecordingInvoker,
    lambda_context: LocalLambdaContext,
) -> None:
    call = event("start_streaming/voice_call.json")
    call["Details"]["ContactData"]["MediaStreams"]["Customer"]["Audio"].update(audio)
    call["Details"]["Parameters"] = parameters
    response = load("start_streaming")(call, lambda_context)
    if audio.get("StreamARN", "") is None:
        assert response["skipReason"] == "NoMediaStream"
        return
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "InvalidInput")
    assert invoker.calls == []


def test_a_contact_without_an_id_cannot_be_transcribed(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    call = event("start_streaming/voice_call.json")
    call["Details"]["ContactData"]["ContactId"] = "not a valid id!"
    response = load("start_streaming")(call, lambda_context)
    assert response["errorType"] == "InvalidInput"


def test_a_failed_invocation_is_an_error_the_flow_can_ignore(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    from connect_zendesk.adapters.lambda_invoker import InvokeFailed

    invoker.fail_with = InvokeFailed("TooManyRequestsException")
    response = load("start_streaming")(event("start_streaming/voice_call.json"), lambda_context)
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "TranscriberNotStarted")


def test_start_streaming_logs_no_caller_number(
    load: Callable[..., Handler],
    invoker: RecordingInvoker,
    lambda_context: LocalLambdaContext,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load("start_streaming")(event("start_streaming/voice_call.json"), lambda_context)
    logged = caplog.text + capsys.readouterr().out
    assert "transcription queued" in caplog.text
    assert "+14155552671" not in logged


def test_without_the_transcriber_function_the_step_answers_configuration_error(
    load: Callable[..., Handler], invoker: RecordingInvoker, lambda_context: LocalLambdaContext
) -> None:
    response = load("start_streaming", KVS_TRANSCRIBER_FUNCTION="")(
        event("start_streaming/voice_call.json"), lambda_context
    )
    assert response["errorType"] == "ConfigurationError"


# ---------------------------------------------------------------------------- kvs_transcriber handler
def test_the_transcriber_handler_runs_a_job_with_the_templates_configuration(
    load: Callable[..., Handler], demo_call: CallMedia
) -> None:
    lambda_context = LocalLambdaContext(function_name="KvsTranscriberFunction", timeout_seconds=900)
    sink = MemorySink()
    ports = TranscriberPorts(
        media=FragmentMedia(demo_call.fragments),
        transcribe=ScriptedTranscribe((u.speaker, u.text) for u in demo_call.script.utterances),
        sink=sink,
        invoker=RecordingInvoker(),
        progress=MemoryProgress(),
    )
    with use_kvs_ports(ports):
        result = load("kvs_transcriber", KVS_IDLE_TIMEOUT_SECONDS="2")(
            event("kvs_transcriber/demo_call.json"), lambda_context
        )
    assert result["status"] == "ended"
    assert result["segments"] == len(demo_call.script.utterances) == len(sink.items)


def test_an_invocation_without_time_to_read_hands_over_at_once(
    load: Callable[..., Handler], demo_call: CallMedia, lambda_context: LocalLambdaContext
) -> None:
    # Given an invocation with less time left than the continuation margin (8 s of 45)
    invoker = RecordingInvoker()
    ports = TranscriberPorts(
        media=FragmentMedia(demo_call.fragments),
        transcribe=ScriptedTranscribe(),
        sink=MemorySink(),
        invoker=invoker,
        progress=MemoryProgress(),
    )
    with use_kvs_ports(ports):
        result = load("kvs_transcriber")(event("kvs_transcriber/demo_call.json"), lambda_context)
    # Then it queues the same position for the next invocation instead of dropping the call
    assert result["status"] == "continued"
    ((_, payload),) = invoker.calls
    job = TranscriptionJob.from_event(payload)
    original = TranscriptionJob.from_event(event("kvs_transcriber/demo_call.json"))
    assert (job.start_fragment_number, job.resume_at_sample, job.sequence) == (
        original.start_fragment_number,
        0,
        1,
    )


@pytest.mark.parametrize(
    "payload", [event("kvs_transcriber/not_a_job.json"), None, {"kind": "kvs-transcription"}]
)
def test_a_malformed_job_is_logged_and_dropped_not_retried(
    payload: Any,
    load: Callable[..., Handler],
    lambda_context: LocalLambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = load("kvs_transcriber")(payload, lambda_context)
    assert result["status"] == "rejected"
    assert "rejected event" in caplog.messages


@pytest.mark.parametrize(
    "change",
    [
        {"contactId": "bad id!"},
        {"streamArn": "arn:aws:s3:::bucket"},
        {"startFragmentNumber": "-1"},
        {"language": "english"},
        {"runId": ""},
        {"vocabulary": "bad vocab!"},
        {"sequence": -1},
        {"sequence": True},
        {"resumeAtSample": -5},
        {"timeBaseMs": "1726677688724"},
    ],
)
def test_job_fields_are_validated(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidJob):
        TranscriptionJob.from_event({**event("kvs_transcriber/demo_call.json"), **change})


def test_sample_jobs_parse() -> None:
    for name in ("demo_call.json", "continuation.json", "unknown_stream.json"):
        job = TranscriptionJob.from_event(event(f"kvs_transcriber/{name}"))
        assert TranscriptionJob.from_event(job.to_event()) == job


# ---------------------------------------------------------------------------- configuration
BASE_ENV = {"AWS_ENDPOINT_URL": "", "CONTACTS_TABLE": "contacts"}


def kvs_settings(**env: str) -> Any:
    return Settings.from_env({**BASE_ENV, **env}).kvs


def test_kvs_settings_read_the_environment() -> None:
    kvs = kvs_settings(
        KVS_TRANSCRIBER_FUNCTION="fn",
        TRANSCRIBE_DEFAULT_LANGUAGE="ja-JP",
        TRANSCRIBE_VOCABULARIES="en-US=acme-en, ja-JP=acme-ja",
        TRANSCRIBE_PII_REDACTION="true",
        TRANSCRIBE_PII_ENTITY_TYPES="name,ssn",
        RECORDINGS_BUCKET="acme-recordings",
        KVS_MAX_INVOCATION_SECONDS="600",
        KVS_CONTINUATION_MARGIN_SECONDS="30",
        KVS_SEAM_WINDOW_SECONDS="10",
        KVS_IDLE_TIMEOUT_SECONDS="20",
        KVS_CHECKPOINT_SECONDS="15",
    )
    assert kvs.vocabularies == (("en-US", "acme-en"), ("ja-JP", "acme-ja"))
    assert (kvs.pii_redaction, kvs.pii_entity_types) == (True, "NAME,SSN")
    config = transcriber_config(Settings.from_env({**BASE_ENV, "RECORDINGS_BUCKET": "acme-recordings"}))
    assert config.record_audio is True
    assert (kvs.max_invocation_seconds, kvs.continuation_margin_seconds, kvs.checkpoint_seconds) == (
        600,
        30,
        15,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"TRANSCRIBE_VOCABULARIES": "english=x"},
        {"TRANSCRIBE_DEFAULT_LANGUAGE": "en"},
        {"TRANSCRIBE_PII_ENTITY_TYPES": "name;ssn"},
        {"TRANSCRIBE_BACKEND": "whisper"},
        {"TRANSCRIBE_BACKEND": "scripted", "AWS_ENDPOINT_URL": "https://dynamodb.us-east-1.amazonaws.com"},
        {"TRANSCRIBE_BACKEND": "scripted"},
        {"RECORDINGS_BUCKET": "Not_A_Bucket"},
        {
            "KVS_MAX_INVOCATION_SECONDS": "60",
            "KVS_CONTINUATION_MARGIN_SECONDS": "45",
            "KVS_SEAM_WINDOW_SECONDS": "20",
        },
        {"KVS_MAX_INVOCATION_SECONDS": "1000"},
    ],
)
def test_invalid_kvs_configuration_is_refused_at_cold_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        kvs_settings(**env)


def test_the_scripted_backend_is_allowed_only_on_a_loopback_endpoint(tmp_path: Path) -> None:
    script = tmp_path / "call.json"
    script.write_text(json.dumps({"utterances": [{"speaker": "AGENT", "text": "Hello."}]}), encoding="utf-8")
    settings = Settings.from_env(
        {
            **BASE_ENV,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "TRANSCRIBE_BACKEND": "scripted",
            "TRANSCRIBE_SCRIPT": str(script),
        }
    )
    ports = transcriber_ports(settings)
    assert isinstance(ports.transcribe, ScriptedTranscribe)
    assert list(ports.transcribe.lines["ch_1"]) == ["Hello."]


def test_in_aws_the_real_adapters_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_zendesk.adapters.kvs_media import KvsMediaSource
    from connect_zendesk.adapters.kvs_progress import DynamoTranscriptionProgress
    from connect_zendesk.adapters.kvs_transcript_sink import RealtimeTranscriptSink
    from connect_zendesk.adapters.recordings import S3RecordingStore
    from connect_zendesk.adapters.transcribe_streaming import TranscribeStreamingClient

    ports = transcriber_ports(Settings.from_env({**BASE_ENV, "RECORDINGS_BUCKET": "acme-recordings"}))
    assert isinstance(ports.media, KvsMediaSource)
    assert isinstance(ports.transcribe, TranscribeStreamingClient)
    assert isinstance(ports.sink, RealtimeTranscriptSink)
    assert isinstance(ports.progress, DynamoTranscriptionProgress)
    assert isinstance(ports.recordings, S3RecordingStore)
    assert transcriber_ports(Settings.from_env(BASE_ENV)).recordings is None


def test_a_contacts_table_outage_is_raised_for_lambdas_retry(
    load: Callable[..., Handler], demo_call: CallMedia, caplog: pytest.LogCaptureFixture
) -> None:
    from connect_zendesk.errors import StorageError

    class Unavailable(MemoryProgress):
        def claim(self, *args: Any, **kwargs: Any) -> Any:
            raise StorageError("UpdateItem on contacts failed: ProvisionedThroughputExceededException")

    ports = TranscriberPorts(
        media=FragmentMedia(demo_call.fragments),
        transcribe=ScriptedTranscribe(),
        sink=MemorySink(),
        invoker=RecordingInvoker(),
        progress=Unavailable(),
    )
    context = LocalLambdaContext(function_name="KvsTranscriberFunction", timeout_seconds=900)
    with use_kvs_ports(ports), pytest.raises(StorageError):
        load("kvs_transcriber")(event("kvs_transcriber/demo_call.json"), context)
    assert "transcription progress not stored" in caplog.messages
