"""The sentiment step: batching, Contact Lens sentiment kept, aggregation, one alert per streak."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import boto3
import pytest
from connect_zendesk.adapters.comprehend import AnalysisUnavailable, ComprehendClient, fit
from connect_zendesk.adapters.connections_table import PanelConnection
from connect_zendesk.realtime import analysis
from connect_zendesk.realtime.analysis import (
    UNSUPPORTED_LANGUAGE,
    ComprehendAnalyser,
    Document,
    LocalAnalyser,
    analyser_for,
    comprehend_language,
    rake_phrases,
)
from connect_zendesk.realtime.segments import Segment
from connect_zendesk.realtime.sentiment import SentimentStep, aggregate, segment_score
from connect_zendesk.realtime.stream_records import table_stream_records
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.event_sources import typed_image
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from realtime_doubles import FakeAlertTopic, FakeGateway, ScriptedAnalyser
from unit_doubles import NOW

CONTACT = "contact-0001"


def segment(
    n: int, speaker: str, text: str, sentiment: str | None = None, language: str = "en-US"
) -> Segment:
    return Segment(
        CONTACT,
        f"s-{n:02d}",
        speaker,
        text,
        n * 1000,
        n * 1000 + 900,
        NOW.timestamp(),
        language,
        sentiment=sentiment,
        sentiment_source="contact_lens" if sentiment else None,
    )


def stream_event(
    segments: list[Segment], event_name: str = "INSERT", extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": f"e{n}",
                "eventName": event_name,
                "eventSource": "aws:dynamodb",
                "dynamodb": {
                    "Keys": typed_image({"contactId": s.contact_id, "position": s.position}),
                    "NewImage": typed_image({**s.to_item(90), **(extra or {})}),
                    "SequenceNumber": f"{1000 + n}",
                    "StreamViewType": "NEW_IMAGE",
                },
            }
            for n, s in enumerate(segments)
        ]
    }


@pytest.fixture
def analyser() -> ScriptedAnalyser:
    return ScriptedAnalyser()


@pytest.fixture
def topic() -> FakeAlertTopic:
    return FakeAlertTopic()


@pytest.fixture
def step(realtime: RealtimeServices, analyser: ScriptedAnalyser, topic: FakeAlertTopic) -> SentimentStep:
    return SentimentStep(
        analyser=analyser,
        writer=realtime.writer,
        segments=realtime.transcripts,
        contacts=realtime.contacts,
        pusher=realtime.pusher,
        alert_after=3,
        alert_topic=topic,
        clock=realtime.clock,
    )


def store(realtime: RealtimeServices, segments: list[Segment]) -> None:
    assert realtime.writer.write(segments) == set()


def process(step: SentimentStep, segments: list[Segment], **kwargs: Any) -> list[str]:
    return step.process(table_stream_records(stream_event(segments, **kwargs)))


def contact(aws: Template) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical["ContactsTable"].ref)
    return table.get_item(Key={"contactId": CONTACT}).get("Item", {})


def test_a_batch_is_analysed_in_one_call_and_lens_sentiment_is_never_re_analysed(
    step: SentimentStep, realtime: RealtimeServices, analyser: ScriptedAnalyser
) -> None:
    segments = [
        segment(1, "AGENT", "hello how can I help", "NEUTRAL"),
        segment(2, "CUSTOMER", "I am angry"),
        segment(3, "CUSTOMER", "thanks a lot"),
    ]
    store(realtime, segments)

    assert process(step, segments) == []

    (call,) = analyser.calls  # one batch for the whole stream batch
    assert [d.want_sentiment for d in call] == [False, True, True]
    stored = {i["segmentId"]: i for i in realtime.transcripts.contact_segments(CONTACT)}
    assert (stored["s-01"]["sentiment"], stored["s-01"]["sentimentSource"]) == ("NEUTRAL", "contact_lens")
    assert (stored["s-02"]["sentiment"], stored["s-02"]["sentimentSource"]) == ("NEGATIVE", "local")
    assert stored["s-03"]["sentiment"] == "POSITIVE"
    assert stored["s-02"]["sentimentScore"]["Negative"] == Decimal("0.9")
    assert all("analyzedAt" in item and item["keyPhrases"] for item in stored.values())


def test_its_own_write_backs_and_removals_are_skipped(
    step: SentimentStep, analyser: ScriptedAnalyser
) -> None:
    analysed = [segment(1, "CUSTOMER", "I am angry")]
    assert process(step, analysed, event_name="MODIFY", extra={"analyzedAt": "2026-11-21T12:00:00Z"}) == []
    assert process(step, analysed, event_name="REMOVE") == []
    assert analyser.calls == []


def test_the_contact_aggregate_counts_per_speaker_with_trend_and_top_phrases(
    step: SentimentStep, realtime: RealtimeServices, aws: Template, gateway: FakeGateway
) -> None:
    realtime.connections.add(
        PanelConnection("conn-1", CONTACT, "a", int(NOW.timestamp()) + 60), connected_at="x"
    )
    segments = [
        segment(1, "AGENT", "hello there", "POSITIVE"),
        segment(2, "CUSTOMER", "hello again"),
        segment(3, "CUSTOMER", "I am angry"),
    ]
    store(realtime, segments)
    process(step, segments)

    record = contact(aws)
    customer = record["sentiment"]["CUSTOMER"]
    assert customer["counts"] == {"POSITIVE": 0, "NEGATIVE": 1, "NEUTRAL": 1, "MIXED": 0}
    assert customer["trend"] == [Decimal("0"), Decimal("-0.85")]
    assert customer["score"] == Decimal("-0.425")
    assert record["sentiment"]["AGENT"]["counts"]["POSITIVE"] == 1
    assert record["keyPhrases"][0] == {"text": "hello", "score": Decimal("0.5"), "count": 2}
    kinds = [m["type"] for m in gateway.messages("conn-1")]
    assert kinds.count("segmentSentiment") == 2  # the analysed ones; the Contact Lens one was shown already
    assert kinds[-1] == "sentiment"


def test_a_negative_streak_raises_one_alert_to_the_panel_and_the_supervisors(
    step: SentimentStep,
    realtime: RealtimeServices,
    topic: FakeAlertTopic,
    gateway: FakeGateway,
    aws: Template,
) -> None:
    realtime.connections.add(
        PanelConnection("conn-1", CONTACT, "a", int(NOW.timestamp()) + 60), connected_at="x"
    )
    first = [
        segment(1, "CUSTOMER", "I am angry"),
        segment(2, "AGENT", "sorry", "NEUTRAL"),
        segment(3, "CUSTOMER", "so angry"),
    ]
    store(realtime, first)
    process(step, first)
    assert gateway.messages("conn-1", "alert") == []  # two in a row: not yet

    third = [segment(4, "CUSTOMER", "angry still")]
    store(realtime, third)
    process(step, third)
    process(step, third)  # a retried batch must not alert twice
    fourth = [segment(5, "CUSTOMER", "angry forever")]
    store(realtime, fourth)
    process(step, fourth)  # the same streak goes on: no new alert

    (alert,) = gateway.messages("conn-1", "alert")
    assert (alert["streak"], alert["since"]) == (3, first[0].position)
    assert len(topic.published) == 1
    assert topic.published[0][1]["contactId"] == CONTACT
    assert contact(aws)["sentimentAlert"]["streakStart"] == first[0].position

    # A positive utterance ends the streak; a new streak alerts again.
    calm = [segment(6, "CUSTOMER", "thanks")]
    later = [segment(n, "CUSTOMER", "angry again") for n in (7, 8, 9)]
    store(realtime, calm + later)
    process(step, calm + later)
    assert len(gateway.messages("conn-1", "alert")) == 2
    assert len(topic.published) == 2


def test_analysis_failure_fails_the_records_to_be_retried(
    step: SentimentStep, analyser: ScriptedAnalyser, realtime: RealtimeServices
) -> None:
    analyser.fail_with = AnalysisUnavailable("throttled")
    segments = [segment(1, "CUSTOMER", "I am angry"), segment(2, "CUSTOMER", "hello")]
    store(realtime, segments)
    assert process(step, segments) == ["1000", "1001"]


def test_a_broken_stream_record_fails_alone(step: SentimentStep, realtime: RealtimeServices) -> None:
    segments = [segment(1, "CUSTOMER", "hello")]
    store(realtime, segments)
    event = stream_event(segments)
    event["Records"].append(
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "2000", "NewImage": {"x": {"Q": 1}}}}
    )
    event["Records"].append(
        {
            "eventName": "INSERT",
            "dynamodb": {"SequenceNumber": "2001", "NewImage": typed_image({"text": "no key"})},
        }
    )
    assert step.process(table_stream_records(event)) == ["2000", "2001"]


def test_aggregate_failure_fails_that_contacts_records(
    step: SentimentStep, realtime: RealtimeServices, aws: Template
) -> None:
    segments = [segment(1, "CUSTOMER", "hello")]
    store(realtime, segments)
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName=aws.physical["ContactsTable"].ref
    )
    assert process(step, segments) == ["1000"]


def test_unpublished_supervisor_alerts_do_not_fail_the_batch(
    step: SentimentStep, realtime: RealtimeServices, topic: FakeAlertTopic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connect_zendesk.errors import StorageError

    def refuse(subject: str, message: Any) -> None:
        raise StorageError("Publish failed")

    monkeypatch.setattr(topic, "publish", refuse)
    segments = [segment(n, "CUSTOMER", "angry") for n in (1, 2, 3)]
    store(realtime, segments)
    assert process(step, segments) == []


def test_aggregate_of_stored_items_ignores_unanalysed_and_unknown_speakers() -> None:
    result = aggregate(
        [
            {"speaker": "CUSTOMER", "position": "1", "sentiment": "NEGATIVE"},
            {"speaker": "CUSTOMER", "position": "2"},  # not analysed (e.g. unsupported language)
            {"speaker": "SYSTEM", "position": "3", "sentiment": "POSITIVE"},
            {
                "speaker": "CUSTOMER",
                "position": "4",
                "sentiment": "MIXED",
                "keyPhrases": [{"text": " "}, "x"],
            },
        ]
    )
    assert result.speakers["CUSTOMER"]["counts"]["NEGATIVE"] == 1
    assert (result.negative_streak, result.analysed, result.key_phrases) == (0, 2, [])
    assert segment_score(None, None) is None
    assert segment_score("MIXED", {"Positive": 0.4}) == 0.0


# ---------------------------------------------------------------------------- backends
def test_local_backend_reads_english_and_says_so_for_other_languages() -> None:
    angry, happy, japanese, mixed = LocalAnalyser().analyse(
        [
            Document("I am very angry, this is terrible service.", "en-US", True),
            Document("Thank you, that is great, I really appreciate it.", "en-GB", True),
            Document("とても怒っています", "ja-JP", True),
            Document("I love it and I hate it.", "en-US", True),
        ]
    )
    assert angry.sentiment == "NEGATIVE"
    assert angry.scores is not None
    assert angry.scores["Negative"] > 0.3
    assert happy.sentiment == "POSITIVE"
    assert ("terrible service", 1.0) in angry.key_phrases
    assert (japanese.sentiment, japanese.note, japanese.key_phrases) == (None, UNSUPPORTED_LANGUAGE, ())
    assert mixed.sentiment == "MIXED"
    keep_lens = LocalAnalyser().analyse([Document("hello world again", "en-US", False)])[0]
    assert keep_lens.sentiment is None
    assert keep_lens.key_phrases


def test_rake_phrases_split_at_stopwords_and_punctuation() -> None:
    phrases = dict(rake_phrases("My order number 4471 was charged twice, and the printer is offline."))
    assert "order number 4471" in phrases
    assert "printer" in phrases
    assert rake_phrases("and the of it") == ()


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("en-US", "en"),
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh-TW"),
        ("zh_HK", "zh-TW"),
        ("es-MX", "es"),
        ("th-TH", None),
        ("", None),
    ],
)
def test_comprehend_language_codes(language: str, code: str | None) -> None:
    assert comprehend_language(language) == code


class FakeComprehend:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []

    def _record(self, operation: str, texts: list[str], language: str) -> None:
        self.calls.append((operation, len(texts), language))

    def sentiment(self, texts: list[str], language: str) -> dict[int, dict[str, Any]]:
        self._record("sentiment", texts, language)
        return {
            i: {
                "Index": i,
                "Sentiment": "NEGATIVE",
                "SentimentScore": {"Positive": 0.1, "Negative": 0.8, "Neutral": 0.1, "Mixed": 0.0},
            }
            for i, text in enumerate(texts)
            if text != "reject me"
        }

    def key_phrases(self, texts: list[str], language: str) -> dict[int, dict[str, Any]]:
        self._record("key_phrases", texts, language)
        return {
            i: {"Index": i, "KeyPhrases": [{"Text": t[:5], "Score": 0.9}, {"Text": "", "Score": 1}]}
            for i, t in enumerate(texts)
        }

    def entities(self, texts: list[str], language: str) -> dict[int, dict[str, Any]]:
        self._record("entities", texts, language)
        return {
            i: {
                "Index": i,
                "Entities": [{"Text": "1001", "Type": "QUANTITY"}, {"Text": "1001", "Type": "QUANTITY"}],
            }
            for i in range(len(texts))
        }


def test_comprehend_backend_groups_by_language_and_keeps_lens_sentiment() -> None:
    fake = FakeComprehend()
    results = ComprehendAnalyser(fake).analyse(  # type: ignore[arg-type]
        [
            Document("angry words", "en-US", True),
            Document("怒っています", "ja-JP", True),
            Document("lens said neutral", "en-US", False),
            Document("reject me", "en-US", True),
            Document("ภาษาไทย", "th-TH", True),
        ]
    )
    assert sorted(fake.calls) == sorted(
        [
            ("sentiment", 2, "en"),
            ("key_phrases", 3, "en"),
            ("entities", 3, "en"),
            ("sentiment", 1, "ja"),
            ("key_phrases", 1, "ja"),
            ("entities", 1, "ja"),
        ]
    )
    english, japanese, lens, rejected, thai = results
    assert (english.sentiment, english.entities, english.key_phrases) == (
        "NEGATIVE",
        (("1001", "QUANTITY"),),
        (("angry", 0.9),),
    )
    assert japanese.sentiment == "NEGATIVE"
    assert (lens.sentiment, lens.key_phrases) == (None, (("lens ", 0.9),))
    assert (rejected.sentiment, rejected.note) == (None, "Rejected")
    assert thai.note == UNSUPPORTED_LANGUAGE


class RecordingBoto:
    def __init__(self, fail: Exception | None = None) -> None:
        self.requests: list[tuple[str, int]] = []
        self.fail = fail

    def __getattr__(self, operation: str) -> Callable[..., dict[str, Any]]:
        def call(TextList: list[str], LanguageCode: str) -> dict[str, Any]:
            if self.fail is not None:
                raise self.fail
            self.requests.append((operation, len(TextList)))
            return {"ResultList": [{"Index": i} for i in range(len(TextList))], "ErrorList": []}

        return call


def test_comprehend_client_sends_25_documents_a_request_and_cuts_long_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from connect_zendesk.adapters import comprehend

    boto = RecordingBoto()
    monkeypatch.setattr(comprehend, "aws_client", lambda *a: boto)
    results = ComprehendClient().sentiment(["x"] * 60, "en")
    assert boto.requests == [
        ("batch_detect_sentiment", 25),
        ("batch_detect_sentiment", 25),
        ("batch_detect_sentiment", 10),
    ]
    assert sorted(results) == list(range(60))
    assert len(fit("é" * 4000).encode()) <= 4900
    assert fit("short") == "short"


def test_comprehend_client_failures_are_analysis_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError
    from connect_zendesk.adapters import comprehend

    throttled = ClientError({"Error": {"Code": "ThrottlingException"}}, "BatchDetectSentiment")
    for failure in (throttled, EndpointConnectionError(endpoint_url="x")):
        monkeypatch.setattr(comprehend, "aws_client", lambda *a, f=failure: RecordingBoto(f))
        with pytest.raises(AnalysisUnavailable):
            ComprehendClient().key_phrases(["x"], "en")


def test_backend_by_configuration() -> None:
    assert analyser_for("local").name == "local"
    assert analyser_for("comprehend").name == "comprehend"
    assert {"en", "ja", "ko", "zh"} <= analysis.COMPREHEND_LANGUAGES


# ---------------------------------------------------------------------------- the handler
def test_the_sentiment_handler_analyses_a_stream_batch_on_moto(
    aws: Template, realtime: RealtimeServices
) -> None:
    segments = [segment(1, "CUSTOMER", "I am very angry, this is terrible service.")]
    store(realtime, segments)
    forget_loaded_handlers()
    handler = load_handler(aws.function("sentiment"))

    answer = handler(stream_event(segments), LocalLambdaContext(function_name="SentimentFunction"))

    assert answer == {"batchItemFailures": []}
    (item,) = realtime.transcripts.contact_segments(CONTACT)
    assert (item["sentiment"], item["sentimentSource"], item["analysisBackend"]) == (
        "NEGATIVE",
        "local",
        "local",
    )
    assert contact(aws)["sentiment"]["CUSTOMER"]["counts"]["NEGATIVE"] == 1


def test_a_streak_in_the_middle_of_a_late_batch_still_alerts(
    step: SentimentStep, realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    # Given a batch that holds a whole stretch of the call: three angry turns, then a calm one
    realtime.connections.add(
        PanelConnection("conn-1", CONTACT, "a", int(NOW.timestamp()) + 60), connected_at="x"
    )
    segments = [segment(n, "CUSTOMER", "angry") for n in (1, 2, 3)] + [segment(4, "CUSTOMER", "thanks")]
    store(realtime, segments)

    process(step, segments)

    # Then the streak is alerted although the call no longer ends with it
    (alert,) = gateway.messages("conn-1", "alert")
    assert (alert["streak"], alert["since"]) == (3, segments[0].position)
    assert aggregate(realtime.transcripts.contact_segments(CONTACT)).negative_streak == 0
