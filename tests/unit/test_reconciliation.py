"""The reconciliation sweep with fakes: what it sends, what it leaves, what it closes, where it stops."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from connect_zendesk.connect.contact_event import parse_contact_event
from connect_zendesk.reconciliation.adapters import contact_from_description
from connect_zendesk.reconciliation.contact_event import is_reconciled
from connect_zendesk.reconciliation.sweep import Sweep
from connect_zendesk.settings import ConfigurationError, ReconcileSettings
from post_call_doubles import AGENT_ARN, INSTANCE_ARN, QUEUE_ARN, contact_event
from reconciliation_doubles import FakeConnect, FakePendingContacts, RecordingSender, ended_contact

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(hours=2)
QUIET = "2026-11-21T10:05:00.000+00:00"  # last activity well before the 30-minute grace
CONTACT = "5e000000-0000-4000-8000-000000000001"


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def sweep(
    settings: ReconcileSettings | None = None,
) -> tuple[Sweep, FakePendingContacts, FakeConnect, RecordingSender]:
    pending, connect, sender = FakePendingContacts(now=stamp(NOW)), FakeConnect(), RecordingSender()
    return Sweep(settings or ReconcileSettings(), pending, connect, sender), pending, connect, sender


def agent_handled(contact_id: str = CONTACT) -> dict[str, object]:
    started = LONG_AGO - timedelta(minutes=7)
    return {
        "started": started,
        "ended": LONG_AGO,
        "initial_contact_id": contact_id,
        "agent_id": AGENT_ARN.rsplit("/", 1)[-1],
        "connected_to_agent_at": started + timedelta(minutes=1),
        "queue_id": QUEUE_ARN.rsplit("/", 1)[-1],
        "enqueued_at": started,
        "connected_to_system_at": started + timedelta(seconds=2),
    }


# ---------------------------------------------------------------------------------- what is sent
def test_an_ended_contact_whose_event_never_arrived_gets_the_rules_event_marked_reconciled() -> None:
    # Given a contact the flow recorded, which Connect says ended two hours ago after an agent
    run, pending, connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)
    connect.contacts[CONTACT] = ended_contact(CONTACT, **agent_handled())  # type: ignore[arg-type]

    # When the sweep runs
    report = run.run(NOW)

    # Then it sent one event which post_call_update reads exactly as the rule's event for that call
    assert (report.reconciled, report.described) == (1, 1)
    (sent,) = sender.sent
    rules = contact_event(CONTACT, started=LONG_AGO - timedelta(minutes=7), ended=LONG_AGO, agent=True)
    ours, theirs = parse_contact_event(sent), parse_contact_event(rules)
    assert ours.__dict__ | {"event_id": "", "event_time": None, "tags": {}} == theirs.__dict__ | {
        "event_id": "",
        "event_time": None,
        "tags": {},
    }
    assert sent["detail-type"] == rules["detail-type"]
    assert sent["source"] == rules["source"]
    assert (sent["account"], sent["region"]) == (rules["account"], rules["region"])
    # ... marked as reconciled, and JSON as the queue carries it
    assert is_reconciled(json.loads(json.dumps(sent)))
    assert not is_reconciled(rules)
    # ... and the contact waits a grace period before it is looked at again (no second send now)
    assert pending.entries[CONTACT].resends == 1
    assert run.run(NOW).reconciled == 0


def test_describe_contact_answers_become_the_events_agent_queue_and_previous_contact() -> None:
    # Given DescribeContact's response shape (botocore parses the timestamps)
    answer = {
        "Arn": f"{INSTANCE_ARN}/contact/{CONTACT}",
        "Id": CONTACT,
        "InitialContactId": "5e000000-0000-4000-8000-0000000000aa",
        "PreviousContactId": "5e000000-0000-4000-8000-0000000000ab",
        "InitiationMethod": "TRANSFER",
        "Channel": "VOICE",
        "QueueInfo": {"Id": "q-1", "EnqueueTimestamp": LONG_AGO - timedelta(minutes=3)},
        "AgentInfo": {"Id": "a-1", "ConnectedToAgentTimestamp": LONG_AGO - timedelta(minutes=2)},
        "InitiationTimestamp": LONG_AGO - timedelta(minutes=5),
        "DisconnectTimestamp": LONG_AGO,
    }
    run, pending, connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)
    connect.contacts[CONTACT] = contact_from_description(answer, CONTACT)

    run.run(NOW)

    event = parse_contact_event(sender.sent[0])
    assert event.conversation_id == "5e000000-0000-4000-8000-0000000000aa"
    assert event.previous_contact_id == "5e000000-0000-4000-8000-0000000000ab"
    assert (event.initiation_method, event.agent_id, event.queue_id) == ("TRANSFER", "a-1", "q-1")
    assert event.agent_connected is True
    assert event.disconnected_at == LONG_AGO
    assert sender.sent[0]["resources"] == [answer["Arn"], INSTANCE_ARN]


# ---------------------------------------------------------------------------------- what is left
def test_a_live_contact_is_left_for_the_next_run() -> None:
    run, pending, connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)
    connect.contacts[CONTACT] = ended_contact(CONTACT, started=LONG_AGO, ended=None)

    report = run.run(NOW)

    assert (report.live, report.reconciled, sender.sent) == (1, 0, [])
    assert CONTACT in pending.entries
    assert CONTACT not in pending.closed


def test_a_contact_that_ended_within_the_grace_is_left_for_its_real_event() -> None:
    run, pending, connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)
    connect.contacts[CONTACT] = ended_contact(CONTACT, started=LONG_AGO, ended=NOW - timedelta(minutes=29))

    assert run.run(NOW).live == 1
    assert sender.sent == []


def test_contacts_active_within_the_grace_are_not_even_read() -> None:
    run, pending, connect, _sender = sweep()
    pending.add(CONTACT, stamp(NOW - timedelta(minutes=29)), instance_arn=INSTANCE_ARN)

    assert run.run(NOW).examined == 0
    assert connect.described == []


# ---------------------------------------------------------------------------------- what is closed
def test_a_contact_connect_no_longer_knows_is_closed_with_a_logged_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    run, pending, _connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)

    report = run.run(NOW)

    assert (report.unreconcilable, report.reasons) == (1, {"contact_not_found": 1})
    assert pending.closed == {CONTACT: "contact_not_found"}
    assert sender.sent == []
    closing = [r for r in caplog.records if r.getMessage() == "contact closed without a post-call update"]
    assert [(r.contact_id, r.reason, r.levelname) for r in closing] == [  # type: ignore[attr-defined]
        (CONTACT, "contact_not_found", "WARNING")
    ]


def test_contacts_post_call_already_handled_leave_the_index_without_a_connect_call() -> None:
    run, pending, connect, _sender = sweep()
    pending.add(CONTACT, QUIET, post_call_status="DONE")
    pending.add("5e000000-0000-4000-8000-000000000002", QUIET, outcome="escalated")

    report = run.run(NOW)

    assert (report.already_handled, connect.described) == (2, [])
    assert set(pending.closed.values()) == {"post_call_started"}


def test_after_its_resends_a_contact_without_an_outcome_is_closed_as_unreconcilable() -> None:
    run, pending, connect, _sender = sweep(ReconcileSettings(max_resends=2))
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN, resends=2)

    report = run.run(NOW)

    assert report.reasons == {"no_outcome_after_resends": 1}
    assert connect.described == []


def test_a_contact_without_an_instance_to_ask_is_closed_and_the_configured_instance_is_used_otherwise() -> (
    None
):
    run, pending, connect, _sender = sweep()
    pending.add(CONTACT, QUIET)
    assert run.run(NOW).reasons == {"instance_unknown": 1}

    run, pending, connect, _sender = sweep(ReconcileSettings(connect_instance_arn=INSTANCE_ARN))
    pending.add(CONTACT, QUIET)
    connect.contacts[CONTACT] = ended_contact(CONTACT, started=LONG_AGO, ended=LONG_AGO)
    assert run.run(NOW).reconciled == 1
    assert connect.described == [(INSTANCE_ARN, CONTACT)]


def test_task_contacts_are_closed_without_a_message_post_call_writes_no_note_for_them() -> None:
    run, pending, connect, sender = sweep()
    pending.add(CONTACT, QUIET, instance_arn=INSTANCE_ARN)
    connect.contacts[CONTACT] = ended_contact(CONTACT, started=LONG_AGO, ended=LONG_AGO, channel="TASK")

    report = run.run(NOW)

    assert (report.closed, report.unreconcilable, sender.sent) == (1, 0, [])
    assert pending.closed == {CONTACT: "channel_task"}


# ---------------------------------------------------------------------------------- bounded cost
def ids(count: int) -> list[str]:
    return [f"5e000000-0000-4000-8000-{n:012d}" for n in range(count)]


def test_a_run_asks_connect_about_at_most_its_cap_and_the_next_resumes_after_the_cursor() -> None:
    # Given five quiet pending contacts that are all still live, and a cap of two per run
    run, pending, connect, _sender = sweep(ReconcileSettings(max_contacts_per_run=2))
    for n, contact_id in enumerate(ids(5)):
        pending.add(contact_id, stamp(LONG_AGO + timedelta(seconds=n)), instance_arn=INSTANCE_ARN)
        connect.contacts[contact_id] = ended_contact(contact_id, started=LONG_AGO, ended=None)

    # When the sweep runs four times
    asked = []
    for _ in range(4):
        connect.described.clear()
        run.run(NOW)
        asked.append([contact_id for _instance, contact_id in connect.described])

    # Then each run asked about the next ones, never more than two; the third reached the end, so the
    # fourth started from the oldest again
    assert asked == [ids(5)[0:2], ids(5)[2:4], ids(5)[4:5], ids(5)[0:2]]


def test_contacts_sharing_a_timestamp_are_each_examined_once_across_runs() -> None:
    run, pending, connect, _sender = sweep(ReconcileSettings(max_contacts_per_run=1))
    for contact_id in ids(3):
        pending.add(contact_id, QUIET, instance_arn=INSTANCE_ARN)
        connect.contacts[contact_id] = ended_contact(contact_id, started=LONG_AGO, ended=None)

    for _ in range(3):
        run.run(NOW)

    assert [c for _i, c in connect.described] == ids(3)


def test_throttling_ends_the_run_and_the_next_resumes_at_the_throttled_contact() -> None:
    run, pending, connect, sender = sweep()
    for contact_id in ids(3):
        pending.add(contact_id, QUIET, instance_arn=INSTANCE_ARN)
        connect.contacts[contact_id] = ended_contact(contact_id, started=LONG_AGO, ended=LONG_AGO)
    connect.throttle_on = {ids(3)[1]}

    first = run.run(NOW)
    assert (first.throttled, first.reconciled) == (True, 1)
    second = run.run(NOW)

    assert second.reconciled == 2
    assert [parse_contact_event(e).contact_id for e in sender.sent] == ids(3)


def test_a_run_reads_a_bounded_number_of_index_entries() -> None:
    run, pending, connect, _sender = sweep(ReconcileSettings(max_contacts_per_run=1))
    for contact_id in ids(30):
        pending.add(contact_id, QUIET, post_call_status="DONE")

    report = run.run(NOW)

    assert report.examined == 10  # ENTRIES_PER_DESCRIBE x the cap, although no Connect call was made
    assert connect.described == []


# ---------------------------------------------------------------------------------- settings
def test_reconciliation_settings_come_from_the_environment_and_are_checked() -> None:
    settings = ReconcileSettings.from_env(
        {
            "RECONCILE_GRACE_MINUTES": "45",
            "RECONCILE_MAX_CONTACTS_PER_RUN": "7",
            "CONNECT_INSTANCE_ARN": INSTANCE_ARN,
        }
    )
    assert (settings.grace_minutes, settings.max_contacts_per_run) == (45, 7)
    assert ReconcileSettings.from_env({}) == ReconcileSettings()
    with pytest.raises(ConfigurationError):
        ReconcileSettings.from_env({"RECONCILE_GRACE_MINUTES": "1"})
    with pytest.raises(ConfigurationError):
        ReconcileSettings.from_env({"CONNECT_INSTANCE_ARN": "instance/abc"})
