"""kvs_transcriber: call audio from Kinesis Video Streams to Amazon Transcribe streaming (async).

Invoked by start_streaming and by itself (continuations); the event is a TranscriptionJob
(connect_zendesk.kvs.job). Behaviour and configuration: connect_zendesk.kvs.transcriber and the README.
"""

from typing import Any

from connect_zendesk.kvs.handler import handle_job
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.settings import get_settings

REQUIRED_ENV = frozenset({"CONTACTS_TABLE", "TRANSCRIBE_DEFAULT_LANGUAGE"})
# Validated at cold start: a bad configuration fails here, in the first log line.
settings = get_settings(REQUIRED_ENV)


@traced
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return handle_job(event, context, settings)
