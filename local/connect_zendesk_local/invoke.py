"""Run one function's handler on the local stack, like `sam local invoke` without Docker.

    python -m connect_zendesk_local.invoke caller_lookup events/caller_lookup/known_caller.json

The handler comes from template.yaml (CodeUri + Handler) and runs with the template's environment
for that function. Only the JSON response goes to stdout; logs and metrics go to stderr. A stack
started with `python -m connect_zendesk_local.stack` is used when running, else a private one.

A bot event is played as part of its call: the bot trusts only the Contacts record the flow
functions wrote, so caller_lookup runs first for the event's `contactId` from its `callerNumber`
(as the contact flow does with the call's telephone endpoint).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.stack import LocalStack, attach_running, function_output_to, invoke_function

ASYNC_WAIT_SECONDS = 120


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("function", help="folder under functions/ (e.g. caller_lookup) or logical id")
    parser.add_argument(
        "event", type=Path, help="JSON event file, e.g. events/caller_lookup/known_caller.json"
    )
    args = parser.parse_args(argv)
    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        parser.error(f"cannot read event {args.event}: {exc}")
    # Powertools writes logs and EMF metrics to stdout, as in Lambda; here they go to stderr so
    # stdout carries only the response.
    with function_output_to(sys.stderr):
        response = _invoke(args.function, event)
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def _invoke(function: str, event: Any) -> Any:
    template = attach_running()
    if template is not None:
        attached = template
        _flow_steps_before(function, event, lambda name, e: invoke_function(attached, name, e))
        return invoke_function(template, function, event)  # asynchronous work runs in the stack's process
    with LocalStack() as stack:
        _flow_steps_before(function, event, stack.invoke)
        response = stack.invoke(function, event)
        _report_async_work(stack)
        return response


def _flow_steps_before(function: str, event: Any, invoke: Callable[[str, Any], Any]) -> None:
    """For a bot event: the caller_lookup the contact flow runs before the bot, for the same contact."""
    if function not in ("lex_fulfillment", "LexFulfillmentFunction") or not isinstance(event, dict):
        return
    state = event.get("sessionState")
    attributes = state.get("sessionAttributes") if isinstance(state, dict) else None
    if not isinstance(attributes, dict):
        return
    contact_id, caller = attributes.get("contactId"), attributes.get("callerNumber")
    if isinstance(contact_id, str) and contact_id and isinstance(caller, str) and caller:
        print(f"[flow] caller_lookup for contact {contact_id} first, as the flow does", file=sys.stderr)
        invoke("caller_lookup", contact_flow_event(caller, contact_id=contact_id))


def _report_async_work(stack: LocalStack) -> None:
    """Functions this one queued (InvocationType Event) run to the end before the private stack stops."""
    if stack.kvs is None or not stack.kvs.lambda_api.runs:
        return
    finished = stack.kvs.lambda_api.wait_idle(timeout=ASYNC_WAIT_SECONDS)
    for run in stack.kvs.lambda_api.runs:
        outcome = run.error or json.dumps(run.result, ensure_ascii=False) if run.ended else "still running"
        print(f"[async] {run.function}: {outcome}", file=sys.stderr)
    if not finished:
        print(f"[async] gave up waiting after {ASYNC_WAIT_SECONDS} s", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
