"""Pieces of the real-time path under the handlers: batched writes, frames, pushes, contact writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from connect_zendesk.adapters import panel_gateway, transcripts_table
from connect_zendesk.adapters.call_records import DynamoCallRecords
from connect_zendesk.adapters.connections_table import PanelConnection
from connect_zendesk.adapters.contacts_table import MAX_CONVERSATION_ENTRIES
from connect_zendesk.adapters.panel_gateway import (
    ApiGatewayPanelGateway,
    ConnectionGone,
    PushFailed,
    management_endpoint,
)
from connect_zendesk.adapters.transcripts_table import DynamoTranscripts
from connect_zendesk.domain.call_record import ContactRecord
from connect_zendesk.domain.models import BotTurnRecord, ConversationEntry
from connect_zendesk.errors import StorageError
from connect_zendesk.lex.event import MAX_TRANSCRIPT_CHARS
from connect_zendesk.realtime.agent_notes import MAX_NOTE_BYTES, MAX_NOTES, fit_note
from connect_zendesk.realtime.panel_push import FRAME_LIMIT_BYTES, PanelPusher, frames_for
from connect_zendesk.realtime.panel_socket import contact_messages
from connect_zendesk.realtime.segments import Segment, TranscriptWriter
from connect_zendesk.realtime.stream_records import InvalidStreamEvent, kinesis_records, table_stream_records
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.settings import Settings
from realtime_doubles import FakeGateway
from unit_doubles import NOW


def segment(n: int, contact: str = "c-1") -> Segment:
    return Segment(contact, f"s-{n}", "CUSTOMER", f"text {n}", n * 10, n * 10 + 5, 1_795_000_000.0)


# ---------------------------------------------------------------------------- Transcripts writes
class UnprocessedClient:
    """batch_write_item that leaves `leave` items unprocessed for `times` calls."""

    def __init__(self, table: str, leave: int, times: int) -> None:
        self.table, self.leave, self.times = table, leave, times
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        requests = RequestItems[self.table]
        self.calls.append(len(requests))
        if len(self.calls) <= self.times:
            return {"UnprocessedItems": {self.table: requests[: self.leave]}}
        return {"UnprocessedItems": {}}


def test_unprocessed_items_are_sent_again_with_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    client = UnprocessedClient("t", leave=3, times=2)
    monkeypatch.setattr(transcripts_table, "aws_client", lambda *a: client)
    monkeypatch.setattr(transcripts_table.random, "random", lambda: 0.5)  # jitter at its middle
    sleeps: list[float] = []

    DynamoTranscripts("t", sleep=sleeps.append).put_many([segment(n).to_item(1) for n in range(10)])

    assert client.calls == [10, 3, 3]
    base = transcripts_table.BASE_DELAY_SECONDS
    assert sleeps == [2 * base, 4 * base]  # exponential: each wait doubles


def test_backoff_jitter_stays_within_half_to_one_and_a_half_times_the_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = transcripts_table.BASE_DELAY_SECONDS
    for jitter, expected in ((0.0, [base, 2 * base]), (0.999, [2.998 * base, 5.996 * base])):
        client = UnprocessedClient("t", leave=3, times=2)
        monkeypatch.setattr(transcripts_table, "aws_client", lambda *a, c=client: c)
        monkeypatch.setattr(transcripts_table.random, "random", lambda j=jitter: j)
        sleeps: list[float] = []
        DynamoTranscripts("t", sleep=sleeps.append).put_many([segment(n).to_item(1) for n in range(10)])
        assert sleeps == pytest.approx(expected)


def test_items_still_unprocessed_after_every_attempt_are_a_storage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transcripts_table, "aws_client", lambda *a: UnprocessedClient("t", leave=1, times=99))
    with pytest.raises(StorageError, match="unprocessed"):
        DynamoTranscripts("t", sleep=lambda _: None).put_many([segment(1).to_item(1)])


class FailingStore:
    def __init__(self, bad_contact: str) -> None:
        self.bad_contact = bad_contact
        self.written: list[str] = []

    def put_many(self, items: Any) -> None:
        if any(i["contactId"] == self.bad_contact for i in items):
            raise StorageError("throttled")
        self.written.extend(i["position"] for i in items)


def test_the_writer_reports_exactly_the_keys_of_failed_chunks() -> None:
    store = FailingStore("bad")
    segments = [segment(n) for n in range(30)] + [segment(99, "bad")] + [segment(1)]  # a duplicate too

    failed = TranscriptWriter(store, 90).write(segments)

    assert failed == {("bad", segment(99, "bad").position)} | {
        ("c-1", segment(n).position) for n in range(25, 30)
    }
    assert len(store.written) == 25
    assert TranscriptWriter(store, 90).write([]) == set()


def test_contact_segments_pages_through_the_query(realtime: RealtimeServices) -> None:
    realtime.writer.write([segment(n) for n in range(40)])
    items = realtime.transcripts.contact_segments("c-1", ("speaker",))
    assert [i["position"] for i in items] == sorted(i["position"] for i in items)
    assert set(items[0]) == {"contactId", "position", "speaker"}


# ---------------------------------------------------------------------------- frames and pushes
def test_frames_stay_within_the_websocket_frame_limit_and_keep_order() -> None:
    messages = [{"type": "segment", "n": n, "text": "x" * 1000} for n in range(100)]
    frames = frames_for("c-1", messages)

    assert len(frames) > 1
    assert all(len(frame) <= FRAME_LIMIT_BYTES for frame in frames)
    decoded = [json.loads(frame) for frame in frames]
    assert all(frame["contactId"] == "c-1" and frame["v"] == 1 for frame in decoded)
    assert [m["n"] for frame in decoded for m in frame["messages"]] == list(range(100))
    assert frames_for("c-1", []) == []


class Directory:
    def __init__(self, connections: dict[str, list[str]], fail: bool = False) -> None:
        self.connections = connections
        self.removed: list[str] = []
        self.fail = fail

    def for_contact(
        self, contact_id: str, now: float, expired: list[PanelConnection] | None = None
    ) -> list[PanelConnection]:
        if self.fail:
            raise StorageError("Query failed")
        return [PanelConnection(c, contact_id, "a", 0) for c in self.connections.get(contact_id, [])]

    def remove(self, connection_id: str) -> None:
        if connection_id == "unremovable":
            raise StorageError("DeleteItem failed")
        self.removed.append(connection_id)


def test_pushes_reach_every_connection_of_each_contact_and_gone_ones_are_removed() -> None:
    gateway = FakeGateway()
    gateway.gone.update({"gone", "unremovable"})
    gateway.failing.add("flaky")
    directory = Directory({"a": ["a1", "a2", "gone", "flaky", "unremovable"], "b": ["b1"], "c": []})

    report = PanelPusher(directory, gateway).push(
        {"a": [{"type": "x"}], "b": [{"type": "y"}], "c": [{"type": "z"}], "d": []}
    )

    assert (report.frames_sent, report.gone, report.failed) == (3, 2, 1)
    assert directory.removed == ["gone"]
    assert gateway.messages("b1") == [{"type": "y"}]
    assert PanelPusher(Directory({}, fail=True), gateway).push({"a": [{"type": "x"}]}).failed == 1


def test_sending_to_one_connection() -> None:
    gateway = FakeGateway()
    report = PanelPusher(Directory({}), gateway).send("conn", "c-1", [{"type": "snapshot"}])
    assert report.frames_sent == 1
    assert gateway.frames["conn"][0]["contactId"] == "c-1"


class ManagementClient:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.posted: list[tuple[str, bytes]] = []

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.posted.append((ConnectionId, Data))


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (None, None),
        (ClientError({"Error": {"Code": "GoneException"}}, "PostToConnection"), ConnectionGone),
        (
            ClientError({"Error": {}, "ResponseMetadata": {"HTTPStatusCode": 410}}, "PostToConnection"),
            ConnectionGone,
        ),
        (ClientError({"Error": {"Code": "LimitExceededException"}}, "PostToConnection"), PushFailed),
        (EndpointConnectionError(endpoint_url="x"), PushFailed),
    ],
)
def test_the_gateway_adapter_maps_410_to_gone_and_the_rest_to_failures(
    monkeypatch: pytest.MonkeyPatch, error: Exception | None, raised: type[Exception] | None
) -> None:
    client = ManagementClient(error)
    monkeypatch.setattr(panel_gateway, "endpoint_client", lambda *a: client)
    gateway = ApiGatewayPanelGateway("https://x.execute-api.us-east-1.amazonaws.com/live")
    if raised is None:
        gateway.post("c1", b"{}")
        assert client.posted == [("c1", b"{}")]
    else:
        with pytest.raises(raised):
            gateway.post("c1", b"{}")


@pytest.mark.parametrize(
    ("endpoint", "stage", "url"),
    [
        (
            "wss://abc.execute-api.eu-west-1.amazonaws.com",
            "live",
            "https://abc.execute-api.eu-west-1.amazonaws.com/live",
        ),
        ("ws://127.0.0.1:8001/", "live", "http://127.0.0.1:8001/live"),
        ("https://custom.example.com", "", "https://custom.example.com"),
    ],
)
def test_management_endpoint_from_the_api_endpoint(endpoint: str, stage: str, url: str) -> None:
    assert management_endpoint(endpoint, stage) == url


def test_the_real_gateway_posts_through_boto3_on_moto(realtime_env: dict[str, str]) -> None:
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    ApiGatewayPanelGateway(management_endpoint(realtime_env["PANEL_SOCKET_ENDPOINT"], "live")).post(
        "conn-9", b'{"v":1}'
    )
    assert "conn-9" in apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections


def test_a_missing_socket_endpoint_is_a_configuration_error(realtime: RealtimeServices) -> None:
    import dataclasses

    from connect_zendesk.errors import NotConfigured

    services = RealtimeServices(dataclasses.replace(realtime.settings, panel_socket_endpoint=""))
    with pytest.raises(NotConfigured):
        _ = services.gateway
    assert services.alert_topic is None


# ---------------------------------------------------------------------------- stream events
def test_stream_events_without_records_are_invalid() -> None:
    for event in ({}, {"Records": "x"}, [], None):
        with pytest.raises(InvalidStreamEvent):
            kinesis_records(event)
        with pytest.raises(InvalidStreamEvent):
            table_stream_records(event)


def test_odd_stream_records_are_kept_and_marked_broken() -> None:
    (kinesis,) = kinesis_records({"Records": ["not a record"]})
    assert (kinesis.broken, kinesis.sequence_number, kinesis.arrival) == (True, "", 0.0)
    removed, odd = table_stream_records(
        {"Records": [{"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "1"}}, "x"]}
    )
    assert (removed.broken, removed.new_image) == (False, None)
    assert odd.event_name == ""


@pytest.mark.parametrize(
    "number", ["1e309", "3.14159265358979323846264338327950288419716", "not a number", "-Infinity"]
)
def test_a_stream_image_with_an_unreadable_number_is_a_broken_record_not_a_crash(number: str) -> None:
    # Given a record whose NewImage holds a number DynamoDB's decimal context cannot represent exactly
    event = {
        "Records": [
            {
                "eventName": "INSERT",
                "dynamodb": {"SequenceNumber": "7", "NewImage": {"n": {"L": [{"N": "1"}, {"N": number}]}}},
            }
        ]
    }
    # When the batch is read, then that record alone is broken (reported as failed), nothing raises
    (record,) = table_stream_records(event)
    assert (record.broken, record.sequence_number) == (True, "7")


# ---------------------------------------------------------------------------- contact writes
def test_contact_writes_keep_timestamps_and_alert_claims_once(realtime: RealtimeServices) -> None:
    contacts = realtime.contacts
    contacts.record_transcript(
        "c-1", status="STARTED", categories=["A"], summary={"content": "", "status": "FAILED"}
    )
    contacts.record_transcript("c-1", categories=["B"])
    assert contacts.claim_sentiment_alert("c-1", "0000000010#s", 3) is True
    assert contacts.claim_sentiment_alert("c-1", "0000000010#s", 4) is False
    assert contacts.claim_sentiment_alert("c-1", "0000000090#t", 3) is True

    record = contacts.get("c-1") or {}
    assert record["categories"] == {"A", "B"}
    assert record["postContactSummaryStatus"] == "FAILED"
    assert "postContactSummary" not in record
    assert record["createdAt"] <= record["updatedAt"]
    assert int(record["ttl"]) == int(NOW.timestamp()) + 90 * 86400
    assert record["sentimentAlert"]["streakStart"] == "0000000090#t"


def test_other_update_failures_are_storage_errors(realtime: RealtimeServices, aws: Any) -> None:
    import boto3

    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName=aws.physical["ContactsTable"].ref
    )
    with pytest.raises(StorageError):
        realtime.contacts.mark_agent_connected("c-1")


def test_supervisor_alerts_are_published_to_the_topic_on_moto(realtime_env: dict[str, str]) -> None:
    import boto3
    from connect_zendesk.adapters.alert_topic import SnsAlertTopic

    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="supervisors")["TopicArn"]
    queue = boto3.client("sqs", region_name="us-east-1")
    url = queue.create_queue(QueueName="inbox")["QueueUrl"]
    arn = queue.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    SnsAlertTopic(topic).publish(
        "Customer sentiment turned negative", {"contactId": "c-1", "negativeUtterancesInARow": 3}
    )

    body = json.loads(queue.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert json.loads(body["Message"]) == {"contactId": "c-1", "negativeUtterancesInARow": 3}
    with pytest.raises(StorageError):
        SnsAlertTopic("arn:aws:sns:us-east-1:123456789012:missing").publish("x", {})


def test_a_hundred_maximal_cjk_notes_and_a_full_conversation_log_are_stored_and_read_back_in_order(
    realtime: RealtimeServices, post_call_env: dict[str, str]
) -> None:
    # Given a contact whose bot conversation is as large as it can be (50 entries of 2,000 CJK
    # characters), a summary and categories: the contact's own item is near DynamoDB's 400 KB
    contact_id = "c-notes"
    words = "お客様のプリンターが印刷できません"
    entries = tuple(
        ConversationEntry(
            at=f"2026-12-04T18:{n:02d}:00Z",
            role="caller",
            text=(f"{n:02d}" + words * 200)[:MAX_TRANSCRIPT_CHARS],
            intent="CheckTicketStatus",
            slots=(("ticketNumber", str(1000 + n)),),
        )
        for n in range(MAX_CONVERSATION_ENTRIES)
    )
    realtime.contacts.record_bot_turn(contact_id, BotTurnRecord(entries=entries, seen_turns=0))
    realtime.contacts.record_transcript(contact_id, status="COMPLETED", categories=["PrinterIssue"])

    # When an agent saves 100 notes of the largest CJK text a note keeps (3,000 bytes each)
    texts = [fit_note(f"{n:03d}" + "技術者の訪問を手配しました。" * 150)[0] for n in range(MAX_NOTES)]
    for n, text in enumerate(texts):
        saved = realtime.contacts.append_agent_note(
            contact_id, note_id=f"note-{n:08d}", agent_id="9001", text=text
        )
        assert saved, n
    assert all(len(text.encode("utf-8")) == MAX_NOTE_BYTES for text in texts)
    # And the 101st is refused (the count holds), while a resent one is not stored twice
    assert not realtime.contacts.append_agent_note(
        contact_id, note_id="note-extra-01", agent_id="9001", text="x"
    )
    assert not realtime.contacts.append_agent_note(
        contact_id, note_id="note-00000000", agent_id="9001", text="x"
    )

    # Then the after-call step reads the whole conversation and every note, oldest first
    settings = Settings.from_env(post_call_env)
    stored = DynamoCallRecords(settings.contacts_table, settings.contact_retention_days).get(contact_id)
    record = ContactRecord.from_item(contact_id, stored)
    assert [note.text for note in record.agent_notes] == texts
    assert len(record.conversation) == MAX_CONVERSATION_ENTRIES
    assert record.conversation[-1].text == entries[-1].text
    # And the panel's snapshot shows them too, in the same order
    shown = [
        m["text"] for m in contact_messages(realtime.contacts.get(contact_id) or {}) if m["type"] == "note"
    ]
    assert shown == texts


def test_notes_written_on_the_contact_item_before_they_had_their_own_item_are_still_read(
    realtime: RealtimeServices, aws: Any
) -> None:
    import boto3

    table = aws.physical["ContactsTable"].ref
    older = {
        "noteId": "note-older-1",
        "agentId": "9001",
        "text": "first",
        "at": "2026-12-04T18:00:00.000+00:00",
    }
    boto3.resource("dynamodb", region_name="us-east-1").Table(table).put_item(
        Item={"contactId": "c-old", "agentNotes": [older], "agentNoteIds": {"note-older-1"}}
    )
    realtime.contacts.append_agent_note("c-old", note_id="note-newer-1", agent_id="9001", text="second")

    record = realtime.contacts.get("c-old") or {}

    assert [note["text"] for note in record["agentNotes"]] == ["first", "second"]
    assert record["agentNoteIds"] == {"note-older-1", "note-newer-1"}
    # A projection without note attributes leaves the notes out (the notes item is not read)
    assert realtime.contacts.get("c-old", ("contactId",)) == {"contactId": "c-old"}
