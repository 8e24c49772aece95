"""Hostile payloads at every entry point (issue 12, findings 4 and 5), with in-memory fakes only.

Nested 100,000 deep (json.loads and every recursive reader raise RecursionError), NaN and Infinity
(json.loads accepts them), times past the year 9999: each costs one record, one 4xx or one handoff,
never a batch, a 500 or a raise. The moto-backed entry points (panel token endpoint, agent socket,
SQS dead-lettering) are tested where their siblings live: test_panel_socket.py, test_post_call.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from connect_zendesk.adapters.transcribe_streaming import parse_transcript_event
from connect_zendesk.connect.contact_event import parse_contact_event
from connect_zendesk.connect.flow_event import InvalidFlowEvent, parse_flow_event
from connect_zendesk.lex.code_hook import failure_reply, lex_code_hook_handler
from connect_zendesk.lex.contract import response_problems
from connect_zendesk.lex.event import LexRequest, parse_lex_event
from connect_zendesk.lex.response import LexReply
from connect_zendesk.realtime.handlers import agent_socket_handler, panel_authorizer_handler
from connect_zendesk.realtime.segments import TranscriptWriter
from connect_zendesk.realtime.stream_records import kinesis_records, table_stream_records
from connect_zendesk.realtime.transcription import TranscriptionConsumer
from connect_zendesk.services import Services
from connect_zendesk.settings import get_settings
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage
from connect_zendesk.sqs.retry import decide
from connect_zendesk_local.contact_lens_events import kinesis_event, lens_record, transcript
from connect_zendesk_local.lambda_context import LocalLambdaContext

DEEP = 100_000


def deep_text(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def deep_value(depth: int = DEEP, key: str = "a") -> Any:
    """A decoded value `depth` deep, built without recursion (as the Lambda runtime could hand one over)."""
    value: Any = {}
    for _ in range(depth):
        value = {key: [value]}
    return value


# ---------------------------------------------------------------------------- Kinesis (Contact Lens)
class CountingStore:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def put_many(self, items: Any) -> None:
        self.items.extend(items)


class SilentPusher:
    def push(self, messages: Any) -> None:
        return None


class NullContacts:
    def record_transcript(self, contact_id: str, **changes: Any) -> None:
        return None


def test_one_record_nested_100000_deep_costs_that_record_not_the_batch_of_1000() -> None:
    # Given 999 good Contact Lens records and, in the middle, one record nested 100,000 deep
    good = [
        lens_record(
            f"contact-{n:04d}",
            "SEGMENTS",
            [transcript(f"t-{n}", "CUSTOMER", "hello", 0, 900, sentiment=None)],
        )
        for n in range(999)
    ]
    poison = b'{"ContactId": "contact-x", "EventType": "SEGMENTS", "Segments": ' + deep_text().encode() + b"}"
    event = kinesis_event([*good[:500], poison, *good[500:]])
    store = CountingStore()
    consumer = TranscriptionConsumer(TranscriptWriter(store, 90), NullContacts(), SilentPusher(), lambda: 0.0)
    # When the consumer processes the batch
    failed = consumer.process(kinesis_records(event))
    # Then only the poison record is reported (Lambda retries it alone, then hands it on); 999 are stored
    assert failed == [event["Records"][500]["kinesis"]["sequenceNumber"]]
    assert len(store.items) == 999


@pytest.mark.parametrize("arrival", [1e300, -5.0, "soon"])
def test_kinesis_arrival_times_out_of_range_read_as_zero(arrival: Any) -> None:
    event = kinesis_event([lens_record("contact-1", "STARTED")])
    event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = arrival
    (record,) = kinesis_records(event)
    assert (record.arrival, record.broken) == (0.0, False)


@pytest.mark.parametrize("arrival", [float("nan"), float("inf")])
def test_a_kinesis_record_holding_nan_or_infinity_is_broken_alone(arrival: float) -> None:
    event = kinesis_event([lens_record("contact-1", "STARTED"), lens_record("contact-1", "COMPLETED")])
    event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = arrival
    first, second = kinesis_records(event)
    assert (first.broken, first.sequence_number) == (True, event["Records"][0]["kinesis"]["sequenceNumber"])
    assert not second.broken


# ---------------------------------------------------------------------------- DynamoDB stream
def deep_attribute(depth: int = DEEP) -> dict[str, Any]:
    """A DynamoDB map attribute holding a map ... `depth` deep."""
    value: dict[str, Any] = {"S": "leaf"}
    for _ in range(depth):
        value = {"M": {"x": value}}
    return value


def stream_record(sequence: str, image: Any) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": sequence, "NewImage": image}}


@pytest.mark.parametrize(
    "image",
    [
        {"contactId": {"S": "c"}, "nested": deep_attribute()},  # from_item recursed: RecursionError
        {"contactId": {"S": "c"}, "score": {"N": "NaN"}},
        {"contactId": {"S": "c"}, "score": {"N": "Infinity"}},
    ],
    ids=["deep", "NaN", "Infinity"],
)
def test_a_table_stream_record_too_deep_or_not_finite_is_broken_alone(image: Any) -> None:
    event = {"Records": [stream_record("1", {"contactId": {"S": "a"}}), stream_record("2", image)]}
    good, bad = table_stream_records(event)
    assert (good.broken, good.new_image) == (False, {"contactId": "a"})
    assert (bad.broken, bad.sequence_number) == (True, "2")


# ---------------------------------------------------------------------------- SQS bodies
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (deep_text(), "message body nested deeper than 32"),
        ('{"detail": {"disconnectTimestamp": Infinity}}', "message body holds Infinity"),
        ('{"n": ' + "9" * 5000 + "}", "message body holds a number longer than 40"),
    ],
)
def test_a_refused_sqs_body_is_a_permanent_error_with_its_reason(body: str, reason: str) -> None:
    message = QueueMessage(message_id="m-1", receipt_handle="r", body=body)
    with pytest.raises(InvalidMessage) as refused:
        message.json()
    decision = decide(refused.value, receive_count=1)
    assert decision.permanent
    assert decision.reason.startswith(reason)


def test_contact_event_times_past_the_last_representable_instant_are_no_times() -> None:
    event = parse_contact_event(
        {
            "detail-type": "Amazon Connect Contact Event",
            "detail": {
                "contactId": "c-1",
                "eventType": "DISCONNECTED",
                "disconnectTimestamp": "9999-12-31T23:59:59-01:00",  # astimezone(UTC) overflowed
                "initiationTimestamp": "2026-11-18T10:00:00Z",
            },
        }
    )
    assert event.disconnected_at is None
    assert event.initiated_at == datetime(2026, 11, 18, 10, tzinfo=UTC)


# ---------------------------------------------------------------------------- Lex code hook
def lex_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "messageVersion": "1.0",
        "invocationSource": "DialogCodeHook",
        "inputMode": "Speech",
        "sessionId": "contact-1",
        "inputTranscript": "ticket",
        "bot": {"name": "Support", "localeId": "ja_JP"},
        "sessionState": {
            "intent": {"name": "CheckTicketStatus", "state": "InProgress", "slots": {}},
            "sessionAttributes": {"contactId": "contact-1"},
        },
    }
    event.update(changes)
    return event


def nested_slot_values(depth: int) -> Any:
    slot: Any = {"value": {"interpretedValue": "1"}}
    for _ in range(depth):
        slot = {"values": [slot]}  # _slot_value follows "values" recursively
    return slot


@pytest.mark.parametrize(
    "hostile",
    [
        {"slots": {"TicketId": nested_slot_values(DEEP)}},
        {"slots": {"TicketId": {"value": {"interpretedValue": "1", "resolvedValues": [float("nan")]}}}},
    ],
    ids=["slot nested 100,000 deep", "NaN in a slot"],
)
def test_the_code_hook_answers_a_hostile_event_with_a_valid_handoff(
    hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = lex_event()
    event["sessionState"]["intent"].update(hostile)
    seen: list[LexRequest] = []

    def logic(request: LexRequest, services: Services) -> LexReply:
        seen.append(request)
        return failure_reply(request, "bot.handoff.error")

    get_settings.cache_clear()
    handler = lex_code_hook_handler(logic, frozenset())
    response = handler(event, LocalLambdaContext(function_name="LexFulfillment", timeout_seconds=10))
    get_settings.cache_clear()

    assert response_problems(response) == []
    json.dumps(response, allow_nan=False)  # nothing deep or non-finite is echoed back to Lex
    (request,) = seen
    assert (request.locale_id, request.intent_name, dict(request.raw_slots)) == (
        "ja_JP",
        "CheckTicketStatus",
        {},
    )
    assert any("event" in problem for problem in request.problems)


def test_a_lex_event_within_the_limits_keeps_its_slots() -> None:
    event = lex_event()
    event["sessionState"]["intent"]["slots"] = {"TicketId": nested_slot_values(5)}
    assert parse_lex_event(event).slot("TicketId") is not None


# ---------------------------------------------------------------------------- contact-flow events
@pytest.mark.parametrize(
    "parameters",
    [{"phoneNumber": deep_value()}, {"retries": float("nan")}, {"retries": float("-inf")}],
    ids=["deep", "NaN", "-Infinity"],
)
def test_a_contact_flow_event_holding_deep_or_non_finite_values_is_refused_by_name(parameters: Any) -> None:
    event = {
        "Name": "ContactFlowEvent",
        "Details": {"ContactData": {"ContactId": "c-1"}, "Parameters": parameters},
    }
    with pytest.raises(InvalidFlowEvent, match="event refused"):
        parse_flow_event(event)


# ---------------------------------------------------------------------------- API Gateway events
@pytest.fixture
def socket_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("PANEL_SOCKET_ENDPOINT", "PANEL_SOCKET_STAGE", "CONNECTIONS_TABLE", "TRANSCRIPTS_TABLE"):
        monkeypatch.setenv(name, "unused")
    monkeypatch.setenv("CONTACTS_TABLE", "unused")
    monkeypatch.setenv(
        "PANEL_TOKEN_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:unused"
    )
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_agent_socket_answers_400_to_a_deep_event_before_any_service(socket_env: Any) -> None:
    # routeKey nested 100,000 deep: str() of it raised RecursionError inside the route (a 500)
    event = {"requestContext": {"routeKey": deep_value(), "connectionId": "c"}, "body": "{}"}
    answer = agent_socket_handler()(
        event, LocalLambdaContext(function_name="AgentSocket", timeout_seconds=10)
    )
    assert answer["statusCode"] == 400


def test_the_authorizer_denies_a_deep_event_before_reading_its_signing_key(socket_env: Any) -> None:
    event = {"methodArn": "arn:aws:execute-api:x", "queryStringParameters": {"token": deep_value()}}
    answer = panel_authorizer_handler()(event, LocalLambdaContext(function_name="Auth", timeout_seconds=10))
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["policyDocument"]["Statement"][0]["Resource"] == "arn:aws:execute-api:x"


# ---------------------------------------------------------------------------- Transcribe streaming
def transcribe_event(**result: Any) -> bytes:
    base = {"ResultId": "r", "StartTime": 1.0, "EndTime": 2.0, "Alternatives": [{"Transcript": "hi"}]}
    return json.dumps({"Transcript": {"Results": [{**base, **result}]}}).encode()


@pytest.mark.parametrize(
    "payload",
    [
        b'{"Transcript": ' + deep_text().encode() + b"}",
        transcribe_event(StartTime=float("nan")),
        transcribe_event(EndTime=float("inf")),
        transcribe_event(StartTime=-1.0),
        transcribe_event(EndTime="1e999"),
    ],
    ids=["deep", "NaN start", "infinite end", "negative start", "text infinity"],
)
def test_transcribe_results_with_deep_or_non_finite_values_are_skipped(payload: bytes) -> None:
    assert parse_transcript_event(payload) == []


def test_a_good_transcribe_result_is_read() -> None:
    (result,) = parse_transcript_event(transcribe_event())
    assert (result.start_time, result.end_time, result.text) == (1.0, 2.0, "hi")


# ---------------------------------------------------------------------------- envelopes and times
def test_an_sqs_record_nested_deep_is_one_permanent_failure_keeping_its_ids() -> None:
    record = {"messageId": "m-1", "receiptHandle": "r-1", "body": "{}", "attributes": deep_value(900)}
    message = QueueMessage.from_record(record)
    assert message is not None
    assert (message.message_id, message.receipt_handle, message.body) == ("m-1", "r-1", "{}")
    with pytest.raises(InvalidMessage, match="record refused: event nested deeper than 32") as refused:
        message.json()
    assert decide(refused.value, receive_count=1).permanent


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("1795000000000", datetime.fromtimestamp(1_795_000_000, UTC)),
        ("9" * 18, None),  # year 31 million
        ("-5", None),
        ("NaN", None),
        ("1e3", None),
    ],
)
def test_sqs_sent_timestamps_are_epoch_milliseconds_from_1970_to_9999(sent: str, expected: Any) -> None:
    record = {"messageId": "m", "body": "{}", "attributes": {"SentTimestamp": sent}}
    message = QueueMessage.from_record(record)
    assert message is not None
    assert message.sent_at == expected


def test_a_kvs_job_nested_deep_is_rejected_as_a_job() -> None:
    from connect_zendesk.kvs.job import KIND, InvalidJob, TranscriptionJob

    with pytest.raises(InvalidJob, match="event refused"):
        TranscriptionJob.from_event({"kind": KIND, "contactId": "c-1", "extra": deep_value(900)})


@pytest.mark.parametrize("confidence", [1e300, -0.5, "0.9", {"score": 7}])
def test_an_nlu_confidence_outside_0_to_1_is_no_confidence(confidence: Any) -> None:
    event = lex_event(
        interpretations=[{"intent": {"name": "CheckTicketStatus"}, "nluConfidence": confidence}]
    )
    assert parse_lex_event(event).nlu_confidence is None
    event["interpretations"][0]["nluConfidence"] = {"score": 0.87}
    assert parse_lex_event(event).nlu_confidence == 0.87


@pytest.mark.parametrize("absolute_time", ["1900-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"])
def test_a_chat_message_time_before_1970_gives_offset_zero_not_a_negative_key(absolute_time: str) -> None:
    from connect_zendesk.realtime.contact_lens import FinalTranscript, decode_event

    event = decode_event(
        {
            "ContactId": "c-1",
            "StreamingEventType": "SEGMENTS",
            "Segments": [
                {"Transcript": {"Id": "t", "Content": "hi", "Time": {"AbsoluteTime": absolute_time}}}
            ],
        }
    )
    (segment,) = event.segments
    assert isinstance(segment, FinalTranscript)
    assert (segment.begin_offset_ms, segment.end_offset_ms) == (0, 0)
