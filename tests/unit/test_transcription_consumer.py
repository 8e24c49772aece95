"""transcription_consumer on moto: every Contact Lens sample shape, lifecycle, replays, poison records.

The handler is loaded from template.yaml like Lambda loads it; DynamoDB is moto in-process and the
WebSocket management API a recording double, so no socket is opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from connect_zendesk.adapters.connections_table import PanelConnection
from connect_zendesk.realtime.segments import Segment, TranscriptWriter
from connect_zendesk.realtime.stream_records import kinesis_records
from connect_zendesk.realtime.transcription import TranscriptionConsumer
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.contact_lens_events import (
    call_records,
    kinesis_event,
    lens_record,
    transcript,
    utterance,
)
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from realtime_doubles import FakeGateway
from support import reference_events
from unit_doubles import NOW

Handler = Callable[[Any, Any], dict[str, Any]]
CONTACT = "contact-0001"


@pytest.fixture
def consumer(aws: Template, realtime: RealtimeServices) -> Handler:
    forget_loaded_handlers()
    handler = load_handler(aws.function("transcription_consumer"))
    context = LocalLambdaContext(function_name="TranscriptionConsumerFunction", timeout_seconds=60)
    return lambda event, _=None: handler(event, context)


def items(aws: Template, contact_id: str = CONTACT) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical["TranscriptsTable"].ref)
    return table.query(KeyConditionExpression="contactId = :c", ExpressionAttributeValues={":c": contact_id})[
        "Items"
    ]


def contact(aws: Template, contact_id: str = CONTACT) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical["ContactsTable"].ref)
    return table.get_item(Key={"contactId": contact_id}).get("Item", {})


def failures(answer: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def open_panel(realtime: RealtimeServices, connection_id: str = "conn-1", contact_id: str = CONTACT) -> None:
    realtime.connections.add(
        PanelConnection(connection_id, contact_id, "agent-7", int(NOW.timestamp()) + 3600), connected_at="now"
    )


VOICE_SEGMENTS = lens_record(
    CONTACT,
    "SEGMENTS",
    [
        utterance("t-1", "AGENT", "Hello, thanks", 19010, 21000),
        transcript("t-1", "AGENT", "Hello, thanks for calling.", 19010, 22980, sentiment="NEUTRAL"),
        transcript("t-2", "CUSTOMER", "My card is broken.", 23100, 25000, sentiment=None),
        {"Categories": {"MatchedCategories": ["CardIssue"], "MatchedDetails": {}}},
        {"PostContactSummary": {"Content": "Card broken", "Status": "COMPLETED"}},
    ],
)


def test_final_transcripts_are_stored_in_call_order_with_speaker_offsets_and_lens_sentiment(
    consumer: Handler, aws: Template
) -> None:
    # Given a SEGMENTS record with a partial, two finals, categories and a summary
    answer = consumer(kinesis_event([VOICE_SEGMENTS]))

    # Then the batch succeeds and both finals are items keyed by zero-padded offset and id
    assert failures(answer) == []
    stored = items(aws)
    assert [i["position"] for i in stored] == ["0000019010#t-1", "0000023100#t-2"]
    agent, customer = stored
    assert (agent["speaker"], agent["text"], agent["beginOffsetMs"], agent["endOffsetMs"]) == (
        "AGENT",
        "Hello, thanks for calling.",
        19010,
        22980,
    )
    assert (agent["sentiment"], agent["sentimentSource"], agent["source"], agent["language"]) == (
        "NEUTRAL",
        "contact_lens",
        "contact_lens",
        "en-US",
    )
    assert "sentiment" not in customer  # left for the sentiment function
    assert int(customer["ttl"]) == int(1_795_000_000.001) + 90 * 86400  # from the record's arrival time
    # And the categories and the summary are on the contact
    record = contact(aws)
    assert record["categories"] == {"CardIssue"}
    assert (record["postContactSummary"], record["postContactSummaryStatus"]) == ("Card broken", "COMPLETED")


def test_a_replayed_record_writes_exactly_the_same_item(consumer: Handler, aws: Template) -> None:
    consumer(kinesis_event([VOICE_SEGMENTS]))
    first = items(aws)
    consumer(kinesis_event([VOICE_SEGMENTS]))  # Kinesis delivers at least once

    assert items(aws) == first


def test_lifecycle_marks_the_transcript_complete_and_a_late_started_never_reopens_it(
    consumer: Handler, aws: Template
) -> None:
    consumer(kinesis_event([lens_record(CONTACT, "STARTED")]))
    assert contact(aws)["transcriptStatus"] == "STARTED"

    consumer(kinesis_event([lens_record(CONTACT, "STARTED"), lens_record(CONTACT, "COMPLETED")]))
    assert contact(aws)["transcriptStatus"] == "COMPLETED"

    consumer(kinesis_event([lens_record(CONTACT, "STARTED")]))  # a replay arriving late
    assert contact(aws)["transcriptStatus"] == "COMPLETED"

    consumer(kinesis_event([lens_record("contact-2", "FAILED")]))
    assert contact(aws, "contact-2")["transcriptStatus"] == "FAILED"


def test_a_poison_record_among_good_ones_fails_alone(consumer: Handler, aws: Template) -> None:
    event = kinesis_event([VOICE_SEGMENTS, b"\x00not json", lens_record(CONTACT, "COMPLETED")])
    poison = event["Records"][1]["kinesis"]["sequenceNumber"]

    answer = consumer(event)

    assert failures(answer) == [poison]
    assert len(items(aws)) == 2
    assert contact(aws)["transcriptStatus"] == "COMPLETED"


def test_a_record_with_broken_base64_fails_alone(consumer: Handler) -> None:
    event = kinesis_event([lens_record(CONTACT, "STARTED"), lens_record(CONTACT, "COMPLETED")])
    event["Records"][0]["kinesis"]["data"] = "%%% not base64 %%%"

    assert failures(consumer(event)) == [event["Records"][0]["kinesis"]["sequenceNumber"]]


@pytest.mark.parametrize("path", reference_events("kinesis_*event*.json"), ids=lambda p: p.name)
def test_kinesis_envelopes_carrying_something_else_fail_record_by_record(
    consumer: Handler, path: Path
) -> None:
    event = json.loads(path.read_text())
    expected = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    assert sorted(failures(consumer(event))) == sorted(expected)


@pytest.mark.parametrize("path", reference_events("contact_lens_*kinesis*.json"), ids=lambda p: p.name)
def test_published_kinesis_contact_lens_batches_succeed(consumer: Handler, path: Path) -> None:
    assert failures(consumer(json.loads(path.read_text()))) == []


@pytest.mark.parametrize(
    "path",
    [p for p in reference_events("contact_lens_*.json") if "kinesis" not in p.name],
    ids=lambda p: p.name,
)
def test_every_published_sample_wrapped_in_kinesis_succeeds(consumer: Handler, path: Path) -> None:
    assert failures(consumer(kinesis_event([json.loads(path.read_text())]))) == []


def test_an_event_that_is_not_a_stream_batch_is_answered_as_done(consumer: Handler) -> None:
    assert consumer({"hello": "world"}) == {"batchItemFailures": []}


def test_partials_finals_and_contact_news_reach_the_open_panel_in_order(
    consumer: Handler, realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    open_panel(realtime)
    consumer(kinesis_event([lens_record(CONTACT, "STARTED"), VOICE_SEGMENTS]))

    kinds = [m["type"] for m in gateway.messages("conn-1")]
    assert kinds == ["status", "partial", "segment", "segment", "categories", "summary"]
    partial = gateway.messages("conn-1", "partial")[0]
    assert (partial["transcriptId"], partial["utteranceId"], partial["text"]) == (
        "t-1",
        gateway.messages("conn-1", "partial")[0]["utteranceId"],
        "Hello, thanks",
    )
    assert gateway.frames["conn-1"][0]["contactId"] == CONTACT


def test_a_gone_panel_connection_is_removed_and_the_batch_still_succeeds(
    consumer: Handler, realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    open_panel(realtime, "gone-1")
    open_panel(realtime, "live-1")
    gateway.gone.add("gone-1")

    assert failures(consumer(kinesis_event([VOICE_SEGMENTS]))) == []

    remaining = [c.connection_id for c in realtime.connections.for_contact(CONTACT, NOW.timestamp())]
    assert remaining == ["live-1"]
    assert gateway.messages("live-1", "segment")


def test_expired_connections_are_not_pushed_to(
    consumer: Handler, realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    realtime.connections.add(
        PanelConnection("old-1", CONTACT, "a", int(NOW.timestamp()) - 1), connected_at="then"
    )
    consumer(kinesis_event([VOICE_SEGMENTS]))
    assert "old-1" not in gateway.frames


def test_records_whose_segments_cannot_be_stored_are_reported(consumer: Handler, aws: Template) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName=aws.physical["TranscriptsTable"].ref
    )
    event = kinesis_event([VOICE_SEGMENTS, lens_record("contact-9", "STARTED")])

    # The segments' record fails; the lifecycle record of another contact does not.
    assert failures(consumer(event)) == [event["Records"][0]["kinesis"]["sequenceNumber"]]


def test_records_whose_contact_update_fails_are_reported(consumer: Handler, aws: Template) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName=aws.physical["ContactsTable"].ref
    )
    event = kinesis_event([lens_record(CONTACT, "STARTED"), lens_record("c-2", "SEGMENTS", [])])

    assert failures(consumer(event)) == [event["Records"][0]["kinesis"]["sequenceNumber"]]


def test_a_misconfigured_container_fails_every_record_so_nothing_is_lost(
    aws: Template, realtime_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRANSCRIPTS_TABLE")
    forget_loaded_handlers()
    handler = load_handler(aws.function("transcription_consumer"))
    event = kinesis_event([lens_record(CONTACT, "STARTED"), lens_record(CONTACT, "COMPLETED")])

    answer = handler(event, LocalLambdaContext(function_name="F"))

    assert failures(answer) == [r["kinesis"]["sequenceNumber"] for r in event["Records"]]


def test_an_unexpected_failure_fails_the_whole_batch(
    consumer: Handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: Any, records: Any) -> list[str]:
        raise RuntimeError("bug")

    monkeypatch.setattr(TranscriptionConsumer, "process", explode)
    event = kinesis_event([lens_record(CONTACT, "STARTED")])
    assert failures(consumer(event)) == [event["Records"][0]["kinesis"]["sequenceNumber"]]


class CountingStore:
    def __init__(self) -> None:
        self.requests: list[int] = []

    def put_many(self, items: Any) -> None:
        self.requests.append(len(items))


class SilentPusher:
    def push(self, messages: Any) -> None:
        return None


class NullContacts:
    def record_transcript(self, contact_id: str, **changes: Any) -> None:
        return None


def test_a_whole_call_in_one_batch_is_stored_in_batches_of_25() -> None:
    # Given 30 calls' worth of final segments in one batch of records
    records = [r for n in range(4) for r in call_records(f"c-{n}")]
    store = CountingStore()
    consumer = TranscriptionConsumer(TranscriptWriter(store, 90), NullContacts(), SilentPusher(), lambda: 0.0)

    failed = consumer.process(kinesis_records(kinesis_event(records)))

    assert failed == []
    assert sum(store.requests) == 4 * 8  # every final, once
    assert max(store.requests) <= 25
    assert len(store.requests) == 2  # 32 items: 25 + 7


def test_segment_items_round_trip() -> None:
    segment = Segment(
        "c",
        "s-1",
        "CUSTOMER",
        "hi",
        5,
        9,
        1_795_000_000.5,
        "en-US",
        sentiment="NEGATIVE",
        sentiment_source="comprehend",
        sentiment_score={"Positive": 0.1, "Negative": 0.8},
        absolute_time="t",
        issues=((1, 2),),
    )
    item = segment.to_item(30)
    again = Segment.from_item(item)
    assert again.to_item(30) == item
    assert again.panel_view()["sentiment"] == "NEGATIVE"
    assert item["position"] == "0000000005#s-1"
