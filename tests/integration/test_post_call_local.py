"""After the call on the local stack: a contact event put on EventBridge (moto server) is routed by the
template's rule to the template's queue, delivered by the local event source mapping to the
post_call_update handler, which talks to the Zendesk emulator over HTTP with zenpy's session."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from connect_zendesk.adapters.zendesk.ticket_writes import ZendeskTicketWriter
from connect_zendesk.domain.post_call_ports import NoteAttachment, TicketDraft
from connect_zendesk.errors import ZendeskBadResponse, ZendeskNotFound, ZendeskRateLimited, ZendeskRejected
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event, disconnected_event
from connect_zendesk_local.stack import LocalStack
from connect_zendesk_local.zendesk_emulator import FaultConfig, LateWriteConfig

pytestmark = pytest.mark.integration

JANE_ID = 22450000001001
JANE_OPEN, JANE_CLOSED = 1001, 1004
INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


class Crash(BaseException):
    """The process dying: not an exception any handler code catches."""


def call(stack: LocalStack, address: str = "+14155552671") -> str:
    """The inbound flow's lookups for a caller; returns the contact id."""
    event = contact_flow_event(address)
    stack.invoke("caller_lookup", event)
    stack.invoke("ticket_lookup", event)
    return str(event["Details"]["ContactData"]["ContactId"])


def choose_ticket(stack: LocalStack, contact_id: str, ticket_id: int) -> None:
    stack.client("dynamodb").update_item(
        TableName=stack.template.physical["ContactsTable"].ref,
        Key={"contactId": {"S": contact_id}},
        UpdateExpression="SET selectedTicketId = :t",
        ExpressionAttributeValues={":t": {"N": str(ticket_id)}},
    )


def hang_up(stack: LocalStack, contact_id: str, *, agent: bool = True, instance: str = "") -> None:
    ended = datetime.now(UTC)
    detail, resources = disconnected_event(
        contact_id, started=ended - timedelta(minutes=5), ended=ended, agent=agent, instance_arn=instance
    )
    stack.put_contact_event(detail, resources)


def notes_of(stack: LocalStack, ticket_id: int, contact_id: str) -> list[dict[str, Any]]:
    assert stack.zendesk is not None
    return [c for c in stack.zendesk.store.get_comments(ticket_id) if contact_id in (c["body"] or "")]


@pytest.fixture
def writer(stack: LocalStack) -> ZendeskTicketWriter:
    return ZendeskTicketWriter.from_settings(
        Settings.from_env(stack.template.function("post_call_update").environment)
    )


# ---------------------------------------------------------------------------------- the whole path
def test_a_call_that_ends_leaves_one_private_note_through_eventbridge_and_sqs(stack: LocalStack) -> None:
    # Given Jane's call about ticket 1001
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)

    # When Connect's DISCONNECTED event is delivered twice
    hang_up(stack, contact_id)
    hang_up(stack, contact_id)
    results = stack.sqs_poller("post_call_update").drain()

    # Then both messages are consumed and the emulator's ticket has one private note from this call
    assert sum(r.received for r in results) == 2
    assert all(not r.failed for r in results)
    (note,) = notes_of(stack, JANE_OPEN, contact_id)
    assert note["public"] is False
    assert f"https://demo.my.connect.aws/contact-trace-records/details/{contact_id}" in note["body"]
    assert "connect_call" in stack.zendesk.store.get_ticket(JANE_OPEN)["tags"]  # type: ignore[union-attr,index]


def test_the_rule_only_takes_events_of_the_configured_instance() -> None:
    with LocalStack(parameters={"ConnectInstanceArn": INSTANCE}) as stack:
        contact_id = call(stack)
        hang_up(stack, contact_id, instance=INSTANCE.replace("0a1b2c3d", "ffffffff"))
        assert stack.sqs_poller("post_call_update").drain() == []
        hang_up(stack, contact_id, instance=INSTANCE)
        (result,) = stack.sqs_poller("post_call_update").drain()
        assert result.deleted == 1


def test_zendesk_429_delays_the_message_by_retry_after_over_real_http(stack: LocalStack) -> None:
    # Given Zendesk answers the note's PUT once with 429 Retry-After: 1
    assert stack.zendesk is not None
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)
    stack.zendesk.faults = FaultConfig(
        mode="rate_limit", retry_after=1, count=1, path_pattern=r"^/api/v2/tickets/\d+\.json$"
    )
    hang_up(stack, contact_id)
    poller = stack.sqs_poller("post_call_update")

    # When it is delivered: it fails, and is invisible for Retry-After plus a second
    first = poller.poll_once()
    assert first.failed
    sent_back = time.monotonic()
    assert poller.poll_once().received == 0

    # Then it comes back by itself and the note is written once
    again = poller.poll_once(wait_seconds=5)
    assert again.deleted == 1
    assert time.monotonic() - sent_back >= 1.5
    assert len(notes_of(stack, JANE_OPEN, contact_id)) == 1


def test_a_crash_after_zendesk_accepted_the_note_does_not_post_it_twice(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)
    real_note = ZendeskTicketWriter.add_internal_note_once

    def note_then_die(self: ZendeskTicketWriter, *args: Any, **kwargs: Any) -> bool:
        real_note(self, *args, **kwargs)
        raise Crash("the process died after the PUT returned")

    monkeypatch.setattr(ZendeskTicketWriter, "add_internal_note_once", note_then_die)
    hang_up(stack, contact_id)
    poller = stack.sqs_poller("post_call_update")
    with pytest.raises(Crash):
        poller.poll_once()
    monkeypatch.setattr(ZendeskTicketWriter, "add_internal_note_once", real_note)

    # The crashed invocation's timeout passes: its in-progress record and the message's visibility end
    dynamodb = stack.client("dynamodb")
    table = stack.template.physical["IdempotencyTable"].ref
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.update_item(
            TableName=table,
            Key={"id": item["id"]},
            UpdateExpression="SET in_progress_expiration = :past",
            ExpressionAttributeValues={":past": {"N": "1"}},
        )
    queue = stack.template.physical["PostCallQueue"].ref
    assert poller.poll_once().received == 0  # still invisible: the crashed invocation holds it
    for handle in poller.last_receipt_handles:
        stack.client("sqs").change_message_visibility(
            QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0
        )

    again = poller.poll_once(wait_seconds=2)
    assert again.deleted == 1
    assert len(notes_of(stack, JANE_OPEN, contact_id)) == 1


def test_an_unknown_caller_gets_an_end_user_and_a_voice_ticket_in_zendesk(stack: LocalStack) -> None:
    assert stack.zendesk is not None
    contact_id = call(stack, "+12125550147")
    hang_up(stack, contact_id, agent=False)
    stack.sqs_poller("post_call_update").drain()

    (user,) = [u for u in stack.zendesk.store.list_users() if u["phone"] == "+12125550147"]
    assert (user["name"], user["role"]) == ("Caller +1 212-555-0147", "end-user")
    (ticket,) = [
        t for t in stack.zendesk.store.list_tickets() if t["external_id"] == f"connect-contact:{contact_id}"
    ]
    assert (ticket["requester_id"], ticket["via"]["channel"], ticket["is_public"]) == (
        user["id"],
        "voice",
        False,
    )
    assert ticket["comment_count"] == 1


def test_a_huge_transcript_reaches_zendesk_as_an_attachment(stack: LocalStack) -> None:
    assert stack.zendesk is not None
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)
    table = stack.template.physical["TranscriptsTable"].ref
    items = [
        {
            "PutRequest": {
                "Item": {
                    "contactId": {"S": contact_id},
                    "position": {"S": f"{i * 3000:010d}#s{i}"},
                    "speaker": {"S": "CUSTOMER" if i % 2 else "AGENT"},
                    "text": {"S": f"segment {i} " + "blah " * 30},
                    "beginOffsetMs": {"N": str(i * 3000)},
                    "endOffsetMs": {"N": str(i * 3000 + 2500)},
                }
            }
        }
        for i in range(400)
    ]
    dynamodb = stack.client("dynamodb")
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={table: items[start : start + 25]})
    hang_up(stack, contact_id)
    stack.sqs_poller("post_call_update").drain()

    (note,) = notes_of(stack, JANE_OPEN, contact_id)
    (attachment,) = note["attachments"]
    assert attachment["file_name"] == f"transcript-{contact_id}.txt"
    content = stack.zendesk.store.attachment_content(attachment["id"]).decode()
    assert content.count("segment ") == 400
    assert "the whole transcript is attached" in note["body"]


def test_make_invoke_runs_the_post_call_function_on_a_sample_event() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connect_zendesk_local.invoke",
            "post_call_update",
            "events/post_call_update/disconnected_minimal.json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    assert "post-call update done" in result.stderr


# ---------------------------------------------------------------------------------- the Zendesk writer
def test_writer_creates_a_private_voice_ticket_found_by_external_id(
    writer: ZendeskTicketWriter, stack: LocalStack
) -> None:
    token = writer.upload(NoteAttachment("a.txt", b"first", "text/plain"))
    assert writer.upload(NoteAttachment("b.txt", b"second", "text/plain"), token) == token
    ticket_id = writer.create_ticket(
        TicketDraft(
            JANE_ID, "Phone call", "note [m]", ["connect_call"], "connect-contact:x", "voice", [token]
        )
    )
    assert writer.tickets_with_external_id("connect-contact:x") == [ticket_id]
    assert writer.tickets_with_external_id("connect-contact:y") == []
    assert writer.has_comment_containing(ticket_id, "[m]") is True
    assert writer.has_comment_containing(ticket_id, "[other]") is False
    shown = stack.zendesk.store.get_ticket(ticket_id)  # type: ignore[union-attr]
    assert shown is not None
    assert (shown["via"]["channel"], shown["tags"], shown["is_public"]) == ("voice", ["connect_call"], False)
    (comment,) = stack.zendesk.store.get_comments(ticket_id)  # type: ignore[union-attr]
    assert [a["file_name"] for a in comment["attachments"]] == ["a.txt", "b.txt"]


def test_writer_adds_notes_and_tags_and_maps_refusals(writer: ZendeskTicketWriter, stack: LocalStack) -> None:
    tags = ["connect_call", "sentiment_negative"]
    assert writer.add_internal_note_once(JANE_OPEN, "private [n]", marker="[n]", tags=tags) is True
    assert writer.add_internal_note_once(JANE_OPEN, "private [n]", marker="[n]", tags=tags) is False
    writer.add_tags(JANE_OPEN, ["automated_resolution"])
    writer.add_tags(JANE_OPEN, [])
    ticket = stack.zendesk.store.get_ticket(JANE_OPEN)  # type: ignore[union-attr]
    assert {"connect_call", "sentiment_negative", "automated_resolution"} <= set(ticket["tags"])  # type: ignore[index]
    assert writer.has_comment_containing(JANE_OPEN, "[n]")
    with pytest.raises(ZendeskRejected):
        writer.add_internal_note_once(JANE_CLOSED, "closed", marker="[c]", tags=[])
    with pytest.raises(ZendeskNotFound):
        writer.add_internal_note_once(99999, "gone", marker="[g]", tags=[])
    user_id = writer.create_end_user("Caller +1 212-555-0100", "+12125550100")
    assert stack.zendesk.store.get_user(user_id)["phone"] == "+12125550100"  # type: ignore[index,union-attr]


def test_writer_turns_rate_limits_and_broken_bodies_into_typed_errors(
    writer: ZendeskTicketWriter, stack: LocalStack
) -> None:
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig(mode="rate_limit", retry_after=9, count=1)
    with pytest.raises(ZendeskRateLimited) as limited:
        writer.has_comment_containing(JANE_OPEN, "x")
    assert limited.value.retry_after == 9
    stack.zendesk.faults = FaultConfig(mode="malformed", count=3)
    with pytest.raises(ZendeskBadResponse):
        writer.tickets_with_external_id("x")
    with pytest.raises(ZendeskBadResponse):
        writer.upload(NoteAttachment("c.txt", b"x", "text/plain"))
    with pytest.raises(ZendeskBadResponse):
        writer.create_end_user("Caller", "+12125550101")


def test_make_invoke_runs_the_metering_function_on_its_sample_event() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connect_zendesk_local.invoke",
            "resolution_metering",
            "events/resolution_metering/scheduled.json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == {
        "due": 0,
        "automated": 0,
        "disqualified": 0,
        "errors": 0,
        "reasons": {},
    }


# ---------------------------------------------------------------------------------- late commits
# The emulator takes the note's write in, drops the connection (the client gives up on it) and applies
# it only when the test calls apply_late_writes(): up to two minutes late in emulator time, at the
# moment the test picks. Whichever order the late write and the retry take, the contact ends with one.
NOTE_PUT = r"^/api/v2/tickets/\d+\.json$"
TICKET_POST = r"^/api/v2/tickets\.json$"


def fail_first_delivery(stack: LocalStack) -> Any:
    """Deliver the contact's message once (it fails: its write is held) and make it visible again."""
    poller = stack.sqs_poller("post_call_update")
    first = poller.poll_once()
    assert first.failed
    queue = stack.template.physical["PostCallQueue"].ref
    for handle in poller.last_receipt_handles:
        stack.client("sqs").change_message_visibility(
            QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0
        )
    return poller


def test_a_note_zendesk_commits_late_after_the_retry_looked_is_still_one_note(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the note's PUT is held past the client's timeout and applied two minutes late
    assert stack.zendesk is not None
    emulator = stack.zendesk
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)
    emulator.arm_late_writes(LateWriteConfig(path_pattern=NOTE_PUT, hold_seconds=0.05))
    hang_up(stack, contact_id)
    poller = fail_first_delivery(stack)
    assert notes_of(stack, JANE_OPEN, contact_id) == []

    # When the retry has looked for the note (not there yet) and the late write lands right after
    real_look = ZendeskTicketWriter.has_comment_containing
    landed: list[int | None] = []

    def look_then_late_write_lands(self: ZendeskTicketWriter, ticket_id: int, marker: str) -> bool:
        found = real_look(self, ticket_id, marker)
        landed.extend(emulator.apply_late_writes())
        return found

    monkeypatch.setattr(ZendeskTicketWriter, "has_comment_containing", look_then_late_write_lands)
    again = poller.poll_once()

    # Then the retry's write is refused (its stamp is stale), it looks again, and there is one note
    assert again.deleted == 1
    assert landed == [200]
    assert len(notes_of(stack, JANE_OPEN, contact_id)) == 1
    refused = [r for r in emulator.requests_log() if r.method == "PUT" and r.status == 409]
    assert len(refused) == 1


def test_a_note_zendesk_commits_late_after_the_retry_wrote_is_refused(stack: LocalStack) -> None:
    assert stack.zendesk is not None
    contact_id = call(stack)
    choose_ticket(stack, contact_id, JANE_OPEN)
    stack.zendesk.arm_late_writes(LateWriteConfig(path_pattern=NOTE_PUT, hold_seconds=0.05))
    hang_up(stack, contact_id)
    poller = fail_first_delivery(stack)

    assert poller.poll_once().deleted == 1  # the retry finds no note and writes it
    assert stack.zendesk.apply_late_writes() == [409]  # two minutes later the first PUT lands: refused

    assert len(notes_of(stack, JANE_OPEN, contact_id)) == 1


def test_a_ticket_zendesk_creates_late_is_the_contacts_only_ticket(stack: LocalStack) -> None:
    # Given a known caller who chose no ticket, and the ticket creation is held and applied late
    assert stack.zendesk is not None
    contact_id = call(stack)
    stack.zendesk.arm_late_writes(LateWriteConfig(path_pattern=TICKET_POST, hold_seconds=0.05))
    hang_up(stack, contact_id)
    poller = fail_first_delivery(stack)

    # When the retry comes while Zendesk still processes the first request: refused, tried again later
    retry = poller.poll_once()
    assert retry.failed
    assert stack.zendesk.apply_late_writes() == [201]
    for handle in poller.last_receipt_handles:
        stack.client("sqs").change_message_visibility(
            QueueUrl=stack.template.physical["PostCallQueue"].ref, ReceiptHandle=handle, VisibilityTimeout=0
        )

    # Then the next retry finds the late ticket: one ticket, one note
    assert poller.poll_once().deleted == 1
    made = [
        t for t in stack.zendesk.store.list_tickets() if t["external_id"] == f"connect-contact:{contact_id}"
    ]
    assert len(made) == 1
    assert made[0]["comment_count"] == 1
