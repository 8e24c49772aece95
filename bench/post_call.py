"""After the call on the local stack: Zendesk requests per post-call update (they spend the account's
rate limit, shared with the agents), and how long one update takes next to the time the SQS runner
keeps for a message."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

from connect_zendesk.sqs.batch_step import MESSAGE_RESERVE_SECONDS
from connect_zendesk_local.connect_events import contact_flow_event, disconnected_event
from connect_zendesk_local.stack import LocalStack, function_output_to

from bench.report import Row, latency_row

SAMPLES = 100  # p99 is the second-slowest sample
JANE = "+14155552671"
JANE_OPEN_TICKET = 1001
LATENCY_SHARE = 0.1  # an update should take a tenth of its reserve or less on loopback


def run(stack: LocalStack) -> list[Row]:
    with function_output_to(io.StringIO()):
        _update(stack, JANE, JANE_OPEN_TICKET)  # warm the container: imports, clients, token
        rows = [
            # The ticket's updated_at is read before the note's safe update (late commits: README,
            # "Exactly one note per contact"): 2 calls, not 1.
            _calls_row(stack, "chosen ticket", JANE, JANE_OPEN_TICKET, budget=2),
            _calls_row(stack, "new ticket for a known caller", JANE, None, budget=1),
            _calls_row(stack, "unknown caller", "+12125550188", None, budget=3),
            _duplicate_row(stack),
        ]
        durations = [_update(stack, JANE, JANE_OPEN_TICKET)[1] for _ in range(SAMPLES)]
    rows.append(
        latency_row(
            "warm post_call_update, one call",
            durations,
            MESSAGE_RESERVE_SECONDS,
            LATENCY_SHARE,
            f"{MESSAGE_RESERVE_SECONDS:.0f} s kept per message (SQS receive, handler, delete)",
        )
    )
    return rows


def _update(stack: LocalStack, caller: str, ticket_id: int | None, *, copies: int = 1) -> tuple[int, float]:
    """One call ends; returns (Zendesk API requests of the post-call update, its duration in s)."""
    assert stack.zendesk is not None
    event = contact_flow_event(caller)
    stack.invoke("caller_lookup", event)
    contact_id = str(event["Details"]["ContactData"]["ContactId"])
    if ticket_id is not None:
        stack.client("dynamodb").update_item(
            TableName=stack.template.physical["ContactsTable"].ref,
            Key={"contactId": {"S": contact_id}},
            UpdateExpression="SET selectedTicketId = :t",
            ExpressionAttributeValues={":t": {"N": str(ticket_id)}},
        )
    ended = datetime.now(UTC)
    detail, resources = disconnected_event(contact_id, started=ended - timedelta(minutes=4), ended=ended)
    for _ in range(copies):
        stack.put_contact_event(detail, resources)
    before = len(stack.zendesk.requests_log())
    started = time.perf_counter()
    stack.sqs_poller("post_call_update").drain()
    duration = time.perf_counter() - started
    calls = sum(1 for r in stack.zendesk.requests_log()[before:] if r.path.startswith("/api/v2/"))
    return calls, duration


def _calls_row(stack: LocalStack, case: str, caller: str, ticket_id: int | None, *, budget: int) -> Row:
    calls, _ = _update(stack, caller, ticket_id)
    return Row(
        f"Zendesk calls, post-call, {case}",
        f"{calls} calls",
        calls / budget,
        1.0,
        f"budget {budget} per contact",
    )


def _duplicate_row(stack: LocalStack) -> Row:
    calls, _ = _update(stack, JANE, JANE_OPEN_TICKET, copies=3)
    return Row(
        "Zendesk calls, post-call, event 3 times",
        f"{calls} calls",
        calls / 2,
        1.0,
        "budget 2 (one note): duplicates cost nothing",
    )
