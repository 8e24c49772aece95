"""Lambda handlers of the real-time functions, built once per container like `contact_flow_handler`.

Stream consumers never lose a record: an event that is not a batch is logged and answered as done,
a misconfigured container or an unexpected failure reports every record of the batch as failed (so
Lambda retries, bisects, and finally hands the records to the failure destination), and otherwise
only the records that failed are reported. API handlers (authorizer, WebSocket routes, token
endpoint) always answer their caller: a Deny policy, or a status code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import ServiceError
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.realtime.panel_socket import authorize, on_connect, on_disconnect, on_message, route_key
from connect_zendesk.realtime.panel_token import http_response, issue_token
from connect_zendesk.realtime.sentiment import SentimentStep
from connect_zendesk.realtime.stream_records import (
    InvalidStreamEvent,
    KinesisRecord,
    TableStreamRecord,
    batch_response,
    kinesis_records,
    table_stream_records,
)
from connect_zendesk.realtime.transcription import TranscriptionConsumer
from connect_zendesk.realtime.wiring import RealtimeServices, realtime_services_for
from connect_zendesk.settings import ConfigurationError, Settings, get_settings
from connect_zendesk.untrusted import EVENT, UntrustedInput, check_shape

PANEL_SOCKET_ENV = frozenset({"PANEL_SOCKET_ENDPOINT", "PANEL_SOCKET_STAGE", "CONNECTIONS_TABLE"})
TRANSCRIPTION_ENV = PANEL_SOCKET_ENV | {"TRANSCRIPTS_TABLE", "CONTACTS_TABLE"}
SENTIMENT_ENV = TRANSCRIPTION_ENV | {"SENTIMENT_BACKEND"}
AGENT_SOCKET_ENV = TRANSCRIPTION_ENV
AUTHORIZER_ENV = frozenset({"PANEL_TOKEN_SECRET_ARN"})
PANEL_TOKEN_ENV = frozenset(
    {
        "PANEL_TOKEN_SECRET_ARN",
        "ZENDESK_APP_SECRET_ARN",
        "ZENDESK_APP_ISSUER",
        "PANEL_SOCKET_ENDPOINT",
        "PANEL_SOCKET_STAGE",
    }
)

Record = TypeVar("Record", KinesisRecord, TableStreamRecord)
LambdaHandler = Callable[[Any, Any], dict[str, Any]]


def _settings(step: str, required: frozenset[str]) -> Settings | None:
    try:
        return get_settings(required)
    except ConfigurationError:
        logger.exception("invalid configuration", extra={"step": step})
        return None


def stream_handler(
    step: str,
    required: frozenset[str],
    parse: Callable[[Any], list[Record]],
    run: Callable[[RealtimeServices, Sequence[Record]], list[str]],
) -> LambdaHandler:
    settings = _settings(step, required)

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        metrics.add_dimension(name="step", value=step)
        logger.append_keys(step=step)
        try:
            records = parse(event)
        except InvalidStreamEvent as exc:
            logger.error("rejected event", extra={"reason": str(exc)})
            metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
            return batch_response([])
        metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=len(records))
        everything = [record.sequence_number for record in records]
        if settings is None:
            return batch_response(everything)
        try:
            failed = run(realtime_services_for(settings), records)
        except Exception:  # noqa: BLE001 - a stream batch is retried, never dropped
            logger.exception("unexpected failure, the whole batch will be retried")
            metrics.add_metric(name="BatchFailed", unit=MetricUnit.Count, value=1)
            failed = everything
        logger.info("batch processed", extra={"records": len(records), "failed": len(failed)})
        return batch_response(failed)

    return lambda_handler


def api_handler(
    step: str,
    required: frozenset[str],
    route: Callable[[Mapping[str, Any], RealtimeServices], dict[str, Any]],
    failure: Callable[[Mapping[str, Any], int], dict[str, Any]],
) -> LambdaHandler:
    settings = _settings(step, required)

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        metrics.add_dimension(name="step", value=step)
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        logger.append_keys(step=step)
        event = event if isinstance(event, Mapping) else {}
        try:
            check_shape(event, EVENT)
        except UntrustedInput as exc:
            # Before configuration, secrets or tokens: a hostile event is a 400 (a Deny), never a 500.
            logger.warning("rejected event", extra={"reason": str(exc)})
            metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
            arn = event.get("methodArn")
            return failure({"methodArn": arn} if isinstance(arn, str) else {}, 400)
        if settings is None:
            return failure(event, 503)
        try:
            return route(event, realtime_services_for(settings))
        except ServiceError as exc:
            logger.error("request failed", extra={"error_type": exc.error_type, "reason": str(exc)})
            return failure(event, 503)
        except Exception:  # noqa: BLE001 - API Gateway gets an answer, never a Lambda error
            logger.exception("unexpected failure")
            return failure(event, 500)

    return lambda_handler


# ---------------------------------------------------------------------------- the five functions
def transcription_consumer_handler() -> LambdaHandler:
    def run(services: RealtimeServices, records: Sequence[KinesisRecord]) -> list[str]:
        consumer = TranscriptionConsumer(services.writer, services.contacts, services.pusher, services.clock)
        return consumer.process(records)

    return stream_handler("transcription_consumer", TRANSCRIPTION_ENV, kinesis_records, run)


def sentiment_handler() -> LambdaHandler:
    def run(services: RealtimeServices, records: Sequence[TableStreamRecord]) -> list[str]:
        step = SentimentStep(
            analyser=services.analyser,
            writer=services.writer,
            segments=services.transcripts,
            contacts=services.contacts,
            pusher=services.pusher,
            alert_after=services.settings.negative_alert_streak,
            alert_topic=services.alert_topic,
            clock=services.clock,
        )
        return step.process(records)

    return stream_handler("sentiment", SENTIMENT_ENV, table_stream_records, run)


def _socket_route(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    route = route_key(event)
    if route == "$connect":
        return on_connect(event, services)
    if route == "$disconnect":
        return on_disconnect(event, services)
    return on_message(event, services)


def agent_socket_handler() -> LambdaHandler:
    return api_handler(
        "agent_socket",
        AGENT_SOCKET_ENV,
        _socket_route,
        lambda _, status: {"statusCode": status, "body": "Error"},
    )


def _deny(event: Mapping[str, Any], _: int) -> dict[str, Any]:
    resource = str(event.get("methodArn") or "")
    return {
        "principalId": "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": resource}],
        },
    }


def panel_authorizer_handler() -> LambdaHandler:
    return api_handler("panel_authorizer", AUTHORIZER_ENV, authorize, _deny)


_FAILURE_MESSAGES = {400: "Bad request", 503: "Service unavailable"}


AGENT_ACTIONS_ENV = frozenset(
    {
        "ZENDESK_APP_SECRET_ARN",
        "ZENDESK_APP_ISSUER",
        "CONTACTS_TABLE",
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_SECRET_ARN",
    }
)


def agent_actions_handler() -> LambdaHandler:
    from connect_zendesk.realtime.agent_actions import handle_agent_action  # noqa: PLC0415 - this function only

    return api_handler(
        "agent_actions",
        AGENT_ACTIONS_ENV,
        handle_agent_action,
        lambda _, status: http_response(status, {"message": _FAILURE_MESSAGES.get(status, "Error")}),
    )


def panel_token_handler() -> LambdaHandler:
    return api_handler(
        "panel_token",
        PANEL_TOKEN_ENV,
        issue_token,
        lambda _, status: http_response(status, {"message": _FAILURE_MESSAGES.get(status, "Error")}),
    )
