"""The self-service bot on the local stack: real zenpy over HTTP to the Zendesk emulator, DynamoDB and
SNS in moto server, the demo orders seeded, Lex played turn by turn by LexConversation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from connect_zendesk.adapters.zendesk.gateway import ZendeskGateway
from connect_zendesk.lex.contract import response_problems
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.lex_conversation import LexConversation
from connect_zendesk_local.stack import LocalStack
from connect_zendesk_local.zendesk_emulator import FaultConfig, LateWriteConfig

JANE = "+14155552671"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture(autouse=True)
def _healthy_zendesk(
    stack: LocalStack, _isolated_process_state: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """One stack for the module (starting one takes seconds): each test gets its environment back
    after the per-test isolation, and a Zendesk without faults."""
    for name, value in stack.environment.items():
        monkeypatch.setenv(name, value)
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig()
    yield
    stack.zendesk.faults = FaultConfig()
    stack.zendesk.clear_late_writes()


def bot(stack: LocalStack, caller: str | None = JANE, **kwargs: Any) -> LexConversation:
    """A call that went through caller_lookup and ticket_lookup, then into the bot."""
    event = contact_flow_event(caller)
    if caller is not None:
        stack.invoke("caller_lookup", event)
        stack.invoke("ticket_lookup", event)

    def invoke(lex_event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = stack.invoke("lex_fulfillment", lex_event)
        assert response_problems(response) == []
        return response

    attributes = {"callerNumber": caller} if caller else {}
    return LexConversation(
        invoke,
        contact_id=event["Details"]["ContactData"]["ContactId"],
        session_attributes=attributes,
        **kwargs,
    )


def requests_to(stack: LocalStack, fragment: str) -> list[str]:
    assert stack.zendesk is not None
    return [f"{r.method} {r.path}" for r in stack.zendesk.requests_log() if fragment in r.path]


def test_a_caller_hears_their_ticket_but_another_callers_ticket_is_not_found(stack: LocalStack) -> None:
    conversation = bot(stack)

    own = conversation.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})
    other = conversation.say("ticket 1006", intent="CheckTicketStatus", slots={"TicketNumber": "1006"})
    missing = conversation.say("ticket 9999", intent="CheckTicketStatus", slots={"TicketNumber": "9999"})

    assert own.reply.startswith("Ticket 1001, Printer offline, is open. It was last updated 2 days ago.")
    assert (
        "The latest reply says: That address means the printer did not get one from your network."
        in own.reply
    )
    assert "DHCP" not in own.reply  # the internal note
    assert other.reply.replace("1006", "N") == missing.reply.replace("9999", "N")
    assert requests_to(stack, "/tickets/1006/comments") == []


def test_a_ticket_created_twice_for_one_contact_exists_once_in_zendesk(stack: LocalStack) -> None:
    conversation = bot(stack)
    conversation.say(
        "My monitor flickers",
        intent="CreateTicket",
        slots={"ProblemDescription": "My monitor flickers", "SmsConfirmation": "no"},
    )
    first = conversation.say("yes")
    repeat = conversation.resend(first.invocations[-1].event)

    assert stack.zendesk is not None
    created = [
        t
        for t in stack.zendesk.store.list_tickets()
        if t["external_id"] == f"cz-{conversation.contact_id}-CreateTicket"
    ]
    assert len(created) == 1
    (ticket,) = created
    assert ticket["requester_id"] == 22450000001001
    assert {"via_voice", "self_service_bot"} <= set(ticket["tags"])
    assert str(ticket["id"]) in json.dumps(repeat["messages"])


def test_handing_over_puts_the_conversation_on_the_selected_ticket(stack: LocalStack) -> None:
    conversation = bot(stack)
    conversation.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})

    turn = conversation.say("agent please", intent="SpeakToAgent")

    assert turn.session_attributes["zendeskTicketId"] == "1001"
    assert stack.zendesk is not None
    note = stack.zendesk.store.get_comments(1001)[-1]
    assert note["public"] is False
    assert f"contact {conversation.contact_id}" in note["body"]
    assert "] Caller: yes" in note["body"]
    assert "Caller: +14155552671, Zendesk user 22450000001001" in note["body"]


def handoff_notes(stack: LocalStack, ticket_id: int, contact_id: str) -> list[str]:
    assert stack.zendesk is not None
    header = f"Conversation with the self-service bot (voice, contact {contact_id})"
    return [c["body"] for c in stack.zendesk.store.get_comments(ticket_id) if header in (c["body"] or "")]


def test_a_handoff_note_zendesk_commits_late_is_still_one_note(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the handoff note's PUT is held past the bot's time budget: the caller still goes to an agent
    assert stack.zendesk is not None
    emulator = stack.zendesk
    conversation = bot(stack)
    conversation.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    emulator.arm_late_writes(LateWriteConfig(path_pattern=r"^/api/v2/tickets/1001\.json$", hold_seconds=0.05))
    first = conversation.say("agent please", intent="SpeakToAgent")
    assert first.session_attributes["handoff"] == "true"
    assert handoff_notes(stack, 1001, conversation.contact_id) == []

    # When the turn is retried and the late write lands right after the retry looked for the note
    real_look: Any = getattr(ZendeskGateway, "_has_comment_containing", lambda *_args: False)
    landed: list[int | None] = []

    def look_then_late_write_lands(self: ZendeskGateway, ticket_id: int, marker: str) -> bool:
        found = real_look(self, ticket_id, marker)
        landed.extend(emulator.apply_late_writes())
        return found

    monkeypatch.setattr(ZendeskGateway, "_has_comment_containing", look_then_late_write_lands, raising=False)
    conversation.resend(first.invocations[-1].event)
    landed.extend(emulator.apply_late_writes())  # whatever is still held lands now

    # Then the retry's write is refused (stale stamp), it looks again: one handoff note
    assert len(handoff_notes(stack, 1001, conversation.contact_id)) == 1
    assert landed == [200]
    assert [r.status for r in emulator.requests_log() if r.method == "PUT"][-1] == 409


def test_a_handoff_ticket_zendesk_creates_late_is_the_contacts_only_one(stack: LocalStack) -> None:
    # Given a caller who chose no ticket, and the handoff ticket's creation is held and applied late
    assert stack.zendesk is not None
    conversation = bot(stack)
    stack.zendesk.arm_late_writes(LateWriteConfig(path_pattern=r"^/api/v2/tickets\.json$", hold_seconds=0.05))
    first = conversation.say("agent please", intent="SpeakToAgent")
    assert first.session_attributes["handoff"] == "true"

    # When the turn is retried while Zendesk still processes the first request, then after it landed
    conversation.resend(first.invocations[-1].event)
    assert stack.zendesk.apply_late_writes() == [201]
    again = conversation.resend(first.invocations[-1].event)

    # Then the contact has one handoff ticket, and the retry names it
    made = [
        t
        for t in stack.zendesk.store.list_tickets()
        if t["external_id"] == f"cz-{conversation.contact_id}-handoff"
    ]
    assert len(made) == 1
    assert str(made[0]["id"]) in json.dumps(again)


def test_a_rate_limited_zendesk_hands_the_caller_over_at_once(stack: LocalStack) -> None:
    conversation = bot(stack)
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig(mode="rate_limit", retry_after=30)
    before = len(stack.zendesk.requests_log())

    turn = conversation.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    assert turn.reply == "Sorry, our systems are busy right now. Let me connect you to an agent."
    assert turn.session_attributes["handoff"] == "true"
    log = stack.zendesk.requests_log()[before:]
    assert [r.status for r in log] == [429]  # one request, no retry, no sleep


def test_a_chat_stranger_with_an_email_becomes_the_requester_of_the_handoff_ticket(stack: LocalStack) -> None:
    conversation = bot(stack, caller=None, input_mode="Text")
    conversation.say("talk to a person", intent="SpeakToAgent")

    turn = conversation.say("new.person@example.org", slots={"Email": "new.person@example.org"})

    assert stack.zendesk is not None
    ticket = stack.zendesk.store.get_ticket(int(turn.session_attributes["zendeskTicketId"]))
    assert ticket is not None
    requester = stack.zendesk.store.get_user(ticket["requester_id"])
    assert requester is not None
    assert requester["email"] == "new.person@example.org"
    assert "via_chat" in ticket["tags"]


def test_an_unknown_caller_who_opens_a_ticket_is_known_on_the_next_call(stack: LocalStack) -> None:
    caller = "+16175550123"
    conversation = bot(stack, caller=caller)
    conversation.say("x", intent="CreateTicket", slots={"ProblemDescription": "No dial tone"})
    conversation.say("no", slots={"SmsConfirmation": "no"})
    conversation.say("yes")

    again = stack.invoke("caller_lookup", contact_flow_event(caller))

    assert again["lambdaResult"] == "Success"
    assert again["customerName"] == f"Caller {caller}"


def test_the_demo_orders_are_seeded_and_spoken_in_japanese(stack: LocalStack) -> None:
    conversation = bot(stack, caller="+81312345678", locale="ja_JP")

    turn = conversation.say("注文の状況を知りたい", intent="OrderStatus")

    assert turn.reply.startswith("ご注文番号70001、インクカートリッジ 2個は、発送準備中です。")


def test_a_callback_is_booked_with_a_note_and_an_sms(stack: LocalStack) -> None:
    from moto.sns.models import sns_backends

    conversation = bot(stack, caller="+14155550134")  # Carlos: his newest open ticket is 1006
    conversation.say(
        "call me", intent="ScheduleCallback", slots={"CallbackDate": _next_monday(), "CallbackTime": "11:00"}
    )
    conversation.say("yes", slots={"SmsConfirmation": "yes"})

    done = conversation.say("yes")

    assert done.reply.startswith("Your callback is booked for Monday")
    assert stack.zendesk is not None
    assert stack.zendesk.store.get_comments(1006)[-1]["body"].startswith("Callback booked for Monday")
    texts = [
        text
        for number, text, *_ in sns_backends["123456789012"]["us-east-1"].sms_messages.values()
        if number == "+14155550134"
    ]
    assert texts
    assert texts[-1].startswith("Your callback is booked for Monday")


def _next_monday() -> str:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=2)
    return (day + timedelta(days=(0 - day.weekday()) % 7)).isoformat()


def test_make_invoke_runs_the_bot_with_a_sample_event() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "ZENPY_FORCE"))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connect_zendesk_local.invoke",
            "lex_fulfillment",
            "events/lex_fulfillment/check_ticket_status_ja_JP.json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )

    response = json.loads(result.stdout)
    assert response_problems(response) == []
    assert (
        "チケット番号1007、「プリンターがオフライン」は、現在対応中です。"
        in response["messages"][0]["content"]
    )
    assert "bot turn answered" in result.stderr


# ---------------------------------------------------------------------------- identity attacks
CARLOS = "+14155550134"
JANE_USER = "22450000001001"


def _about_jane(stack: LocalStack, since: int) -> list[str]:
    """Zendesk requests since `since` that read or write anything of Jane's: her user, her tickets
    (1001, 1002, 1003), or a search for her number."""
    assert stack.zendesk is not None
    hits = []
    for r in stack.zendesk.requests_log()[since:]:
        text = f"{r.path} {json.dumps(r.query)}"
        if JANE_USER in text or "5552671" in text or any(f"/tickets/100{n}" in r.path for n in (1, 2, 3)):
            hits.append(f"{r.method} {text}")
    return hits


def _jane_order(stack: LocalStack) -> str:
    from connect_zendesk.services import services_for
    from connect_zendesk.settings import Settings

    services = services_for(Settings.from_env(stack.template.function("lex_fulfillment").environment))
    order = services.self_service.order(JANE, 60415)
    assert order is not None
    return order.status


def test_a_keyed_in_number_of_another_customer_identifies_nobody(stack: LocalStack) -> None:
    # Carlos calls and keys in Jane's number; the flow passes it as phoneNumber
    assert stack.zendesk is not None
    since = len(stack.zendesk.requests_log())
    event = contact_flow_event(CARLOS, parameters={"phoneNumber": "(415) 555-2671"})

    looked_up = stack.invoke("caller_lookup", event)
    tickets = stack.invoke("ticket_lookup", event)
    conversation = LexConversation(
        lambda e: stack.invoke("lex_fulfillment", e),
        contact_id=event["Details"]["ContactData"]["ContactId"],
        session_attributes={"callerNumber": CARLOS},
    )
    ticket = conversation.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})
    cancel = conversation.say("cancel order 60415", intent="CancelOrder", slots={"OrderNumber": "60415"})

    assert (looked_up["lambdaResult"], looked_up["identity"]) == ("NotFound", "Unverified")
    assert looked_up["customerName"] == looked_up["zendeskUserId"] == ""
    assert (tickets["lambdaResult"], tickets["identity"]) == ("NotFound", "Unverified")
    assert tickets["ticketIds"] == tickets["ticketPrompt"] == ""
    assert "Printer" not in ticket.reply
    assert "keyboard" not in cancel.reply.lower()
    assert _about_jane(stack, since) == []
    assert _jane_order(stack) == "scheduled"


def test_spoofed_session_attributes_read_write_and_change_nothing_of_another_customer(
    stack: LocalStack,
) -> None:
    assert stack.zendesk is not None
    comments_before = len(stack.zendesk.store.get_comments(1001))
    # Carlos's own call (the flow functions recorded him) with Lex session attributes naming Jane's
    # tickets; the same claiming her number too; and a Lex session with no contact record at all
    spoofed_ids = {"selectedTicketId": "1001", "discussedTicketId": "1002", "offeredTicketId": "1001"}
    carlos_call = bot(stack, caller=CARLOS)
    carlos_call.session_attributes.update(spoofed_ids)
    carlos_claiming_jane = bot(stack, caller=CARLOS)
    carlos_claiming_jane.session_attributes.update(spoofed_ids, callerNumber=JANE)
    stranger = LexConversation(
        lambda e: stack.invoke("lex_fulfillment", e), session_attributes={**spoofed_ids, "callerNumber": JANE}
    )
    since = len(stack.zendesk.requests_log())

    replies = []
    for conversation in (carlos_call, carlos_claiming_jane, stranger):
        for say, intent, slots in (
            ("what's my ticket status", "CheckTicketStatus", {}),
            ("yes", "ConfirmOpenTicket", {"Answer": "yes"}),
            ("cancel order 60415", "CancelOrder", {"OrderNumber": "60415"}),
            ("agent", "SpeakToAgent", {}),
        ):
            turn = conversation.say(say, intent=intent, slots=slots)
            if turn.dialog_action == "ConfirmIntent":
                turn = conversation.say("yes")
            replies.append(turn.reply)
    missing = LexConversation(
        lambda e: stack.invoke("lex_fulfillment", e), session_attributes={"selectedTicketId": "99999"}
    ).say("agent", intent="SpeakToAgent")

    assert not [r for r in replies if "Printer" in r or "Invoice" in r or "keyboard" in r.lower()]
    assert _about_jane(stack, since) == []
    assert len(stack.zendesk.store.get_comments(1001)) == comments_before
    assert _jane_order(stack) == "scheduled"
    assert replies[-1] == missing.reply  # the stranger's handoff: no hint that ticket 1001 exists
