"""The contact-flow step after *Start media streaming*: queue kvs_transcriber for this call, answer at once.

Connect waits at most 8 s for a contact-flow Lambda, and transcription lasts the whole call, so the
work is handed to kvs_transcriber with an asynchronous invocation (InvocationType Event) and the flow
goes on. The run id is derived from the contact, stream and start fragment, so a retried block
queues the same run, which kvs_transcriber's lease then runs once.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import FlowOutcome, LambdaResult
from connect_zendesk.errors import InvalidInput, ServiceError
from connect_zendesk.kvs.job import TranscriptionJob, is_fragment_number, is_stream_arn
from connect_zendesk.kvs.wiring import flow_invoker
from connect_zendesk.observability import logger
from connect_zendesk.services import Services

_RUN_NAMESPACE: Final = uuid.UUID("7d6f1c2a-3e49-4f0b-9a51-2c8e6b4d7f13")
_LANGUAGE: Final = re.compile(r"^([a-zA-Z]{2})[-_]([a-zA-Z]{2})$")
_VOCABULARY: Final = re.compile(r"^[0-9A-Za-z._-]{1,200}$")


class TranscriberNotStarted(ServiceError):
    error_type = "TranscriberNotStarted"


def start_streaming(request: FlowRequest, services: Services) -> FlowOutcome:
    if request.channel not in ("", "VOICE"):
        logger.info("not a voice contact: no audio to transcribe")
        return FlowOutcome.skipped("NotVoice")
    if not request.audio_stream_arn or not request.audio_start_fragment_number:
        logger.info("no customer audio stream on the contact (is Start media streaming before this block?)")
        return FlowOutcome.skipped("NoMediaStream")
    if not is_stream_arn(request.audio_stream_arn):
        raise InvalidInput("MediaStreams.Customer.Audio.StreamARN is not a Kinesis video stream ARN")
    if not is_fragment_number(request.audio_start_fragment_number):
        raise InvalidInput("MediaStreams.Customer.Audio.StartFragmentNumber is not a fragment number")
    if not request.contact_id:
        raise InvalidInput("the event has no valid ContactId")
    kvs = services.settings.kvs
    language = contact_language(request, kvs.default_language)
    vocabulary = request.value("vocabularyName")
    if vocabulary and not _VOCABULARY.match(vocabulary):
        raise InvalidInput("vocabularyName is not a Transcribe vocabulary name")
    run_id = str(
        uuid.uuid5(
            _RUN_NAMESPACE,
            f"{request.contact_id}:{request.audio_stream_arn}:{request.audio_start_fragment_number}",
        )
    )
    job = TranscriptionJob(
        contact_id=request.contact_id,
        stream_arn=request.audio_stream_arn,
        start_fragment_number=request.audio_start_fragment_number,
        language=language,
        run_id=run_id,
        time_base_ms=int(request.audio_start_timestamp) if request.audio_start_timestamp.isdigit() else None,
        vocabulary=vocabulary,
        instance_arn=request.instance_arn,
    )
    try:
        flow_invoker().invoke_async(kvs.transcriber_function, job.to_event())
    except ServiceError as exc:
        raise TranscriberNotStarted(str(exc)) from exc
    logger.info("transcription queued", extra={"run_id": run_id, "language": language})
    return FlowOutcome(LambdaResult.SUCCESS, {"runId": run_id, "language": language})


def contact_language(request: FlowRequest, default: str) -> str:
    """The `language` parameter, else the contact attribute, else the contact's LanguageCode, else default."""
    for candidate in (request.value("language"), request.language_code):
        match = _LANGUAGE.match(candidate.strip())
        if match:
            return f"{match.group(1).lower()}-{match.group(2).upper()}"
    return default
