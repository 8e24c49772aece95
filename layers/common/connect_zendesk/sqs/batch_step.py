"""Runs an SQS consumer step the way Lambda's event source mapping expects it.

One message at a time (the queue's batch size is small and the reserved concurrency bounds the
Zendesk request rate), each within the invocation's remaining time. The answer lists the messages
that failed (`ReportBatchItemFailures`); Lambda deletes the others. A failure is never a sleep:
- a planned wait (transcript settling) or a transient error delays the message by changing its
  visibility (Retry-After for Zendesk 429s, exponential backoff otherwise);
- a permanent error, or a failure on the message's last allowed receive, copies the message to the
  dead-letter queue with the reason as message attributes and logs it, then lets it go. If even that
  copy fails, the message is reported failed and SQS's own redrive policy moves it later.
Each message gets at most MESSAGE_BUDGET_SECONDS (every Zendesk request is bounded by what is left of
it); messages left when the invocation runs short of time come back at once, unprocessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices, call_services_for
from connect_zendesk.deadline import Deadline, deadline_scope
from connect_zendesk.errors import ServiceError
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.settings import ConfigurationError, Settings, get_settings
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage
from connect_zendesk.sqs.retry import RetryDecision, decide

MessageLogic = Callable[[QueueMessage, CallServices], str]  # returns what happened, for the log
GiveUp = Callable[[QueueMessage, CallServices, RetryDecision], None]
LambdaHandler = Callable[[Any, Any], dict[str, list[dict[str, str]]]]

MESSAGE_RESERVE_SECONDS = 15.0  # start a message only with this much of the invocation left
MESSAGE_BUDGET_SECONDS = 40.0  # a hung Zendesk must not take the whole invocation from the batch
SAFETY_MARGIN_SECONDS = 3.0  # stop a message's network calls this long before Lambda's timeout
MAX_REASON_CHARS = 256


def sqs_batch_handler(
    step: str, logic: MessageLogic, *, required_env: frozenset[str], on_give_up: GiveUp | None = None
) -> LambdaHandler:
    try:
        settings: Settings | None = get_settings(required_env)
    except ConfigurationError:
        # Logged once at cold start; every message then fails and retries until the stack is fixed.
        logger.exception("invalid configuration", extra={"step": step})
        settings = None

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
        metrics.add_dimension(name="step", value=step)
        logger.append_keys(step=step)
        records = event.get("Records") if isinstance(event, dict) else None
        metrics.add_metric(
            name="MessagesReceived",
            unit=MetricUnit.Count,
            value=len(records) if isinstance(records, list) else 0,
        )
        if not isinstance(records, list):
            logger.error("rejected event: not an SQS batch (no Records list)")
            return {"batchItemFailures": []}
        messages = [QueueMessage.from_record(record) for record in records]
        if any(message is None for message in messages):
            logger.error("ignored SQS records without a messageId", extra={"count": messages.count(None)})
        if settings is None:
            return _all_failed([m for m in messages if m is not None])
        services = call_services_for(settings)
        _register_context(services, context)
        failed: list[str] = []
        for message in messages:
            if message is None:
                continue
            if _seconds_left(context) < MESSAGE_RESERVE_SECONDS:
                logger.warning("invocation running out of time: message returned unprocessed")
                _delay(services, message, 0)
                failed.append(message.message_id)
                continue
            if not _process(
                step=step,
                logic=logic,
                on_give_up=on_give_up,
                message=message,
                services=services,
                context=context,
            ):
                failed.append(message.message_id)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    return lambda_handler


def _process(
    *,
    step: str,
    logic: MessageLogic,
    on_give_up: GiveUp | None,
    message: QueueMessage,
    services: CallServices,
    context: Any,
) -> bool:
    """Handle one message; True when Lambda may delete it."""
    logger.append_keys(message_id=message.message_id, receive_count=message.receive_count)
    deadline = Deadline.after(min(_seconds_left(context) - SAFETY_MARGIN_SECONDS, MESSAGE_BUDGET_SECONDS))
    try:
        with deadline_scope(deadline):
            if message.refused:  # too deep or holding NaN: permanent, whatever the logic would do
                raise InvalidMessage(message.refused)
            outcome = logic(message, services)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a retry or a dead letter
        decision = decide(exc, message.receive_count)
        if not isinstance(exc, ServiceError) and not decision.expected and not decision.permanent:
            logger.exception("unexpected failure")
        return _failed(step, on_give_up, message, services, decision)
    else:
        logger.info("message processed", extra={"outcome": outcome})
        return True
    finally:
        logger.remove_keys(["message_id", "receive_count", "contact_id"])


def _failed(
    step: str,
    on_give_up: GiveUp | None,
    message: QueueMessage,
    services: CallServices,
    decision: RetryDecision,
) -> bool:
    own_queue = services.settings.agent_connected  # agent_connected has its own queue and receive limit
    max_receives = own_queue.max_receives if own_queue.queue_url else services.settings.post_call.max_receives
    details = {
        "error_type": decision.error_type,
        "reason": decision.reason[:MAX_REASON_CHARS],
        "receive_count": message.receive_count,
    }
    if decision.permanent or message.receive_count >= max_receives:
        why = (
            "permanent error" if decision.permanent else f"attempt {message.receive_count} of {max_receives}"
        )
        logger.error(f"{step} failed ({why}): message goes to the dead-letter queue", extra=details)
        metrics.add_metric(name="MessageDeadLettered", unit=MetricUnit.Count, value=1)
        if on_give_up is not None:
            _best_effort(lambda: on_give_up(message, services, decision))
        try:
            services.message_queue.dead_letter(
                message.body,
                {
                    "failureReason": decision.reason[:MAX_REASON_CHARS],
                    "errorType": decision.error_type,
                    "receiveCount": str(message.receive_count),
                    "failedStep": step,
                    "originalMessageId": message.message_id,
                },
            )
        except ServiceError as exc:
            # The queue's redrive policy moves it after its last receive instead.
            logger.error(
                "dead-letter copy failed: leaving the message to the redrive policy",
                extra={"reason": str(exc)},
            )
            _delay(services, message, decision.delay_seconds)
            return False
        return True
    if decision.expected:
        logger.info("message delayed", extra={**details, "delay_seconds": decision.delay_seconds})
    else:
        logger.warning("message will be retried", extra={**details, "delay_seconds": decision.delay_seconds})
        metrics.add_metric(name="MessageRetried", unit=MetricUnit.Count, value=1)
    _delay(services, message, decision.delay_seconds)
    return False


def _delay(services: CallServices, message: QueueMessage, seconds: int) -> None:
    try:
        services.message_queue.delay(message.receipt_handle, seconds)
    except ServiceError as exc:
        # The message still comes back, after the queue's own visibility timeout.
        logger.warning("could not change the message's visibility", extra={"reason": str(exc)})


def _all_failed(messages: list[QueueMessage]) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": [{"itemIdentifier": m.message_id} for m in messages]}


def _register_context(services: CallServices, context: Any) -> None:
    register = getattr(services.idempotency, "register_lambda_context", None)
    if callable(register):
        register(context)


def _seconds_left(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000 if callable(remaining) else 900.0


def _best_effort(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - recording the failure must not hide the failure itself
        logger.exception("could not record the failure")
