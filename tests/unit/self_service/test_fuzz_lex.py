"""Fuzzing the Lex V2 code hook (the other handlers: tests/unit/test_fuzz_handlers.py).

At least FUZZ_EXAMPLES (500) events mutated from the bot's samples and the public Lex V2 reference
events reach the real handler (fake Zendesk desk, moto DynamoDB and SNS). Every answer is a response
Lex accepts (connect_zendesk.lex.contract), nothing crashes inside the code, and nothing secret or
personal reaches the logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot_doubles import PRIYA
from connect_zendesk.lex.contract import response_problems
from connect_zendesk_local.lambda_context import LocalLambdaContext
from fuzz_events import (
    assert_no_leak,
    assert_no_unexpected_failure,
    captured_logs,
    events_for,
    fuzz,
    project_samples,
    reference_samples,
)
from unit_doubles import AGENT, CARLOS, JANE

Handler = Callable[[Any, Any], dict[str, Any]]


def test_the_code_hook_answers_every_mutated_event_with_a_valid_lex_response(bot: Handler) -> None:
    seeds = project_samples("lex_fulfillment") + reference_samples(
        "lexv2_dialog_code_hook*.json", "lexv2_fulfillment_code_hook*.json"
    )
    names = (JANE.name, CARLOS.name, AGENT.name, PRIYA.name)

    def check(event: Any) -> None:
        context = LocalLambdaContext(function_name="LexFulfillmentFunction", timeout_seconds=10)
        with captured_logs() as logs:
            response = bot(event, context)
        assert response_problems(response) == []
        json.dumps(response)
        assert_no_unexpected_failure(logs.getvalue())
        assert_no_leak(logs.getvalue(), response, names=names)

    fuzz(events_for(seeds), check)
