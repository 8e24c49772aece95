"""Contact events (EventBridge) read tolerantly: both key casings, missing fields, placeholders, and
every public sample (../shared/reference-events) and our own (events/post_call_update) accepted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.connect.contact_event import InvalidContactEvent, parse_contact_event
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from post_call_doubles import contact_event, sqs_event
from post_call_rig import PostCallRig
from support import reference_events

REFERENCE_CONTACT_EVENTS = reference_events("connect_contact_event_*")
SAMPLES = sorted((PROJECT_ROOT / "events" / "post_call_update").glob("*.json"))


def load_jsonc(path: Path) -> Any:
    """JSON as AWS documentation samples carry it: trailing commas, and one with a stray closing brace."""
    text = re.sub(r",(\s*[}\]])", r"\1", path.read_text(encoding="utf-8"))
    value, _ = json.JSONDecoder().raw_decode(text.strip())
    return value


def test_the_documented_envelope_is_read_completely() -> None:
    event = parse_contact_event(contact_event("c-1", agent=True, initial_contact_id="c-0"))
    assert event.contact_id == "c-1"
    assert event.conversation_id == "c-0"
    assert (event.event_type, event.channel, event.initiation_method) == ("DISCONNECTED", "VOICE", "INBOUND")
    assert event.queue_id == "5c5b7e2a-0000-4000-8000-000000000001"
    assert event.agent_id == "9a1c0e7b-0000-4000-8000-000000000002"
    assert event.instance_id == "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    assert event.agent_connected is True
    assert event.disconnected_at == datetime(2026, 11, 21, 11, 59, tzinfo=UTC)
    assert event.event_time == datetime(2026, 11, 21, 11, 59, tzinfo=UTC)


def test_capitalised_keys_and_voice_in_title_case_are_the_same_event() -> None:
    event = parse_contact_event(
        {
            "detail-type": "Amazon Connect Contact Event",
            "Detail": {
                "EventType": "disconnected",
                "ContactId": "c-2",
                "Channel": "Voice",
                "AgentInfo": {"AgentArn": "arn", "ConnectedToAgentTimestamp": "2021-08-04T17:29:09.000Z"},
            },
        }
    )
    assert (event.event_type, event.channel, event.agent_connected) == ("DISCONNECTED", "VOICE", True)
    assert event.agent_id == ""  # "arn" is a documentation placeholder


def test_a_minimal_event_has_no_times_and_no_agent() -> None:
    event = parse_contact_event({"detail": {"contactId": "c-3", "eventType": "DISCONNECTED"}})
    assert event.initiated_at is event.disconnected_at is event.event_time is None
    assert event.agent_connected is False
    assert event.channel == ""


def test_placeholder_and_garbage_timestamps_mean_not_happened() -> None:
    event = parse_contact_event(
        {
            "detail": {
                "contactId": "c-4",
                "agentInfo": {
                    "agentArn": "arn:x/agent/a1",
                    "connectedToAgentTimestamp": "1970-01-01T00:00:00.001Z",
                },
                "initiationTimestamp": "yesterday",
                "disconnectTimestamp": 1795291140000,
                "connectedToSystemTimestamp": 10**20,
            }
        }
    )
    assert event.agent_connected is False  # agent info with a placeholder time: never connected
    assert event.initiated_at is None
    assert event.connected_to_system_at is None
    assert event.disconnected_at == datetime.fromtimestamp(1795291140, UTC)


def test_agent_info_without_any_time_counts_as_connected() -> None:
    event = parse_contact_event({"detail": {"contactId": "c-5", "agentInfo": {"agentArn": "arn:x/agent/a1"}}})
    assert event.agent_connected is True


def test_a_detail_without_its_envelope_is_accepted() -> None:
    event = parse_contact_event({"contactId": "c-6", "eventType": "CONNECTED_TO_AGENT"})
    assert (event.contact_id, event.event_type, event.event_id) == ("c-6", "CONNECTED_TO_AGENT", "")


def test_an_unusable_contact_id_is_empty_for_the_caller_to_judge() -> None:
    assert parse_contact_event({"detail": {"contactId": "`the contact ID`"}}).contact_id == ""
    assert parse_contact_event({"detail": {"contactId": 42}}).contact_id == ""


@pytest.mark.parametrize(
    "event",
    [[], "text", {"detail-type": "AWS API Call via CloudTrail", "detail": {}}, {"source": "aws.connect"}],
)
def test_what_is_not_a_contact_event_is_rejected(event: Any) -> None:
    with pytest.raises(InvalidContactEvent):
        parse_contact_event(event)


@pytest.mark.parametrize("path", REFERENCE_CONTACT_EVENTS, ids=lambda p: p.name)
def test_every_reference_contact_event_parses(path: Path) -> None:
    event = parse_contact_event(load_jsonc(path))
    assert event.event_type in {"DISCONNECTED", "CONNECTED_TO_AGENT", "CONTACT_DATA_UPDATED"}


@pytest.mark.parametrize("path", REFERENCE_CONTACT_EVENTS, ids=lambda p: p.name)
def test_every_reference_contact_event_gets_a_valid_answer_from_the_function(
    path: Path, rig: PostCallRig
) -> None:
    # Given a public sample as the body of an SQS message, When the function gets it
    response = rig.handler(sqs_event(load_jsonc(path)))
    # Then it answers the partial-batch contract without failing the message
    assert response == {"batchItemFailures": []}
    event = parse_contact_event(load_jsonc(path))
    if event.event_type == "DISCONNECTED":
        # nobody is known for these contacts: their analytics are recorded, no ticket is made up
        assert rig.contact(event.contact_id)["postCall"]["status"] == "SKIPPED"
        assert rig.analytics(event.contact_id) is not None
    assert rig.tickets.writes == 0


def test_the_minimal_real_disconnected_event_is_processed(rig: PostCallRig) -> None:
    paths = [p for p in REFERENCE_CONTACT_EVENTS if "minimal_real" in p.name]
    if not paths:
        pytest.skip("../shared/reference-events is not beside the checkout")
    body = load_jsonc(paths[0])
    contact_id = body["detail"]["contactId"]
    rig.seed_contact(
        contact_id,
        createdAt="2021-08-29T18:35:02.000+00:00",  # when the caller lookup ran
        callerE164="+14155552671",
        zendeskUserId=1001,
        selectedTicketId=1001,
    )
    assert rig.handler(sqs_event(body)) == {"batchItemFailures": []}
    (note,) = rig.tickets.notes(1001)
    # The event has no timestamps: the start comes from the contact record, the end from the envelope
    assert "Phone call (inbound) · 2021-08-29 18:35:02 UTC · 4 min 42 s" in note
    assert "Ended: 2021-08-29 18:39:44 UTC" in note


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_events_are_lambda_sqs_batches_of_contact_events(path: Path, rig: PostCallRig) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs"
        assert parse_contact_event(json.loads(record["body"])).contact_id
    assert rig.handler(event) == {"batchItemFailures": []}


def test_the_duplicated_sample_writes_one_note(rig: PostCallRig) -> None:
    event = json.loads((PROJECT_ROOT / "events/post_call_update/duplicated_and_reordered.json").read_text())
    contact_id = json.loads(event["Records"][0]["body"])["detail"]["contactId"]
    rig.seed_contact(contact_id, zendeskUserId=1001, selectedTicketId=1001)
    rig.handler(event)
    assert len(rig.tickets.notes(1001)) == 1
