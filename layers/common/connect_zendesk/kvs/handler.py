"""kvs_transcriber's entry point: parse the job, run one invocation, report how it ended.

Asynchronous invocation: nobody waits for the answer. Retryable failures are raised so Lambda retries
the invocation and, when retries are spent, sends it to the function's OnFailure queue; a job that
can never succeed (malformed event) is logged and dropped with a metric instead.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import StorageError
from connect_zendesk.kvs.job import InvalidJob, TranscriptionJob
from connect_zendesk.kvs.transcriber import Transcriber
from connect_zendesk.kvs.wiring import transcriber_config, transcriber_ports
from connect_zendesk.observability import logger, metrics
from connect_zendesk.settings import Settings

STEP = "kvs_transcriber"


def handle_job(event: Any, context: Any, settings: Settings) -> dict[str, Any]:
    metrics.add_dimension(name="step", value=STEP)
    try:
        job = TranscriptionJob.from_event(event)
    except InvalidJob as exc:
        logger.error("rejected event", extra={"reason": str(exc), "step": STEP})
        metrics.add_metric(name="InvalidJob", unit=MetricUnit.Count, value=1)
        return {"status": "rejected", "reason": str(exc)}
    logger.append_keys(contact_id=job.contact_id, step=STEP, run_id=job.run_id, sequence=job.sequence)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    remaining = (
        remaining_ms() / 1000 if callable(remaining_ms) else float(settings.kvs.max_invocation_seconds)
    )
    owner = str(getattr(context, "aws_request_id", "") or job.lease_token)
    function = str(getattr(context, "invoked_function_arn", "") or settings.kvs.transcriber_function)
    vocabularies = dict(settings.kvs.vocabularies)
    transcriber = Transcriber(transcriber_ports(settings), transcriber_config(settings), vocabularies)
    logger.info("transcribing", extra={"fragment": job.start_fragment_number, "language": job.language})
    try:
        outcome = transcriber.run(job, owner, function, remaining)
    except StorageError as exc:
        # The lease and checkpoint live in the Contacts table: Lambda's retry resumes once it answers.
        logger.error("transcription progress not stored", extra={"reason": str(exc)})
        metrics.add_metric(name="TranscriptionFailed", unit=MetricUnit.Count, value=1)
        raise
    logger.info(
        "invocation finished",
        extra={
            "outcome": outcome.reason,
            "fragments": outcome.fragments,
            "segments": outcome.segments,
            "audio_seconds": round(outcome.audio_seconds, 1),
            "last_fragment": outcome.last_fragment,
        },
    )
    return {
        "status": outcome.reason,
        "fragments": outcome.fragments,
        "segments": outcome.segments,
        "lastFragment": outcome.last_fragment,
        "recording": outcome.recording,
    }
