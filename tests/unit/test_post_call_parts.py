"""The pieces of the after-call steps on their own: the SQS runner's edges, the retry policy, settings,
tolerant reading of what other steps stored, sentiment, redaction, the note's layout, the adapters."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from connect_zendesk.adapters import comprehend
from connect_zendesk.adapters.analytics_bucket import S3AnalyticsStore
from connect_zendesk.adapters.comprehend import MAX_CHUNK_BYTES, ComprehendAnalyzer, _chunks
from connect_zendesk.adapters.connect_recordings import ConnectRecordingArchive
from connect_zendesk.adapters.idempotency import PowertoolsIdempotency
from connect_zendesk.adapters.sqs_queue import SqsMessageQueue
from connect_zendesk.adapters.transcripts_table import NoTranscripts
from connect_zendesk.call_services import CallServices, call_services_for
from connect_zendesk.domain.call_outcome import Outcome
from connect_zendesk.domain.call_record import ContactRecord, TranscriptSegment, parse_time
from connect_zendesk.domain.call_sentiment import SpeakerMood, speaker_mood
from connect_zendesk.domain.call_text import (
    CallText,
    bot_lines,
    comprehend_language,
    prepare_text,
    timeline_line,
)
from connect_zendesk.domain.post_call_note import CallSummary, connect_contact_link, render_note
from connect_zendesk.domain.post_call_ports import AnalysisUnavailable, Recording, UnsupportedLanguage
from connect_zendesk.errors import (
    InvalidInput,
    StorageError,
    ZendeskAuthFailed,
    ZendeskRateLimited,
    ZendeskRejected,
    ZendeskUnavailable,
)
from connect_zendesk.services import Services, use_services
from connect_zendesk.settings import ConfigurationError, Settings
from connect_zendesk.sqs.batch_step import sqs_batch_handler
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage
from connect_zendesk.sqs.retry import RetryLater, backoff_seconds, decide
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.sqs_poller import SqsPoller
from post_call_doubles import NOW, FakeTextAnalyzer, contact_event, sqs_event
from post_call_rig import PostCallRig

CONTACT = "c0000000-0000-4000-8000-000000000001"


# ---------------------------------------------------------------------------------- retry policy
@pytest.mark.parametrize(
    ("error", "delay", "permanent"),
    [
        (RetryLater("waiting", 14.2), 15, False),
        (ZendeskRateLimited("429", retry_after=5), 7, False),  # 5 + 1 + 10 % spread
        (ZendeskRateLimited("429", retry_after=None), 67, False),
        (ZendeskRejected("422"), 0, True),
        (InvalidInput("bad id"), 0, True),
        (InvalidMessage("not json"), 0, True),
        (ZendeskUnavailable("503"), 30, False),
        (ZendeskAuthFailed("401"), 30, False),
        (StorageError("throttled"), 30, False),
        (KeyError("bug"), 30, False),
    ],
)
def test_each_failure_gets_its_delay(error: Exception, delay: int, permanent: bool) -> None:
    decision = decide(error, receive_count=1, rng=lambda: 0.5)
    assert (decision.delay_seconds, decision.permanent) == (delay, permanent)
    assert decision.expected is isinstance(error, RetryLater)


def test_backoff_doubles_then_caps_with_bounded_jitter() -> None:
    assert [backoff_seconds(n, rng=lambda: 0.5) for n in (1, 2, 3, 4, 5, 6, 10, 40)] == [
        30, 60, 120, 240, 480, 900, 900, 900,
    ]  # fmt: skip
    assert backoff_seconds(1, rng=lambda: 0.0) == 24
    assert backoff_seconds(1, rng=lambda: 1.0) == 36
    assert decide(RetryLater("x", 10**9), 1).delay_seconds == 43_200  # SQS's longest visibility


# ---------------------------------------------------------------------------------- the SQS runner
class RecordingMessageQueue:
    def __init__(self, *, fail: bool = False) -> None:
        self.delays: list[tuple[str, int]] = []
        self.dead: list[tuple[str, dict[str, str]]] = []
        self.fail = fail

    def delay(self, receipt_handle: str, seconds: int) -> None:
        if self.fail:
            raise StorageError("ChangeMessageVisibility failed")
        self.delays.append((receipt_handle, seconds))

    def dead_letter(self, body: str, attributes: dict[str, str]) -> None:
        if self.fail:
            raise StorageError("SendMessage failed")
        self.dead.append((body, dict(attributes)))


@pytest.fixture
def runner(post_call_env: dict[str, str]) -> Any:
    queue = RecordingMessageQueue()
    services = CallServices(Settings.from_env(post_call_env), message_queue=queue, idempotency=object())
    outcomes: list[Any] = []

    def logic(message: QueueMessage, _services: CallServices) -> str:
        action = outcomes.pop(0) if outcomes else "ok"
        if isinstance(action, BaseException):
            raise action
        return str(action)

    handler = sqs_batch_handler("test_step", logic, required_env=frozenset({"CONTACTS_TABLE"}))
    with use_services(services):
        yield handler, queue, outcomes


def test_an_event_that_is_not_an_sqs_batch_is_rejected_without_failing(runner: Any) -> None:
    handler, _, _ = runner
    context = LocalLambdaContext("F", timeout_seconds=60)
    assert handler({"Records": "nope"}, context) == {"batchItemFailures": []}
    assert handler(["no"], context) == {"batchItemFailures": []}


def test_records_without_a_message_id_are_skipped(runner: Any) -> None:
    handler, _, _ = runner
    event = sqs_event("{}")
    event["Records"].append({"body": "{}"})
    assert handler(event, LocalLambdaContext("F", timeout_seconds=60)) == {"batchItemFailures": []}


def test_messages_are_returned_unprocessed_when_time_runs_short(runner: Any) -> None:
    handler, queue, _ = runner
    context = LocalLambdaContext("F", timeout_seconds=10)
    assert handler(sqs_event("{}", "{}"), context) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]
    }
    assert queue.delays == [("handle-0", 0), ("handle-1", 0)]


def test_one_failing_message_does_not_fail_the_others(runner: Any) -> None:
    handler, queue, outcomes = runner
    outcomes += ["ok", ZendeskUnavailable("503"), "ok"]
    response = handler(sqs_event("{}", "{}", "{}"), LocalLambdaContext("F", timeout_seconds=60))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert [handle for handle, _ in queue.delays] == ["handle-1"]


def test_a_bug_is_logged_with_its_trace_and_retried(runner: Any, caplog: pytest.LogCaptureFixture) -> None:
    handler, queue, outcomes = runner
    outcomes.append(ZeroDivisionError("division by zero"))
    response = handler(sqs_event("{}"), LocalLambdaContext("F", timeout_seconds=60))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert "unexpected failure" in caplog.text
    assert 24 <= queue.delays[0][1] <= 36


def test_a_queue_that_cannot_delay_still_reports_the_failure(post_call_env: dict[str, str]) -> None:
    queue = RecordingMessageQueue(fail=True)
    services = CallServices(Settings.from_env(post_call_env), message_queue=queue, idempotency=object())

    def failing(message: QueueMessage, _services: CallServices) -> str:
        raise ZendeskUnavailable("503")

    handler = sqs_batch_handler("test_step", failing, required_env=frozenset())
    with use_services(services):
        event = sqs_event("{}", receive_count=services.settings.post_call.max_receives)
        # the last attempt: the dead-letter copy fails too, the message stays failed for the redrive policy
        assert handler(event, LocalLambdaContext("F", timeout_seconds=60)) == {
            "batchItemFailures": [{"itemIdentifier": "msg-0"}]
        }


def test_a_misconfigured_consumer_fails_every_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_zendesk.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("POST_CALL_MAX_RECEIVES", "lots")
    handler = sqs_batch_handler("test_step", lambda m, s: "ok", required_env=frozenset())
    response = handler(sqs_event("{}", "{}"), LocalLambdaContext("F", timeout_seconds=60))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}


def test_message_records_are_read_tolerantly() -> None:
    message = QueueMessage.from_record(
        {
            "messageId": "m",
            "body": None,
            "attributes": {"ApproximateReceiveCount": "x", "SentTimestamp": "soon"},
        }
    )
    assert message is not None
    assert (message.body, message.receive_count, message.sent_at, message.receipt_handle) == ("", 1, None, "")
    assert QueueMessage.from_record({"messageId": 7}) is None
    with pytest.raises(InvalidMessage):
        message.json()


@pytest.mark.parametrize(
    ("count", "read"), [("3", 3), ("+14155552671", 1), ("-2", 1), ("٣", 1), (" 4", 1), ("9" * 5000, 1)]
)
def test_a_receive_count_is_read_only_from_an_unsigned_decimal(count: str, read: int) -> None:
    # A planted phone number must not become a count (it was logged as receive_count, unmasked)
    message = QueueMessage.from_record({"messageId": "m", "attributes": {"ApproximateReceiveCount": count}})
    assert message is not None
    assert message.receive_count == read


def test_call_services_refuse_unknown_adapters_and_plain_overrides(post_call_env: dict[str, str]) -> None:
    settings = Settings.from_env(post_call_env)
    with pytest.raises(TypeError, match="unknown adapters: nope"):
        CallServices(settings, nope=object())
    with use_services(Services(settings)), pytest.raises(TypeError, match="needs a CallServices"):
        call_services_for(settings)


def test_call_services_build_their_adapters_from_settings(post_call_env: dict[str, str]) -> None:
    settings = Settings.from_env(post_call_env)
    container = call_services_for(settings)
    assert call_services_for(settings) is container
    assert isinstance(container.message_queue, SqsMessageQueue)
    assert isinstance(container.text_analyzer, ComprehendAnalyzer)
    assert isinstance(container.recordings, ConnectRecordingArchive)
    without = CallServices(
        dataclasses.replace(settings, post_call=dataclasses.replace(settings.post_call, transcripts_table=""))
    )
    assert isinstance(without.transcripts, NoTranscripts)
    assert without.transcripts.segments(CONTACT) == []
    assert type(container.zendesk_tickets).__name__ == "ZendeskTicketWriter"


# ---------------------------------------------------------------------------------- settings
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CONNECT_ACCESS_URL", "http://acme.my.connect.aws", "CONNECT_ACCESS_URL"),
        ("POST_CALL_TAGS", "connect call,ok", "invalid Zendesk tags: connect"),
        ("SENTIMENT_TAG_PREFIX", "Sentiment prefix", "SENTIMENT_TAG_PREFIX"),
        ("BOT_RESOLVED_TAG", "bot resolved", "BOT_RESOLVED_TAG"),
        ("AUTOMATED_RESOLUTION_TAG", "auto resolved", "AUTOMATED_RESOLUTION_TAG"),
        ("REDACT_TRANSCRIPT_PII", "maybe", "true or false"),
        ("ATTACH_RECORDING_AUDIO", "true", "needs RECORDINGS_BUCKET"),
        ("POST_CALL_MAX_RECEIVES", "1", "between 2 and 1000"),
        ("RESOLUTION_WINDOW_HOURS", "0", "between 1 and 2160"),
    ],
)
def test_post_call_settings_are_validated(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({name: value})


def test_post_call_settings_parse_their_values() -> None:
    settings = Settings.from_env(
        {
            "POST_CALL_TAGS": " Voice, connect_call ,voice,",
            "REDACT_TRANSCRIPT_PII": "YES",
            "ATTACH_RECORDING_AUDIO": "",
            "CONNECT_ACCESS_URL": "https://acme.my.connect.aws/",
            "RECORDINGS_PREFIX": "/connect/acme/CallRecordings/",
            "RECORDING_ATTACHMENT_MAX_MB": "5",
            "SENTIMENT_TAG_PREFIX": "",
        }
    )
    post_call = settings.post_call
    assert post_call.tags == ("voice", "connect_call")
    assert post_call.redact_pii is True
    assert post_call.attach_recording is False
    assert post_call.connect_access_url == "https://acme.my.connect.aws"
    assert post_call.recordings_prefix == "connect/acme/CallRecordings"
    assert post_call.recording_max_bytes == 5 * 1024 * 1024
    assert post_call.sentiment_tag_prefix == ""
    assert Settings.from_env({"POST_CALL_TAGS": ""}).post_call.tags == ()


# ---------------------------------------------------------------------------------- what other steps stored
def test_contact_records_tolerate_missing_and_malformed_attributes() -> None:
    record = ContactRecord.from_item(
        CONTACT,
        {
            "zendeskUserId": "abc",
            "selectedTicketId": Decimal("1001"),
            "conversation": [{"text": ""}, "junk", {"text": " hi ", "role": "", "at": "not a time"}],
            "fulfilledIntents": "OrderStatus",
            "handoff": "yes",
            "sentiment": {
                "customer": {"score": "0.5", "counts": {"positive": 2}, "trend": [0.1, "x", 0.9]},
                "AGENT": 3,
            },
            "keyPhrases": [{"text": "refund", "score": "high", "count": 0}, {"score": 1}],
            "agentNotes": [{"text": "note", "at": "2026-11-21T10:00:00"}],
            "agentConnected": "true",
            "postCall": {"status": "done", "ticketId": -4},
            "resolution": "automated",
            "transcriptStatus": "started",
        },
    )
    assert (record.zendesk_user_id, record.selected_ticket_id) == (None, 1001)
    assert [(t.role, t.text, t.at) for t in record.conversation] == [("caller", "hi", None)]
    assert record.fulfilled_intents == ()
    assert record.handoff is None
    assert record.sentiment["CUSTOMER"].counts == {"POSITIVE": 2}
    assert record.sentiment["CUSTOMER"].trend == (0.1, 0.9)
    assert "AGENT" not in record.sentiment
    assert [(p.text, p.score, p.count) for p in record.key_phrases] == [("refund", None, 1)]
    assert record.agent_notes[0].at == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert record.agent_connected is False  # only a real boolean counts
    assert (record.post_call.status, record.post_call.ticket_id) == ("DONE", None)
    assert record.resolution is None
    assert record.transcript_in_progress is True
    assert ContactRecord.from_item(CONTACT, None) == ContactRecord(CONTACT)


def test_transcript_segments_are_read_tolerantly() -> None:
    assert TranscriptSegment.from_item({"text": "  "}) is None
    segment = TranscriptSegment.from_item(
        {
            "text": "line\nbreak",
            "beginOffsetMs": "1500",
            "endOffsetMs": 900.0,
            "sentiment": "ANGRY",
            "sentimentScore": {"POSITIVE": "0.1", "negative": Decimal("0.9"), "Mixed": "n/a"},
        }
    )
    assert segment is not None
    assert (segment.speaker, segment.text, segment.begin_ms, segment.end_ms) == (
        "UNKNOWN",
        "line break",
        1500,
        1500,
    )
    assert segment.sentiment == ""
    assert segment.sentiment_score == {"Positive": 0.1, "Negative": 0.9}
    assert parse_time("2026-11-21T10:00:00+02:00") == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert parse_time("") is None


# ---------------------------------------------------------------------------------- sentiment
def segment(speaker: str, sentiment: str, score: dict[str, float] | None = None) -> TranscriptSegment:
    return TranscriptSegment(speaker, "text", 0, 1, "en-US", sentiment, score)


def test_the_stored_aggregate_wins_and_segment_scores_give_the_shape() -> None:
    contact = ContactRecord.from_item(
        CONTACT,
        {
            "sentiment": {
                "CUSTOMER": {"score": -0.6, "counts": {"NEGATIVE": 3, "POSITIVE": 1}, "trend": [-1, -1, 0, 1]}
            }
        },
    )
    scored = [
        segment("CUSTOMER", "NEGATIVE", {"Positive": 0.1, "Negative": 0.8, "Neutral": 0.1, "Mixed": 0.0})
    ]
    mood = speaker_mood("CUSTOMER", contact, scored)
    assert mood.label == "NEGATIVE"
    assert mood.scores == {"Positive": 0.1, "Negative": 0.8, "Neutral": 0.1, "Mixed": 0.0}
    assert (mood.score, mood.direction) == (-0.6, "improving")
    shares = speaker_mood("CUSTOMER", contact, [])
    assert shares.scores == {"Positive": 0.25, "Negative": 0.75, "Neutral": 0.0, "Mixed": 0.0}


def test_a_score_without_counts_is_kept_without_a_label() -> None:
    contact = ContactRecord.from_item(CONTACT, {"sentiment": {"AGENT": {"score": 0.2}}})
    mood = speaker_mood("AGENT", contact, [])
    assert (mood.label, mood.score, mood.known) == ("", 0.2, False)
    assert mood.comprehend_shape() == {"Sentiment": None, "SentimentScore": None}


@pytest.mark.parametrize(
    ("labels", "direction"),
    [
        (["POSITIVE", "NEUTRAL", "NEGATIVE", "NEGATIVE"], "worsening"),
        (["NEUTRAL", "NEUTRAL"], "steady"),
        (["MIXED"], ""),
    ],
)
def test_trend_direction_compares_the_halves(labels: list[str], direction: str) -> None:
    mood = speaker_mood("CUSTOMER", ContactRecord(CONTACT), [segment("CUSTOMER", label) for label in labels])
    assert mood.direction == direction


# ---------------------------------------------------------------------------------- text and note
def test_redaction_never_merges_lines_and_ignores_spans_out_of_range() -> None:
    class WideSpans(FakeTextAnalyzer):
        def detect_pii(self, text: str, language: str) -> list[Any]:
            from connect_zendesk.domain.post_call_ports import TextSpan

            end_of_first = text.index("\n")
            return [TextSpan("NAME", 0.9, end_of_first - 3, end_of_first + 4), TextSpan("X", 0.5, 900, 901)]

    contact = ContactRecord(CONTACT)
    segments = [segment("CUSTOMER", ""), segment("AGENT", "")]
    segments = [
        dataclasses.replace(segments[0], text="I am Bob"),
        dataclasses.replace(segments[1], text="Hello Bob"),
    ]
    text = prepare_text(contact, segments, redact=True, analyzer=WideSpans())
    assert [s.text for s in text.segments] == ["I am [NAME]", "[NAME]lo Bob"]
    assert text.pii_spans == 2


def test_comprehend_language_codes() -> None:
    assert [comprehend_language(c) for c in ("en-US", "ja_JP", "zh-TW", "zh-CN", "")] == [
        "en",
        "ja",
        "zh-TW",
        "zh",
        "en",
    ]


def test_timeline_stamps() -> None:
    assert timeline_line(3_725_000, None, "Agent", "x") == "[1:02:05] Agent: x"
    assert (
        timeline_line(None, datetime(2026, 11, 21, 9, 5, 7, tzinfo=UTC), "Bot", "y")
        == "[09:05:07 UTC] Bot: y"
    )
    assert timeline_line(None, None, "Caller", "z") == "[--:--] Caller: z"
    text = CallText(
        (),
        (
            ContactRecord.from_item(
                CONTACT, {"conversation": [{"text": "early", "at": "2026-11-21T08:00:00Z"}]}
            ).conversation
        ),
        "en-US",
    )
    assert bot_lines(text, datetime(2026, 11, 21, 9, tzinfo=UTC)) == ["[08:00:00 UTC] Caller: early"]


def summary(**changes: Any) -> CallSummary:
    base = CallSummary(
        contact_id=CONTACT,
        channel="CHAT",
        initiation_method="API",
        started_at=None,
        ended_at=NOW,
        queue_id="",
        agent_id="",
        outcome=Outcome.ABANDONED,
        contact=ContactRecord(CONTACT),
        text=CallText((), (), "en-US"),
        customer=SpeakerMood(),
        agent=SpeakerMood(),
    )
    return dataclasses.replace(base, **changes)


def test_the_note_of_a_contact_with_nothing_known() -> None:
    body = render_note(summary(), 20_000).body
    assert body.startswith("Chat (api) · 2026-11-21 12:00:00 UTC\n")
    assert "Started: unknown" in body
    assert "Queue: none" in body
    assert f"Recording and contact details: Amazon Connect, contact {CONTACT}" in body
    assert "Transcript: none recorded" in body


def test_an_oversized_head_is_cut_but_keeps_the_marker() -> None:
    notes = [{"text": "x" * 3000, "agentId": "a"} for _ in range(5)]
    contact = ContactRecord.from_item(CONTACT, {"agentNotes": notes})
    note = render_note(summary(contact=contact, audio_line="Audio: attached (r.wav)"), 4000)
    assert len(note.body) <= 4000
    assert "… (note shortened)" in note.body
    assert note.body.endswith(f"[connect-contact:{CONTACT}]")
    assert note.attachment is not None


def test_long_durations_and_links() -> None:
    long_call = summary(started_at=NOW - timedelta(hours=2, minutes=3, seconds=4))
    assert "Duration: 2 h 3 min 4 s" in render_note(long_call, 20_000).body
    assert connect_contact_link("https://acme.awsapps.com", "c") == (
        "https://acme.awsapps.com/connect/contact-trace-records/details/c"
    )
    assert connect_contact_link("", "c") == ""


# ---------------------------------------------------------------------------------- adapters
def test_comprehend_chunks_split_at_line_ends_and_keep_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    line = "a" * 40_000
    text = "\n".join([line, line, line, "é" * (MAX_CHUNK_BYTES // 2 + 10)])
    pieces = list(_chunks(text))
    assert "".join(chunk for _, chunk in pieces) == text
    assert all(len(chunk.encode()) <= MAX_CHUNK_BYTES for _, chunk in pieces)
    assert [offset for offset, _ in pieces][:2] == [0, 80_002]

    client = boto3.client("comprehend", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "detect_pii_entities",
        {"Entities": [{"Type": "NAME", "Score": 0.99, "BeginOffset": 8, "EndOffset": 11}]},
        {"Text": "Hi, I'm Bob", "LanguageCode": "en"},
    )
    stubber.add_response(
        "detect_entities",
        {"Entities": [{"Type": "PERSON", "Score": 0.9, "BeginOffset": 8, "EndOffset": 11, "Text": "Bob"}]},
        {"Text": "Hi, I'm Bob", "LanguageCode": "ja"},
    )
    stubber.add_client_error("detect_pii_entities", "ThrottlingException")
    monkeypatch.setattr(comprehend, "aws_client", lambda *_: client)
    analyzer = ComprehendAnalyzer()
    with stubber:
        (pii,) = analyzer.detect_pii("Hi, I'm Bob", "en-US")
        assert (pii.type, pii.begin, pii.end) == ("NAME", 8, 11)
        ((entity, entity_text),) = analyzer.detect_entities("Hi, I'm Bob", "ja-JP")
        assert (entity.type, entity_text) == ("PERSON", "Bob")
        with pytest.raises(AnalysisUnavailable, match="ThrottlingException"):
            analyzer.detect_pii("again", "en")
    with pytest.raises(UnsupportedLanguage):
        analyzer.detect_pii("山田です", "ja-JP")
    assert analyzer.detect_entities("texte", "sv-SE") == []


def test_recordings_are_found_by_day_and_contact(aws: Any) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="connect-recordings")
    s3.put_object(
        Bucket="connect-recordings",
        Key=f"connect/acme/CallRecordings/2026/11/21/{CONTACT}_20261121T11:52_UTC.wav",
        Body=b"RIFF....WAVE",
    )
    store = ConnectRecordingArchive("connect-recordings", "/connect/acme/CallRecordings/")
    found = store.find(CONTACT, [NOW - timedelta(days=1), NOW])
    assert found == Recording(f"connect/acme/CallRecordings/2026/11/21/{CONTACT}_20261121T11:52_UTC.wav", 12)
    assert store.read(found) == b"RIFF....WAVE"
    assert store.find("other", [NOW]) is None
    assert ConnectRecordingArchive("", "x").find(CONTACT, [NOW]) is None


def test_a_missing_analytics_document_is_none_and_other_errors_are_storage_errors(aws: Any) -> None:
    store = S3AnalyticsStore(aws.physical["AnalyticsBucket"].ref)
    assert store.get("calls/dt=2026-11-21/none.json") is None
    with pytest.raises(StorageError):
        S3AnalyticsStore("no-such-bucket").get("x")


def test_idempotency_without_a_lambda_context_and_with_a_broken_table(aws: Any) -> None:
    runner = PowertoolsIdempotency(
        aws.physical["IdempotencyTable"].ref, key_prefix="t", expires_after_seconds=60
    )
    runner.register_lambda_context(object())  # not a Lambda context: ignored
    assert runner.run("k", lambda: {"n": 1}) == {"n": 1}
    assert runner.run("k", lambda: {"n": 2}) == {"n": 1, "replayed": True}
    with pytest.raises(StorageError, match="idempotency table missing"):
        PowertoolsIdempotency("missing", key_prefix="t", expires_after_seconds=60).run("k", dict)


# ---------------------------------------------------------------------------------- recordings in the note
def test_the_recording_is_attached_when_small_enough(rig: PostCallRig) -> None:
    s3 = rig.client("s3")
    s3.create_bucket(Bucket="connect-recordings")
    key = f"connect/acme/CallRecordings/2026/11/21/{CONTACT}_20261121T11:53_UTC.wav"
    s3.put_object(Bucket="connect-recordings", Key=key, Body=b"RIFF" + b"\0" * 2048)
    rig.configure(
        attach_recording=True,
        recordings_bucket="connect-recordings",
        recordings_prefix="connect/acme/CallRecordings",
    )
    rig.seed_contact(CONTACT, zendeskUserId=1001, selectedTicketId=1001)
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    (comment,) = rig.tickets.tickets[1001].comments
    assert f"Audio: attached ({CONTACT}_20261121T11:53_UTC.wav)" in comment["body"]
    ((attachment),) = comment["attachments"]
    assert (attachment.content_type, len(attachment.content)) == ("audio/wav", 2052)


def test_a_large_or_missing_recording_is_explained_not_attached(rig: PostCallRig) -> None:
    s3 = rig.client("s3")
    s3.create_bucket(Bucket="connect-recordings")
    s3.put_object(Bucket="connect-recordings", Key=f"rec/2026/11/21/{CONTACT}_x.wav", Body=b"\0" * 4096)
    rig.configure(
        attach_recording=True,
        recordings_bucket="connect-recordings",
        recordings_prefix="rec",
        recording_max_bytes=1024,
    )
    rig.seed_contact(CONTACT, zendeskUserId=1001, selectedTicketId=1001)
    other = "c0000000-0000-4000-8000-000000000002"
    rig.seed_contact(other, zendeskUserId=1001, selectedTicketId=1001)
    rig.send(
        contact_event(CONTACT, agent=True),
        contact_event(other, agent=True, ended=NOW - timedelta(minutes=20)),
    )
    rig.deliver()
    bodies = " ".join(rig.tickets.notes(1001))
    assert f"Audio: {CONTACT}_x.wav (0.0 MB) is above the attachment limit; use the link" in bodies
    assert "Audio: no recording found for this call" in bodies


def test_a_recording_not_yet_uploaded_delays_the_note(rig: PostCallRig) -> None:
    rig.client("s3").create_bucket(Bucket="connect-recordings")
    rig.configure(attach_recording=True, recordings_bucket="connect-recordings", recordings_prefix="rec")
    rig.seed_contact(CONTACT, zendeskUserId=1001, selectedTicketId=1001)
    assert rig.handler(sqs_event(contact_event(CONTACT, agent=True))) == {
        "batchItemFailures": [{"itemIdentifier": "msg-0"}]
    }
    assert rig.queue.delays == [15]


def test_the_local_poller_keeps_a_batch_the_handler_failed_or_answered_wrongly(aws: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="poller-test", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="one", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    seen: list[dict[str, Any]] = []

    def raising(event: dict[str, Any]) -> Any:
        seen.append(event)
        raise RuntimeError("boom")

    result = SqsPoller(sqs, url, "arn:aws:sqs:us-east-1:123456789012:poller-test", raising).poll_once()
    assert (result.received, result.deleted, type(result.raised)) == (1, 0, RuntimeError)
    record = seen[0]["Records"][0]
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["eventSourceARN"].endswith(":poller-test")
    for answer in ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"batchItemFailures": "x"}):
        again = SqsPoller(sqs, url, "arn", lambda event, a=answer: a).poll_once()
        assert again.deleted == 0
    done = SqsPoller(sqs, url, "arn", lambda event: None).drain()
    assert [r.deleted for r in done] == [1]
