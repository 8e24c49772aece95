"""Fuzzing the Lex V2 code hook (the other handlers: tests/unit/test_fuzz_handlers.py).

At least FUZZ_EXAMPLES (500) events mutated from the bot's samples and the public Lex V2 reference
events reach the real handler (fake Zendesk desk, moto DynamoDB and SNS). Every answer is a response
Lex accepts (connect_zendesk.lex.contract), nothing crashes inside the code, and nothing secret or
personal reaches the logs. Events whose session attributes and slots claim another customer (their
number, ticket ids, user id, orders) never read, speak, write or change anything of that customer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import boto3
from bot_doubles import PRIYA, FakeDesk, contact, record_call, sent_sms
from connect_zendesk.adapters.dynamo import to_item
from connect_zendesk.adapters.self_service_table import order_item
from connect_zendesk.lex.contract import response_problems
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.self_service_seed import demo_orders
from fuzz_events import (
    assert_no_leak,
    assert_no_unexpected_failure,
    captured_logs,
    events_for,
    fuzz,
    project_samples,
    reference_samples,
    spoofed_sessions,
)
from unit_doubles import AGENT, CARLOS, JANE, NOW

Handler = Callable[[Any, Any], dict[str, Any]]
JANE_PHONE = "+14155552671"
TODAY = date(2026, 11, 21)  # the fixed clock's day


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


def test_spoofed_session_attributes_never_reach_another_customers_data(
    bot: Handler, bot_services: Services, desk: FakeDesk, aws: Template
) -> None:
    # Jane is the victim: her tickets, her orders, her number. Attackers: Carlos on his own call, a
    # Lex session without a contact record, and anyone on Jane's call after it ended.
    client = boto3.client("dynamodb", region_name="us-east-1")
    jane_orders = [o for o in demo_orders(TODAY) if o.phone == JANE_PHONE]
    for order in demo_orders(TODAY):
        client.put_item(
            TableName=aws.physical["SelfServiceTable"].ref, Item=to_item(order_item(order, NOW.timestamp()))
        )
    carlos_call = record_call(bot_services, str(uuid.uuid4()), CARLOS.phone)
    ended_jane_call = record_call(bot_services, str(uuid.uuid4()), JANE_PHONE)
    client.update_item(
        TableName=aws.physical["ContactsTable"].ref,
        Key={"contactId": {"S": ended_jane_call}},
        UpdateExpression="SET disconnectedAt = :at, zendeskUserId = :user",
        ExpressionAttributeValues={":at": {"S": "2026-11-21T11:00:00Z"}, ":user": {"N": str(JANE.id)}},
    )
    ended_before = contact(aws, ended_jane_call)
    jane_tickets = {1001, 1002, 1003}
    jane_words = ("Printer offline", "Invoice copy", "Password reset", "Wireless keyboard", "Toner")
    seeds = project_samples("lex_fulfillment")
    events = spoofed_sessions(
        seeds,
        JANE_PHONE,
        claims={
            "selectedTicketId": [str(t) for t in jane_tickets],
            "discussedTicketId": [str(t) for t in jane_tickets],
            "offeredTicketId": [str(t) for t in jane_tickets],
            "zendeskUserId": [str(JANE.id)],
        },
        slot_claims={"TicketNumber": [str(t) for t in jane_tickets], "OrderNumber": ["60415", "58812"]},
        contacts=[carlos_call, ended_jane_call, str(uuid.uuid4()), "no-record-contact-1"],
    )

    def check(event: Any) -> None:
        context = LocalLambdaContext(function_name="LexFulfillmentFunction", timeout_seconds=10)
        with captured_logs() as logs:
            response = bot(event, context)
        assert response_problems(response) == []
        spoken = json.dumps(response.get("messages", []), ensure_ascii=False)
        assert not [w for w in jane_words if w in spoken], spoken
        assert [w for w in desk.written if w.ticket_id in jane_tickets] == []
        assert not any(desk.detail_reads[t] for t in jane_tickets)
        assert [t for t in desk.created if t.requester_id == JANE.id] == []
        assert [n for n, _ in sent_sms() if n == JANE_PHONE] == []
        assert bot_services.self_service.callback_for(JANE_PHONE) is None
        assert [bot_services.self_service.order(o.phone, o.order_id) for o in jane_orders] == jane_orders
        assert contact(aws, ended_jane_call) == ended_before
        assert_no_unexpected_failure(logs.getvalue())

    fuzz(events, check)
