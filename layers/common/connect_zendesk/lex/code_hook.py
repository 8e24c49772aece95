"""Runs the bot's code hook under the Lex V2 contract: always a valid response, always in time.

Connect's Lex integration keeps the caller waiting while the code hook runs, so every turn works
under a time budget (`LEX_TIME_BUDGET_MS`, default 4 s, far below Lex's 30 s) with the same deadline
mechanism as the contact-flow steps: Zendesk requests get the time left, a 429 is answered at once
(never slept on), and a guard answers for anything that still hangs. Whatever goes wrong - a
malformed event, missing configuration, a timeout, a bug, even a response that would break the
contract - the caller hears an apology and is handed to an agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.deadline import (
    BudgetExceeded,
    Deadline,
    budget_from_entry,
    invocation_deadline,
    run_within,
)
from connect_zendesk.lex.contract import response_problems
from connect_zendesk.lex.event import LexRequest, parse_lex_event
from connect_zendesk.lex.response import DialogAction, IntentState, LexReply, render
from connect_zendesk.messages import message
from connect_zendesk.observability import logger, metrics, traced
from connect_zendesk.services import Services, services_for
from connect_zendesk.settings import ConfigurationError, Settings, get_settings
from connect_zendesk.warm_start import prepare_snapshot

STEP = "lex_fulfillment"
REQUIRED_ENV = frozenset(
    {
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_SECRET_ARN",
        "CONTACTS_TABLE",
        "CACHE_TABLE",
        "SELF_SERVICE_TABLE",
    }
)
TurnLogic = Callable[[LexRequest, Services], LexReply]
LambdaHandler = Callable[[Any, Any], dict[str, Any]]


def failure_reply(request: LexRequest, lead_key: str) -> LexReply:
    """An apology and a handoff, built from the request alone (no service is needed or trusted)."""
    attributes = {**request.session_attributes, "handoff": "true", "handoffReason": "Error"}
    attributes.update(elicitedSlot="", lastQuestion="")
    return LexReply(
        DialogAction.CLOSE,
        messages=(message(request.locale, lead_key), message(request.locale, "bot.handoff")),
        intent_name=request.intent_name or "FallbackIntent",
        intent_state=IntentState.FAILED,
        slots=request.raw_slots,
        confirmation_state=request.confirmation_state
        if request.confirmation_state in ("Confirmed", "Denied", "None")
        else "None",
        session_attributes=attributes,
    )


def lex_code_hook_handler(logic: TurnLogic, required_env: frozenset[str]) -> LambdaHandler:
    try:
        settings: Settings | None = get_settings(required_env)
    except ConfigurationError:
        # Logged once at cold start; every turn then hands the caller over politely.
        logger.exception("invalid configuration", extra={"step": STEP})
        settings = None
    prepare_snapshot(STEP)  # SnapStart only: clients made before the snapshot
    budget = settings.lex_time_budget_seconds if settings else 1.0

    @traced
    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def observed_handler(event: Any, context: Any) -> dict[str, Any]:
        deadline = invocation_deadline(budget, context)
        request = parse_lex_event(event)
        logger.append_keys(
            contact_id=request.contact_id,
            step=STEP,
            intent=request.intent_name,
            invocation_source=request.invocation_source.value,
            input_mode=request.input_mode,
            locale=request.locale_id,
        )
        metrics.add_dimension(name="step", value=STEP)
        if request.problems:
            logger.warning("lex event is incomplete", extra={"problems": list(request.problems)})
            metrics.add_metric(name="BotInvalidEvent", unit=MetricUnit.Count, value=1)
        reply = _run(logic, settings, request, deadline)
        response = render(reply, request.channel)
        problems = response_problems(response)
        if problems:
            logger.error(
                "built an invalid lex response; answering with a handoff", extra={"problems": problems}
            )
            metrics.add_metric(name="BotResponseInvalid", unit=MetricUnit.Count, value=1)
            response = render(failure_reply(request, "bot.handoff.error"), request.channel)
        metrics.add_metric(name="BotTurns", unit=MetricUnit.Count, value=1)
        logger.info(
            "bot turn answered",
            extra={
                "dialog_action": response["sessionState"]["dialogAction"]["type"],
                "handoff": response["sessionState"].get("sessionAttributes", {}).get("handoff", ""),
            },
        )
        return response

    # The budget starts before the decorators run (the first call loads the Tracer in them).
    return budget_from_entry(budget, observed_handler)


def _run(logic: TurnLogic, settings: Settings | None, request: LexRequest, deadline: Deadline) -> LexReply:
    if settings is None:
        return failure_reply(request, "bot.handoff.error")
    try:
        return run_within(deadline, lambda: logic(request, services_for(settings)))
    except BudgetExceeded:
        logger.error("time budget exhausted", extra={"budget_seconds": settings.lex_time_budget_seconds})
        metrics.add_metric(name="BotTimeout", unit=MetricUnit.Count, value=1)
        return failure_reply(request, "bot.handoff.busy")
    except Exception:  # noqa: BLE001 - the Lex contract: never raise to Lex
        logger.exception("unexpected failure outside the turn")
        return failure_reply(request, "bot.handoff.error")
