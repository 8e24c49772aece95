"""The agent desktop on the local stack: CONNECTED_TO_AGENT through EventBridge and SQS to
agent_connected (Connect emulator DescribeUser, Zendesk emulator), a transfer leg, the post-call note
on the same ticket, and the top bar's /recording through agent_actions (Connect emulator)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from connect_zendesk.realtime.signed_tokens import ZENDESK_JWT_AUDIENCE, sign_zendesk_jwt
from connect_zendesk_local.connect_agents import answer_call, sample_agent_arn
from connect_zendesk_local.connect_emulator.recording import recording_calls
from connect_zendesk_local.connect_events import disconnected_event
from connect_zendesk_local.demo import post_call_notes
from connect_zendesk_local.stack import LocalStack
from connect_zendesk_local.zendesk_app import DEMO_AGENT_ID, app_shared_secret, http_api_event
from connect_zendesk_local.zendesk_emulator.talk import displayed

pytestmark = pytest.mark.integration

JANE, JANE_TICKET, ALEX = 22450000001001, 1001, 22450000000102


def seed_contact(stack: LocalStack, contact_id: str, **attributes: object) -> None:
    item = {"contactId": {"S": contact_id}}
    for name, value in attributes.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    stack.client("dynamodb").put_item(TableName=stack.template.physical["ContactsTable"].ref, Item=item)


def contact(stack: LocalStack, contact_id: str) -> dict[str, object]:
    from connect_zendesk.adapters.dynamo import from_item

    item = stack.client("dynamodb").get_item(
        TableName=stack.template.physical["ContactsTable"].ref, Key={"contactId": {"S": contact_id}}
    )
    return from_item(item.get("Item") or {})


def test_a_transferred_call_keeps_its_ticket_and_the_note_lands_on_it(stack: LocalStack) -> None:
    assert stack.zendesk is not None
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    seed_contact(stack, first, zendeskUserId=JANE, selectedTicketId=JANE_TICKET, callerE164="+14155550100")
    leg = answer_call(stack, first)
    assert (int(leg["ticketId"]), int(leg["zendeskAgentId"]), leg["popped"]) == (
        JANE_TICKET,
        ALEX,
        "delivered",
    )
    again = answer_call(stack, first)  # the same event delivered twice
    assert again == leg
    transfer = answer_call(stack, second, initial_contact_id=first, previous_contact_id=first)
    assert int(transfer["ticketId"]) == JANE_TICKET
    assert displayed(stack.zendesk.store) == [("ticket", ALEX, JANE_TICKET)] * 2
    assert stack.zendesk.store.ticket(JANE_TICKET)["assignee_id"] == ALEX

    started = datetime.now(UTC)
    detail, resources = disconnected_event(first, started=started, ended=datetime.now(UTC))
    stack.put_contact_event(detail, resources)
    stack.sqs_poller("post_call_update").drain()
    assert int(contact(stack, first)["postCall"]["ticketId"]) == JANE_TICKET  # type: ignore[index]


def test_the_top_bar_pauses_and_resumes_recording_for_the_agent_on_the_contact(stack: LocalStack) -> None:
    assert stack.connect is not None
    contact_id = str(uuid.uuid4())
    instance_id = sample_agent_arn().split("instance/", 1)[1].split("/", 1)[0]
    stack.connect.put_contact(
        instance_id, {"Id": contact_id, "InitialContactId": contact_id, "Channel": "VOICE"}
    )
    seed_contact(stack, contact_id, zendeskUserId=JANE, selectedTicketId=JANE_TICKET)
    answer_call(stack, contact_id)

    def signed(action: str, agent: str = DEMO_AGENT_ID) -> dict[str, object]:
        now = int(time.time())
        claims = {
            "iss": f"https://{stack.template.parameters['ZendeskSubdomain']}.zendesk.com",
            "aud": ZENDESK_JWT_AUDIENCE,
            "sub": agent,
            "contact_id": contact_id,
            "iat": now,
            "exp": now + 120,
        }
        token = sign_zendesk_jwt(claims, app_shared_secret(stack.template, stack.client))
        body = {"contactId": contact_id, "action": action}
        return http_api_event(body, {"Authorization": f"Bearer {token}"}, path="/recording")

    assert stack.invoke("agent_actions", signed("suspend"))["statusCode"] == 200
    assert stack.invoke("agent_actions", signed("resume"))["statusCode"] == 200
    assert stack.invoke("agent_actions", signed("suspend", agent="22450000000101"))["statusCode"] == 403
    assert recording_calls(stack.connect) == [("suspend", contact_id), ("resume", contact_id)]
    pauses = contact(stack, contact_id)["recordingPauses"]
    assert [p["action"] for p in pauses] == ["suspend", "resume"]  # type: ignore[attr-defined]
    assert json.loads(stack.invoke("agent_actions", signed("resume"))["body"])["recording"] == "recording"

    # The post-call note says when the recording was paused and resumed.
    detail, resources = disconnected_event(contact_id, started=datetime.now(UTC), ended=datetime.now(UTC))
    stack.put_contact_event(detail, resources)
    stack.sqs_poller("post_call_update").drain()
    (note,) = post_call_notes(stack, JANE_TICKET, contact_id)
    body = str(note["body"])
    assert "Recording paused at " in body
    assert body.index("Recording paused at") < body.index("Recording resumed at")
    assert f"by agent {DEMO_AGENT_ID}" in body
