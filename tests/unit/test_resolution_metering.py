"""Automated-resolution metering: window edges (71 h vs 73 h), escalation, one count per conversation,
re-runs, and the verdict reaching the contact, the analytics document and the ticket."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from connect_zendesk.domain.resolution_metering import run_metering
from connect_zendesk.errors import ZendeskUnavailable
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.functions import load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from post_call_doubles import NOW, contact_event
from post_call_rig import PostCallRig

JANE_E164 = "+14155552671"
ENDED = NOW - timedelta(minutes=1)
CANDIDATE = "9b000000-0000-4000-8000-000000000001"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def bot_resolved_call(
    rig: PostCallRig,
    contact_id: str = CANDIDATE,
    *,
    caller: str = JANE_E164,
    ended: datetime = ENDED,
    initial_contact_id: str | None = None,
    ticket: int = 1001,
) -> None:
    """A call the bot resolved (intent fulfilled, no handoff, no agent), processed by post_call_update."""
    attributes: dict[str, Any] = {
        "createdAt": stamp(ended - timedelta(minutes=4)),
        "zendeskUserId": 1001,
        "selectedTicketId": ticket,
        "fulfilledIntents": {"CheckTicketStatus"},
    }
    if caller:
        attributes["callerE164"] = caller
    rig.seed_contact(contact_id, **attributes)
    rig.send(
        contact_event(
            contact_id,
            queue=False,
            started=ended - timedelta(minutes=4),
            ended=ended,
            initial_contact_id=initial_contact_id,
        )
    )
    rig.deliver()
    assert rig.contact(contact_id)["outcome"] == "bot_resolved_candidate"


def contact_from(rig: PostCallRig, contact_id: str, at: datetime, **attributes: Any) -> None:
    """Another contact of the same caller, as the caller lookup records it."""
    rig.seed_contact(contact_id, callerE164=JANE_E164, createdAt=stamp(at), **attributes)


def meter_at(rig: PostCallRig, moment: datetime) -> dict[str, Any]:
    rig.now = moment
    return run_metering(rig.services)


def test_a_repeat_contact_71_hours_later_disqualifies_the_candidate(rig: PostCallRig) -> None:
    # Given a bot-resolved call, and the same caller back 71 hours after it ended
    bot_resolved_call(rig)
    contact_from(rig, "9b000000-0000-4000-8000-000000000002", ENDED + timedelta(hours=71))

    # When metering runs once the 72-hour window has passed
    report = meter_at(rig, ENDED + timedelta(hours=72, minutes=5))

    # Then it is not an automated resolution
    assert report["disqualified"] == 1
    assert report["automated"] == 0
    assert rig.contact(CANDIDATE)["resolution"]["verdict"] == "disqualified"
    assert rig.contact(CANDIDATE)["resolution"]["reason"] == "repeat_contact"
    assert "automated_resolution" not in rig.tickets.tickets[1001].tags


def test_a_repeat_contact_73_hours_later_does_not(rig: PostCallRig) -> None:
    # Given the caller came back only 73 hours after the call (metering ran late, after that)
    bot_resolved_call(rig)
    contact_from(rig, "9b000000-0000-4000-8000-000000000003", ENDED + timedelta(hours=73))

    report = meter_at(rig, ENDED + timedelta(hours=74))

    # Then the call counts as an automated resolution, everywhere
    assert report == {
        "due": 1,
        "automated": 1,
        "disqualified": 0,
        "errors": 0,
        "reasons": {"no_repeat_contact_within_window": 1},
    }
    resolution = rig.contact(CANDIDATE)["resolution"]
    assert resolution["verdict"] == "automated"
    document = rig.analytics(CANDIDATE)
    assert document is not None
    assert document["resolution"] == {
        "verdict": "automated",
        "reason": "no_repeat_contact_within_window",
        "decided_at": resolution["at"],
    }
    assert "automated_resolution" in rig.tickets.tickets[1001].tags
    assert rig.services.resolution_queue.due(ENDED + timedelta(days=30)) == []


def test_nothing_is_decided_before_the_window_has_passed(rig: PostCallRig) -> None:
    bot_resolved_call(rig)
    assert meter_at(rig, ENDED + timedelta(hours=71))["due"] == 0
    assert "resolution" not in rig.contact(CANDIDATE)
    assert meter_at(rig, ENDED + timedelta(hours=72))["automated"] == 1


def test_the_window_is_a_parameter(rig: PostCallRig) -> None:
    rig.configure_metering(window_hours=24)
    bot_resolved_call(rig)
    assert meter_at(rig, ENDED + timedelta(hours=25))["automated"] == 1


def test_an_escalation_in_the_conversation_disqualifies_it(rig: PostCallRig) -> None:
    # Given the bot resolved one contact, but the conversation was transferred to an agent
    bot_resolved_call(rig)
    contact_from(
        rig,
        "9b000000-0000-4000-8000-000000000004",
        ENDED - timedelta(minutes=2),
        initialContactId=CANDIDATE,
        agentConnected=True,
        outcome="escalated",
    )
    report = meter_at(rig, ENDED + timedelta(hours=73))
    assert report["reasons"] == {"escalated": 1}


def test_an_agent_recorded_later_on_the_candidate_disqualifies_it(rig: PostCallRig) -> None:
    bot_resolved_call(rig)
    rig.client("dynamodb").update_item(
        TableName=rig.table("ContactsTable"),
        Key={"contactId": {"S": CANDIDATE}},
        UpdateExpression="SET agentConnected = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )
    assert meter_at(rig, ENDED + timedelta(hours=73))["reasons"] == {"escalated": 1}


def test_the_same_conversation_counts_once_and_is_not_its_own_repeat(rig: PostCallRig) -> None:
    # Given a conversation of two bot-resolved contacts (a transfer between flows)
    bot_resolved_call(rig, ended=ENDED - timedelta(minutes=3))
    second = "9b000000-0000-4000-8000-000000000005"
    bot_resolved_call(rig, second, ended=ENDED, initial_contact_id=CANDIDATE)

    # When metering runs after the window of the later one
    rig.now = ENDED + timedelta(hours=73)
    (item,) = rig.services.resolution_queue.due(rig.now)
    assert item.contact_ids == tuple(sorted((CANDIDATE, second)))
    assert item.due_at == ENDED + timedelta(hours=72)
    report = run_metering(rig.services)

    # Then one automated resolution, recorded on both contacts
    assert report["due"] == 1
    assert report["automated"] == 1
    assert rig.contact(CANDIDATE)["resolution"] == rig.contact(second)["resolution"]


def test_an_unknown_caller_cannot_be_checked_for_repeats(rig: PostCallRig) -> None:
    bot_resolved_call(rig, caller="")
    assert meter_at(rig, ENDED + timedelta(hours=73))["reasons"] == {"caller_unknown": 1}


def test_a_failing_conversation_stays_queued_and_the_others_are_metered(rig: PostCallRig) -> None:
    bot_resolved_call(rig)
    other = "9b000000-0000-4000-8000-000000000006"
    bot_resolved_call(rig, other, caller="+14155550134", ticket=1001)
    rig.tickets.fail["add_tags"] = [ZendeskUnavailable("PUT tags answered 503")]
    first = meter_at(rig, ENDED + timedelta(hours=73))
    assert (first["due"], first["automated"], first["errors"]) == (2, 1, 1)
    second = run_metering(rig.services)
    assert (second["due"], second["automated"], second["errors"]) == (1, 1, 0)


def test_the_handler_emits_each_verdict_once(rig: PostCallRig, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a candidate metered by the scheduled function
    bot_resolved_call(rig)
    rig.now = ENDED + timedelta(hours=73)
    handler = load_handler(rig.template.function("resolution_metering"))
    capsys.readouterr()
    event = json.loads((PROJECT_ROOT / "events/resolution_metering/scheduled.json").read_text())
    assert handler(event, LocalLambdaContext("ResolutionMeteringFunction"))["automated"] == 1

    # When a re-run finds the verdict already stored (a crash before the queue item was removed)
    rig.services.resolution_queue.enqueue(
        CANDIDATE,
        contact_id=CANDIDATE,
        caller_e164=JANE_E164,
        ended_at=ENDED,
        due_at=ENDED + timedelta(hours=72),
    )
    assert handler(event, LocalLambdaContext("ResolutionMeteringFunction"))["automated"] == 1

    # Then the metric counted the automated resolution once, with the step dimension
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    counts = [e["AutomatedResolutions"] for e in emitted if "AutomatedResolutions" in e]
    assert counts == [[1.0]]
    assert all(e["step"] == "resolution_metering" for e in emitted)


def test_a_misconfigured_metering_function_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, rig: PostCallRig
) -> None:
    from connect_zendesk.settings import get_settings
    from connect_zendesk_local.functions import forget_loaded_handlers

    monkeypatch.setenv("RESOLUTION_WINDOW_HOURS", "forever")
    get_settings.cache_clear()
    forget_loaded_handlers()
    handler = load_handler(rig.template.function("resolution_metering"))
    with pytest.raises(ValueError, match="misconfigured"):
        handler({}, LocalLambdaContext("ResolutionMeteringFunction"))
    forget_loaded_handlers()
