"""Runs a scheduled step (EventBridge Scheduler invokes it asynchronously on a timer).

Invalid configuration or a failure of the whole run raises: Lambda retries the asynchronous
invocation and then sends it to the function's failure destination, so a broken schedule is loud.
Failures of single items are the step's own business (they stay queued for the next run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices, call_services_for
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.settings import ConfigurationError, Settings, get_settings

StepLogic = Callable[[CallServices], dict[str, Any]]
LambdaHandler = Callable[[Any, Any], dict[str, Any]]


def scheduled_handler(step: str, logic: StepLogic, *, required_env: frozenset[str]) -> LambdaHandler:
    try:
        settings: Settings | None = get_settings(required_env)
    except ConfigurationError:
        logger.exception("invalid configuration", extra={"step": step})
        settings = None

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        metrics.add_dimension(name="step", value=step)
        logger.append_keys(step=step)
        metrics.add_metric(name="ScheduledRuns", unit=MetricUnit.Count, value=1)
        if settings is None:
            raise ConfigurationError(f"{step} is misconfigured: see the cold-start log")
        return logic(call_services_for(settings))

    return lambda_handler
