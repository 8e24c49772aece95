"""The adapters the KVS path uses, built lazily from settings (tests swap them with `use_kvs_ports`).

Kept apart from `connect_zendesk.services` because kvs_transcriber is not a contact-flow step and
its adapters (GetMedia, Transcribe streaming over awscrt) load only in that function.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connect_zendesk.kvs.ports import AsyncInvoker, TranscribeStreaming
from connect_zendesk.kvs.transcriber import TranscriberConfig, TranscriberPorts
from connect_zendesk.settings import Settings

_override_ports: TranscriberPorts | None = None
_override_invoker: AsyncInvoker | None = None


def flow_invoker() -> AsyncInvoker:
    """What start_streaming uses to queue kvs_transcriber (a contact flow waits: interactive profile)."""
    if _override_invoker is not None:
        return _override_invoker
    from connect_zendesk.adapters.lambda_invoker import LambdaInvoker  # noqa: PLC0415

    return LambdaInvoker(profile="interactive")


def transcriber_ports(settings: Settings) -> TranscriberPorts:
    if _override_ports is not None:
        return _override_ports
    # Imported here: start_streaming never loads GetMedia or the Transcribe client.
    from connect_zendesk.adapters.kvs_media import KvsMediaSource  # noqa: PLC0415
    from connect_zendesk.adapters.kvs_progress import DynamoTranscriptionProgress  # noqa: PLC0415
    from connect_zendesk.adapters.kvs_transcript_sink import transcript_sink  # noqa: PLC0415
    from connect_zendesk.adapters.lambda_invoker import LambdaInvoker  # noqa: PLC0415
    from connect_zendesk.adapters.recordings import S3RecordingStore  # noqa: PLC0415

    kvs = settings.kvs
    return TranscriberPorts(
        media=KvsMediaSource(read_timeout_seconds=kvs.idle_timeout_seconds + 15),
        transcribe=_transcribe_backend(settings),
        sink=transcript_sink(settings),
        invoker=LambdaInvoker(profile="batch"),
        progress=DynamoTranscriptionProgress(settings.contacts_table, settings.contact_retention_days),
        recordings=S3RecordingStore(kvs.recordings_bucket) if kvs.recordings_bucket else None,
    )


def _transcribe_backend(settings: Settings) -> TranscribeStreaming:
    if settings.kvs.transcribe_backend == "scripted":
        from connect_zendesk.kvs.scripted_transcribe import ScriptedTranscribe  # noqa: PLC0415

        script = settings.kvs.transcribe_script
        lines: list[tuple[str, str]] = []
        if script and Path(script).is_file():
            import json  # noqa: PLC0415

            data = json.loads(Path(script).read_text(encoding="utf-8"))
            lines = [(item["speaker"], item["text"]) for item in data.get("utterances", [])]
        return ScriptedTranscribe(lines)
    from connect_zendesk.adapters.transcribe_streaming import TranscribeStreamingClient  # noqa: PLC0415

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return TranscribeStreamingClient(region)


def transcriber_config(settings: Settings) -> TranscriberConfig:
    kvs = settings.kvs
    return TranscriberConfig(
        max_invocation_seconds=kvs.max_invocation_seconds,
        continuation_margin_seconds=kvs.continuation_margin_seconds,
        seam_window_seconds=kvs.seam_window_seconds,
        idle_timeout_seconds=kvs.idle_timeout_seconds,
        checkpoint_interval_seconds=kvs.checkpoint_seconds,
        pii_redaction=kvs.pii_redaction,
        pii_entity_types=kvs.pii_entity_types,
        recordings_prefix=kvs.recordings_prefix,
        record_audio=bool(kvs.recordings_bucket),
    )


@contextmanager
def use_kvs_ports(
    ports: TranscriberPorts | None = None, invoker: AsyncInvoker | None = None
) -> Iterator[None]:
    """Make the KVS handlers use these ports (tests, the local stack)."""
    global _override_ports, _override_invoker
    previous = _override_ports, _override_invoker
    _override_ports, _override_invoker = ports, invoker
    try:
        yield
    finally:
        _override_ports, _override_invoker = previous
