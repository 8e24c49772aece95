"""Contact Lens real-time segment records: both schemas, every documented segment kind, tolerance."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.realtime.contact_lens import (
    FinalTranscript,
    MalformedLensRecord,
    MatchedCategories,
    PartialUtterance,
    PostContactSummary,
    decode_event,
    decode_record,
)
from support import reference_events


def documents(path: Path) -> list[Any]:
    """The JSON objects of a sample file; .jsonc files hold several, with // comments."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonc":
        text = re.sub(r"//[^\n]*", "", text)
    decoder, found, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        found.append(value)
    return found


SAMPLES = [p for p in reference_events("contact_lens_*.json*") if "kinesis" not in p.name]
KINESIS_SAMPLES = reference_events("contact_lens_kinesis_*.json") + reference_events(
    "contact_lens_*kinesis_record*.json"
)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_published_contact_lens_sample_decodes(path: Path) -> None:
    for document in documents(path):
        # When a published sample is decoded
        event = decode_event(document)
        # Then its contact, type and segments are read, and nothing it holds is an error
        assert event.contact_id == document["ContactId"]
        assert event.event_type in {"STARTED", "SEGMENTS", "COMPLETED", "FAILED"}
        if event.event_type == "SEGMENTS":
            assert event.segments, path.name
        else:
            assert event.is_lifecycle


@pytest.mark.parametrize("path", KINESIS_SAMPLES, ids=lambda p: p.name)
def test_kinesis_wrapped_samples_decode_from_base64(path: Path) -> None:
    for record in json.loads(path.read_text())["Records"]:
        event = decode_record(base64.b64decode(record["kinesis"]["data"]))
        assert event.contact_id


VOICE: dict[str, Any] = {
    "Version": "1.0.0",
    "Channel": "VOICE",
    "AccountId": "123456789012",
    "InstanceId": "instance-1",
    "ContactId": "contact-1",
    "LanguageCode": "en-US",
    "EventType": "SEGMENTS",
    "Segments": [
        {
            "Utterance": {
                "Id": "u-1",
                "TranscriptId": "t-1",
                "ParticipantId": "AGENT",
                "ParticipantRole": "AGENT",
                "PartialContent": "Hello there",
                "BeginOffsetMillis": 19010,
                "EndOffsetMillis": 22980,
            }
        },
        {
            "Transcript": {
                "Id": "t-1",
                "ParticipantId": "CUSTOMER",
                "ParticipantRole": "CUSTOMER",
                "Content": "My card is broken",
                "BeginOffsetMillis": 19010,
                "EndOffsetMillis": 22690,
                "Sentiment": "NEGATIVE",
                "IssuesDetected": [{"CharacterOffsets": {"BeginOffsetChar": 3, "EndOffsetChar": 17}}],
            }
        },
        {
            "Categories": {
                "MatchedCategories": ["CardIssue"],
                "MatchedDetails": {"CardIssue": {"PointsOfInterest": []}},
            }
        },
        {"PostContactSummary": {"Content": "Card broken", "Status": "COMPLETED"}},
    ],
}


def test_voice_segments_of_every_kind_are_read() -> None:
    event = decode_event(VOICE)

    partial, final, categories, summary = event.segments
    assert partial == PartialUtterance("u-1", "t-1", "AGENT", "Hello there", 19010, 22980)
    assert isinstance(final, FinalTranscript)
    assert (final.transcript_id, final.role, final.text, final.sentiment) == (
        "t-1",
        "CUSTOMER",
        "My card is broken",
        "NEGATIVE",
    )
    assert (final.begin_offset_ms, final.end_offset_ms, final.issues) == (19010, 22690, ((3, 17),))
    assert categories == MatchedCategories(("CardIssue",))
    assert summary == PostContactSummary("Card broken", "COMPLETED")
    assert (event.language, event.channel, event.version) == ("en-US", "VOICE", "1.0.0")


def test_chat_schema_reads_streaming_event_type_settings_language_and_absolute_times() -> None:
    chat = {
        "Version": "2.0.0",
        "Channel": "CHAT",
        "ContactId": "chat-1",
        "StreamingEventType": "SEGMENTS",
        "StreamingSettings": {"LanguageCode": "ja-JP"},
        "Segments": [
            {
                "Transcript": {
                    "Id": "m-1",
                    "ParticipantRole": "CUSTOMER",
                    "Content": "こんにちは",
                    "ContentType": "text/plain",
                    "Time": {"AbsoluteTime": "2024-03-14T19:39:26.715Z"},
                }
            },
            {"Categories": {"MatchedDetails": {"Greeting": {"PointsOfInterest": []}}}},
            {"Issues": {"IssuesDetected": []}},
            {"Attachments": {"Id": "a-1"}},
            {"Event": {"Id": "e-1", "EventType": "application/vnd.amazonaws.connect.event.participant.left"}},
        ],
    }
    event = decode_event(chat)

    final, categories = event.segments
    assert isinstance(final, FinalTranscript)
    assert final.begin_offset_ms == final.end_offset_ms == 1710445166715  # epoch ms keeps chat in order
    assert final.absolute_time == "2024-03-14T19:39:26.715Z"
    assert categories == MatchedCategories(("Greeting",))
    assert event.language == "ja-JP"
    assert sorted(event.ignored) == ["Attachments", "Event", "Issues"]


def test_chat_completed_reads_the_language_from_streaming_event_settings() -> None:
    event = decode_event(
        {
            "ContactId": "c",
            "StreamingEventType": "COMPLETED",
            "StreamingEventSettings": {"LanguageCode": "ko-KR"},
        }
    )
    assert (event.event_type, event.language, event.is_lifecycle) == ("COMPLETED", "ko-KR", True)


@pytest.mark.parametrize(
    "segment",
    [
        {"Utterance": {"PartialContent": "no id"}},
        {"Utterance": {"Id": "u", "PartialContent": ""}},
        {"Transcript": {"Id": "", "Content": "no id"}},
        {"Transcript": {"Id": "t", "Content": None}},
        {"Categories": {"MatchedCategories": []}},
        {"PostContactSummary": {"Status": "COMPLETED"}},
        {"Utterance": "not an object"},
        {"SomethingNew": {"Id": "x"}},
        "not an object",
    ],
)
def test_unusable_or_unknown_segments_are_skipped_not_fatal(segment: Any) -> None:
    event = decode_event({"ContactId": "c", "EventType": "SEGMENTS", "Segments": [segment]})
    assert event.segments == ()
    assert event.ignored


def test_failed_summaries_are_kept_with_their_failure_code() -> None:
    event = decode_event(
        {
            "ContactId": "c",
            "EventType": "SEGMENTS",
            "Segments": [
                {
                    "PostContactSummary": {
                        "Status": "FAILED",
                        "FailureCode": "INSUFFICIENT_CONVERSATION_CONTENT",
                    }
                }
            ],
        }
    )
    assert event.segments == (PostContactSummary("", "FAILED", "INSUFFICIENT_CONVERSATION_CONTENT"),)


def test_odd_field_types_are_tolerated() -> None:
    event = decode_event(
        {
            "ContactId": "c",
            "EventType": "segments",
            "LanguageCode": "the language code of the contact",
            "Segments": [
                {
                    "Transcript": {
                        "Id": "t",
                        "Content": "hi",
                        "BeginOffsetMillis": "1200",
                        "EndOffsetMillis": True,
                        "Sentiment": "ANGRY",
                        "IssuesDetected": [{"CharacterOffsets": "x"}, "y"],
                    }
                }
            ],
            "Extra": {"nested": [1, 2]},
        }
    )
    (final,) = event.segments
    assert isinstance(final, FinalTranscript)
    assert (final.begin_offset_ms, final.end_offset_ms, final.sentiment, final.issues) == (
        1200,
        1200,
        None,
        (),
    )
    assert final.role == "UNKNOWN"
    assert event.language == ""  # a placeholder is not a language


@pytest.mark.parametrize(
    "offset",
    ["9" * 5000, "9" * 19, "\u00b2", "1\u0660", float("nan"), float("inf"), -5],
    ids=["5000-digits", "19-digits", "superscript-two", "arabic-indic-digit", "nan", "inf", "negative"],
)
def test_an_offset_that_is_no_offset_reads_as_zero_not_a_crash(offset: Any) -> None:
    # Found by fuzzing: int() refuses strings over 4,300 digits and non-ASCII digits, and a float
    # NaN or infinity, which failed the whole Kinesis batch instead of reading as offset 0
    event = decode_event(
        {
            "ContactId": "c",
            "EventType": "SEGMENTS",
            "Segments": [{"Transcript": {"Id": "t", "Content": "hi", "BeginOffsetMillis": offset}}],
        }
    )
    (final,) = event.segments
    assert isinstance(final, FinalTranscript)
    assert final.begin_offset_ms == 0


def test_unknown_event_types_decode_without_segments() -> None:
    event = decode_event(
        {"ContactId": "c", "EventType": "PAUSED", "Segments": [{"Transcript": {"Id": "t", "Content": "x"}}]}
    )
    assert (event.event_type, event.segments, event.is_lifecycle) == ("PAUSED", (), False)


@pytest.mark.parametrize(
    "data",
    [
        b"Hello, this is a test.",
        b"[1, 2]",
        b'{"Message": "success"}',
        b'{"ContactId": ""}',
        b"\xff\xfe",
        b'"text"',
    ],
)
def test_records_that_are_not_contact_lens_events_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedLensRecord):
        decode_record(data)


def test_a_chat_transcript_with_an_unreadable_time_is_kept_at_offset_zero() -> None:
    event = decode_event(
        {
            "ContactId": "c",
            "EventType": "SEGMENTS",
            "Segments": [{"Transcript": {"Id": "t", "Content": "x", "Time": {"AbsoluteTime": "soon"}}}],
        }
    )
    (final,) = event.segments
    assert isinstance(final, FinalTranscript)
    assert final.begin_offset_ms == 0
