"""The reconciliation sweep on moto: the pending index the flow functions feed and post_call_update
empties, the sweep's reconciled message through the real post-call queue and function, and exactly
one note whatever the order of the reconciled and the late real event."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.contacts_table import DynamoContactLog
from connect_zendesk.call_services import CallServices
from connect_zendesk.observability import metrics
from connect_zendesk.reconciliation.adapters import DynamoPendingContacts
from connect_zendesk.reconciliation.ports import Cursor
from connect_zendesk.reconciliation.sweep import run_reconciliation
from connect_zendesk.services import use_services
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.functions import load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from post_call_doubles import INSTANCE_ARN, NOW, contact_event
from post_call_rig import PostCallRig
from reconciliation_doubles import FakeConnect, ended_contact

CONTACT = "5e000000-0000-4000-8000-00000000c001"
OTHER = "5e000000-0000-4000-8000-00000000c002"
STARTED = NOW - timedelta(hours=2)
ENDED = STARTED + timedelta(minutes=6)
FAR_FUTURE = "2999-01-01T00:00:00.000+00:00"


def record_by_the_flow(rig: PostCallRig, contact_id: str, at: datetime) -> None:
    """What caller_lookup writes for Jane's call (instance from the flow event), then her ticket."""
    log = DynamoContactLog(rig.table("ContactsTable"), 90, clock=at.timestamp)
    log.record_caller(
        contact_id,
        caller_e164="+14155552671",
        zendesk_user_id=1001,
        match_count=1,
        channel="VOICE",
        language="en-US",
        instance_arn=INSTANCE_ARN,
        lookup_result="Success",
    )
    log.record_offered_tickets(contact_id, zendesk_user_id=1001, ticket_ids=[1001])
    rig.client("dynamodb").update_item(
        TableName=rig.table("ContactsTable"),
        Key={"contactId": {"S": contact_id}},
        UpdateExpression="SET selectedTicketId = :t",
        ExpressionAttributeValues={":t": {"N": "1001"}},
    )


def pending_ids(rig: PostCallRig) -> list[str]:
    index = DynamoPendingContacts(rig.table("ContactsTable"), clock=NOW.timestamp)
    return [entry.contact_id for entry in index.pending(Cursor(), FAR_FUTURE, 100)]


def sweep_services(rig: PostCallRig, connect: FakeConnect) -> CallServices:
    """The post-call rig's services with a fake Connect: the sweep's clock is the rig's."""
    return CallServices(
        rig.settings,
        zendesk=rig.zendesk,
        zendesk_tickets=rig.tickets,
        text_analyzer=rig.analyzer,
        message_queue=rig.queue,
        connect_contacts=connect,
        clock=lambda: rig.now.timestamp(),  # noqa: PLW0108 - the test moves `now`
    )


def connect_knows_it_ended(contact_id: str = CONTACT) -> FakeConnect:
    connect = FakeConnect()
    connect.contacts[contact_id] = ended_contact(contact_id, started=STARTED, ended=ENDED)
    return connect


def notes(rig: PostCallRig, contact_id: str = CONTACT) -> list[dict[str, Any]]:
    return [c for c in rig.tickets.tickets[1001].comments if f"[connect-contact:{contact_id}]" in c["body"]]


# ---------------------------------------------------------------------------------- the index
def test_flow_functions_mark_contacts_pending_and_post_call_update_takes_them_out(rig: PostCallRig) -> None:
    # Given two calls the flow functions recorded
    record_by_the_flow(rig, CONTACT, STARTED)
    record_by_the_flow(rig, OTHER, STARTED + timedelta(seconds=1))
    assert pending_ids(rig) == [CONTACT, OTHER]  # oldest activity first

    # When the real DISCONNECTED event of one of them is processed
    rig.send(contact_event(CONTACT, started=STARTED, ended=ENDED))
    rig.deliver()

    # Then only the other one is still pending
    assert rig.contact(CONTACT)["postCall"]["status"] == "DONE"
    assert pending_ids(rig) == [OTHER]


def test_the_sweep_queries_the_index_and_never_scans_the_table(rig: PostCallRig) -> None:
    record_by_the_flow(rig, CONTACT, STARTED)
    calls: Counter[str] = Counter()
    dynamodb = aws_client("dynamodb", "batch")
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))

    report = run_reconciliation(sweep_services(rig, connect_knows_it_ended()))

    assert report["reconciled"] == 1
    assert calls["Query"] >= 1
    assert calls["Scan"] == 0


# ---------------------------------------------------------------------------------- exactly once
def test_a_lost_event_is_reconciled_into_one_note_and_the_late_real_event_adds_none(rig: PostCallRig) -> None:
    # Given Jane's call, recorded by the flow, whose DISCONNECTED event never arrived
    record_by_the_flow(rig, CONTACT, STARTED)

    # When the sweep runs two hours later and the post-call function consumes the queue
    report = run_reconciliation(sweep_services(rig, connect_knows_it_ended()))
    rig.deliver()

    # Then the ticket has the contact's note, written from the reconciled event
    assert report["reconciled"] == 1
    (note,) = notes(rig)
    assert note["public"] is False
    assert "Outcome: ended without an agent" in note["body"]  # as Connect described the contact
    assert pending_ids(rig) == []

    # When the real event arrives late after all
    rig.send(contact_event(CONTACT, started=STARTED, ended=ENDED))
    results = rig.deliver()

    # Then it is consumed without a second note
    assert sum(r.deleted for r in results) == 1
    assert len(notes(rig)) == 1


def test_a_real_event_arriving_right_after_the_reconciled_one_is_still_one_note(rig: PostCallRig) -> None:
    record_by_the_flow(rig, CONTACT, STARTED)
    run_reconciliation(sweep_services(rig, connect_knows_it_ended()))
    rig.send(contact_event(CONTACT, started=STARTED, ended=ENDED))  # both wait in the queue

    rig.deliver()

    assert len(notes(rig)) == 1
    assert rig.queued() == 0


def test_a_contact_whose_real_event_was_processed_is_not_reconciled(rig: PostCallRig) -> None:
    record_by_the_flow(rig, CONTACT, STARTED)
    rig.send(contact_event(CONTACT, started=STARTED, ended=ENDED))
    rig.deliver()
    connect = connect_knows_it_ended()

    report = run_reconciliation(sweep_services(rig, connect))

    assert (report["reconciled"], report["examined"], connect.described) == (0, 0, [])
    assert len(notes(rig)) == 1


# ---------------------------------------------------------------------------------- the function
def test_the_scheduled_function_counts_reconciled_contacts_and_the_post_call_step_the_marker(
    rig: PostCallRig, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a lost event, the template's reconciliation handler, and its scheduled event
    record_by_the_flow(rig, CONTACT, STARTED)
    handler = load_handler(rig.template.function("post_call_reconciliation"))
    event = json.loads((PROJECT_ROOT / "events/post_call_reconciliation/scheduled.json").read_text())
    metrics.clear_metrics()  # earlier tests ran the sweep outside a handler, which never flushed
    capsys.readouterr()

    # When it runs, and then post_call_update consumes the reconciled message
    with use_services(sweep_services(rig, connect_knows_it_ended())):
        report = handler(event, LocalLambdaContext("PostCallReconciliationFunction"))
    rig.deliver()

    # Then both steps emitted their metrics: one contact reconciled, none unreconcilable
    assert report["reconciled"] == 1
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    sweep_metrics = [e for e in emitted if e.get("step") == "post_call_reconciliation"]
    assert [(e["ContactsReconciled"], e["ContactsUnreconcilable"]) for e in sweep_metrics] == [([1.0], [0.0])]
    assert [e["PostCallReconciledEvent"] for e in emitted if "PostCallReconciledEvent" in e] == [[1.0]]
