"""Lost contact events on the local stack: the Connect emulator answers DescribeContact over HTTP, the
reconciliation function (its clock an hour ahead) sends the post-call queue the event EventBridge
never delivered, and the Zendesk emulator's ticket gets each contact's note exactly once."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from connect_zendesk_local.connect_events import (
    contact_flow_event,
    described_contact,
    disconnected_event,
    load_event,
)
from connect_zendesk_local.stack import LocalStack

pytestmark = pytest.mark.integration

JANE_OPEN = 1001
HOUR = 3600


def call(stack: LocalStack) -> str:
    """Jane's inbound flow (caller and ticket lookups), her open ticket chosen; returns the contact id."""
    event = contact_flow_event("+14155552671")
    stack.invoke("caller_lookup", event)
    stack.invoke("ticket_lookup", event)
    contact_id = str(event["Details"]["ContactData"]["ContactId"])
    stack.client("dynamodb").update_item(
        TableName=stack.template.physical["ContactsTable"].ref,
        Key={"contactId": {"S": contact_id}},
        UpdateExpression="SET selectedTicketId = :t",
        ExpressionAttributeValues={":t": {"N": str(JANE_OPEN)}},
    )
    return contact_id


def ended_in_connect(stack: LocalStack, contact_id: str, ended: datetime) -> None:
    """What Connect knows about the call: it ended at `ended` (the emulator's contact state)."""
    assert stack.connect is not None
    instance_id, contact = described_contact(contact_id, started=ended - timedelta(minutes=5), ended=ended)
    stack.connect.put_contact(instance_id, contact)


def deliver_event(stack: LocalStack, contact_id: str, ended: datetime) -> None:
    detail, resources = disconnected_event(contact_id, started=ended - timedelta(minutes=5), ended=ended)
    stack.put_contact_event(detail, resources)


@contextmanager
def clock_ahead(stack: LocalStack, seconds: float) -> Iterator[None]:
    """The reconciliation function's clock moved forward, as the demo moves the metering's."""
    # Imported here, as stack.py does: the package reads its environment when first imported.
    import time

    from connect_zendesk.call_services import CallServices
    from connect_zendesk.services import use_services
    from connect_zendesk.settings import Settings

    settings = Settings.from_env(stack.template.function("post_call_reconciliation").environment)
    with use_services(CallServices(settings, clock=lambda: time.time() + seconds)):
        yield


def sweep(stack: LocalStack, *, hours_later: float = 1) -> dict[str, Any]:
    with clock_ahead(stack, hours_later * HOUR):
        report: dict[str, Any] = stack.invoke(
            "post_call_reconciliation", load_event("post_call_reconciliation/scheduled.json")
        )
    return report


def notes_of(stack: LocalStack, contact_id: str) -> list[dict[str, Any]]:
    assert stack.zendesk is not None
    marker = f"[connect-contact:{contact_id}]"
    return [c for c in stack.zendesk.store.get_comments(JANE_OPEN) if marker in (c["body"] or "")]


def described(stack: LocalStack) -> list[str]:
    assert stack.connect is not None
    return [r.params["ContactId"] for r in stack.connect.requests_log() if r.operation == "DescribeContact"]


# ---------------------------------------------------------------------------------- lost events
def test_the_one_contact_whose_event_was_dropped_gets_its_note_through_the_sweep(stack: LocalStack) -> None:
    # Given five calls that ended, and Connect's DISCONNECTED event of the third never delivered
    ended = datetime.now(UTC)
    contacts = [call(stack) for _ in range(5)]
    dropped = contacts[2]
    for contact_id in contacts:
        ended_in_connect(stack, contact_id, ended)
        if contact_id != dropped:
            deliver_event(stack, contact_id, ended)
    stack.sqs_poller("post_call_update").drain()
    assert notes_of(stack, dropped) == []

    # When the scheduled sweep runs an hour later, and the post-call queue is consumed
    report = sweep(stack)
    results = stack.sqs_poller("post_call_update").drain()

    # Then Connect was asked about the dropped contact only (the others left the index), its note
    # arrived, and every contact has exactly one note
    assert (report["reconciled"], report["unreconcilable"]) == (1, 0)
    assert described(stack) == [dropped]
    assert sum(r.deleted for r in results) == 1
    assert {contact_id: len(notes_of(stack, contact_id)) for contact_id in contacts} == dict.fromkeys(
        contacts, 1
    )
    # ... and the next run finds nothing left to do
    assert sweep(stack)["examined"] == 0


def test_the_real_event_delivered_late_after_the_sweep_still_leaves_one_note(stack: LocalStack) -> None:
    # Given a call whose event was late, reconciled and noted
    ended = datetime.now(UTC)
    contact_id = call(stack)
    ended_in_connect(stack, contact_id, ended)
    assert sweep(stack)["reconciled"] == 1
    stack.sqs_poller("post_call_update").drain()
    assert len(notes_of(stack, contact_id)) == 1

    # When the real DISCONNECTED event finally arrives through EventBridge
    deliver_event(stack, contact_id, ended)
    (result,) = stack.sqs_poller("post_call_update").drain()

    # Then it is consumed and the ticket still has one note of the contact
    assert (result.received, result.deleted) == (1, 1)
    assert len(notes_of(stack, contact_id)) == 1


def test_live_contacts_wait_and_contacts_connect_does_not_know_are_closed(stack: LocalStack) -> None:
    assert stack.connect is not None
    now = datetime.now(UTC)
    live, _unknown = call(stack), call(stack)
    instance_id, contact = described_contact(live, started=now, ended=None)
    stack.connect.put_contact(instance_id, contact)

    report = sweep(stack)

    assert (report["live"], report["unreconcilable"], report["reasons"]) == (1, 1, {"contact_not_found": 1})
    assert stack.sqs_poller("post_call_update").drain() == []
    # The live one is asked about again next run; the unknown one is not
    stack.connect.clear_requests_log()
    sweep(stack)
    assert described(stack) == [live]


def test_a_throttled_run_stops_and_the_next_one_resumes(stack: LocalStack) -> None:
    assert stack.connect is not None
    ended = datetime.now(UTC)
    contacts = [call(stack) for _ in range(2)]
    for contact_id in contacts:
        ended_in_connect(stack, contact_id, ended)
    stack.connect.faults.throttle_count = 2  # the first request and its one retry

    first = sweep(stack)
    second = sweep(stack)
    stack.sqs_poller("post_call_update").drain()

    assert (first["throttled"], first["reconciled"]) == (True, 0)
    assert (second["throttled"], second["reconciled"]) == (False, 2)
    assert [len(notes_of(stack, contact_id)) for contact_id in contacts] == [1, 1]


# ---------------------------------------------------------------------------------- the emulator
def test_the_connect_emulator_speaks_describe_contacts_rest_json_to_boto3(stack: LocalStack) -> None:
    assert stack.connect is not None
    ended = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    instance_id, contact = described_contact("c-1", started=ended - timedelta(minutes=5), ended=ended)
    stack.connect.put_contact(instance_id, contact)
    client = boto3.client(
        "connect",
        endpoint_url=stack.connect.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

    answer = client.describe_contact(InstanceId=instance_id, ContactId="c-1")["Contact"]
    assert answer["DisconnectTimestamp"] == ended
    assert answer["AgentInfo"]["Id"] == "9a1c0e7b-0000-4000-8000-000000000002"
    with pytest.raises(ClientError) as missing:
        client.describe_contact(InstanceId=instance_id, ContactId="c-2")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    with urllib.request.urlopen(f"{stack.connect.url}/__emulator/requests") as page:  # noqa: S310 - loopback
        logged = json.loads(page.read())["requests"]
    assert [(r["operation"], r["status"], r["params"]["ContactId"]) for r in logged] == [
        ("DescribeContact", 200, "c-1"),
        ("DescribeContact", 404, "c-2"),
    ]
