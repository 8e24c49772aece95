"""Runs one contact-flow step under the Connect contract: never raise, always answer in time.

A handler module builds its `lambda_handler` with `contact_flow_handler(contract, logic)`;
everything Connect needs (flat string map, `lambdaResult`, the time budget, logging with the contact
id, one metric per outcome) happens here once for every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.connect.contracts import FlowContract
from connect_zendesk.connect.flow_event import FlowRequest, InvalidFlowEvent, parse_flow_event
from connect_zendesk.connect.flow_response import FlowOutcome, build_response
from connect_zendesk.deadline import (
    BudgetExceeded,
    Deadline,
    budget_from_entry,
    invocation_deadline,
    run_within,
)
from connect_zendesk.errors import ServiceError
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.services import Services, services_for
from connect_zendesk.settings import ConfigurationError, Settings, get_settings
from connect_zendesk.warm_start import prepare_snapshot

StepLogic = Callable[[FlowRequest, Services], FlowOutcome]
LambdaHandler = Callable[[Any, Any], dict[str, str]]


def contact_flow_handler(contract: FlowContract, logic: StepLogic) -> LambdaHandler:
    try:
        settings: Settings | None = get_settings(contract.required_env)
    except ConfigurationError:
        # Logged once at cold start; every call then answers Error/ConfigurationError to the flow.
        logger.exception("invalid configuration", extra={"step": contract.function})
        settings = None
    prepare_snapshot(contract.function)  # SnapStart only: clients made before the snapshot
    budget = settings.flow_time_budget_seconds if settings else 1.0

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def observed_handler(event: Any, context: Any) -> dict[str, str]:
        deadline = invocation_deadline(budget, context)
        outcome = _run(contract, logic, settings, event, deadline)
        metrics.add_dimension(name="step", value=contract.function)
        metrics.add_metric(name=f"Result{outcome.result.value}", unit=MetricUnit.Count, value=1)
        response = build_response(contract, outcome)
        logger.info(
            "flow step answered",
            extra={"lambda_result": response["lambdaResult"], "error_type": response.get("errorType", "")},
        )
        return response

    # The budget starts before the decorators run: the first call of a fresh environment loads the
    # Tracer (the X-Ray SDK) in them, and Connect waits for that too.
    return budget_from_entry(budget, observed_handler)


def _run(
    contract: FlowContract, logic: StepLogic, settings: Settings | None, event: Any, deadline: Deadline
) -> FlowOutcome:
    if settings is None:
        return FlowOutcome.error(ConfigurationError.__name__)
    try:
        request = parse_flow_event(event)
    except InvalidFlowEvent as exc:
        logger.error("rejected event", extra={"reason": str(exc), "step": contract.function})
        return FlowOutcome.error(exc.error_type)
    logger.append_keys(contact_id=request.contact_id, step=contract.function, channel=request.channel)
    if request.dropped_fields:
        logger.warning("ignored non-string event fields", extra={"fields": list(request.dropped_fields)})
    try:
        return run_within(deadline, lambda: logic(request, services_for(settings)))
    except BudgetExceeded:
        logger.error("time budget exhausted", extra={"budget_seconds": settings.flow_time_budget_seconds})
        return FlowOutcome.error("Timeout")
    except ServiceError as exc:
        logger.warning("step failed", extra={"error_type": exc.error_type, "reason": str(exc)})
        return FlowOutcome.error(exc.error_type)
    except Exception:  # noqa: BLE001 - the Connect contract: never raise to the flow
        logger.exception("unexpected failure")
        return FlowOutcome.error("InternalError")
