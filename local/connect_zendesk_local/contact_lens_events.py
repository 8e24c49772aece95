"""Contact Lens real-time segment records for the demo, the panel server, tests and benchmarks.

Built from the documented voice format (Version 1.0.0): STARTED, SEGMENTS events whose segments are
partial `Utterance`s (linked to their final by `TranscriptId`), final `Transcript`s (with the Contact
Lens `Sentiment` where the script gives one), `Categories` and `PostContactSummary`, then COMPLETED.
Customer turns of the scripted call carry no sentiment, so the sentiment function analyses them.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"
INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-0123456789ab"


@dataclass(frozen=True)
class Turn:
    speaker: str  # AGENT or CUSTOMER
    text: str
    sentiment: str | None = None  # the Contact Lens sentiment, when the script gives one
    duration_ms: int = 3000


# The agent part of Jane's call about ticket 1001, after the self-service bot handed her over: the
# customer grows angry, then is reassured.
SCRIPTED_CALL: tuple[Turn, ...] = (
    Turn(
        "AGENT",
        "Thanks for calling Example Support, this is Sam. I have your conversation with our assistant "
        "in front of me. How can I help you today?",
        "NEUTRAL",
        duration_ms=7000,
    ),
    Turn(
        "CUSTOMER",
        "I did what the reply said and power-cycled it, but my printer is still offline and I cannot "
        "print my invoices.",
        duration_ms=6000,
    ),
    Turn(
        "AGENT",
        "I'm sorry to hear that. Ticket 1001 says we renewed the printer's network reservation, "
        "let me check it.",
        "NEUTRAL",
        duration_ms=5500,
    ),
    Turn("CUSTOMER", "This is the third time this month. It is really frustrating and nobody has fixed it."),
    Turn("CUSTOMER", "I am very angry, this is terrible service."),
    Turn("CUSTOMER", "I am disappointed, nothing works and I have wasted hours on this."),
    Turn(
        "AGENT",
        "I completely understand. A technician will come tomorrow morning at no cost, and I'll keep your "
        "Monday callback to make sure it stays fixed.",
        "POSITIVE",
        duration_ms=6500,
    ),
    Turn("CUSTOMER", "Okay, thank you, that is great, I really appreciate it."),
)
SCRIPTED_CATEGORIES = ("PrinterIssue", "EscalationRisk")
SCRIPTED_SUMMARY = (
    "The customer's printer is still offline after a power cycle; a technician visit was booked for "
    "tomorrow morning and the Monday callback kept."
)


def lens_record(
    contact_id: str, event_type: str, segments: list[dict[str, Any]] | None = None, language: str = "en-US"
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Version": "1.0.0",
        "Channel": "VOICE",
        "AccountId": ACCOUNT_ID,
        "InstanceId": INSTANCE_ID,
        "ContactId": contact_id,
        "LanguageCode": language,
        "EventType": event_type,
    }
    if segments is not None:
        record["Segments"] = segments
    return record


def utterance(transcript_id: str, speaker: str, text: str, begin: int, end: int) -> dict[str, Any]:
    return {
        "Utterance": {
            "Id": str(uuid.uuid4()),
            "TranscriptId": transcript_id,
            "ParticipantId": speaker,
            "ParticipantRole": speaker,
            "PartialContent": text,
            "BeginOffsetMillis": begin,
            "EndOffsetMillis": end,
        }
    }


def transcript(
    transcript_id: str, speaker: str, text: str, begin: int, end: int, *, sentiment: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Id": transcript_id,
        "ParticipantId": speaker,
        "ParticipantRole": speaker,
        "Content": text,
        "BeginOffsetMillis": begin,
        "EndOffsetMillis": end,
    }
    if sentiment:
        body["Sentiment"] = sentiment
    return {"Transcript": body}


def call_records(
    contact_id: str,
    turns: tuple[Turn, ...] = SCRIPTED_CALL,
    *,
    categories: tuple[str, ...] = SCRIPTED_CATEGORIES,
    summary: str = SCRIPTED_SUMMARY,
    language: str = "en-US",
    start_ms: int = 5000,
) -> Iterator[dict[str, Any]]:
    """One call's records in the order Contact Lens sends them: each turn as two partials, then its final."""
    yield lens_record(contact_id, "STARTED", language=language)
    offset = start_ms
    for turn in turns:
        transcript_id = str(uuid.uuid4())
        words = turn.text.split()
        half = max(len(words) // 2, 1)
        middle = offset + turn.duration_ms // 2
        end = offset + turn.duration_ms
        yield lens_record(
            contact_id,
            "SEGMENTS",
            [utterance(transcript_id, turn.speaker, " ".join(words[:half]), offset, middle)],
            language,
        )
        yield lens_record(
            contact_id,
            "SEGMENTS",
            [utterance(transcript_id, turn.speaker, " ".join(words[half:]), middle, end)],
            language,
        )
        yield lens_record(
            contact_id,
            "SEGMENTS",
            [transcript(transcript_id, turn.speaker, turn.text, offset, end, sentiment=turn.sentiment)],
            language,
        )
        offset = end + 400
    if categories:
        details = {
            name: {"PointsOfInterest": [{"BeginOffsetMillis": start_ms, "EndOffsetMillis": offset}]}
            for name in categories
        }
        yield lens_record(
            contact_id,
            "SEGMENTS",
            [{"Categories": {"MatchedCategories": list(categories), "MatchedDetails": details}}],
            language,
        )
    if summary:
        yield lens_record(
            contact_id,
            "SEGMENTS",
            [{"PostContactSummary": {"Content": summary, "Status": "COMPLETED"}}],
            language,
        )
    yield lens_record(contact_id, "COMPLETED", language=language)


def kinesis_event(
    records: list[dict[str, Any] | bytes], *, first_sequence: int = 1, arrival: float = 1_795_000_000.0
) -> dict[str, Any]:
    """A Lambda Kinesis event carrying these records (dicts are JSON-encoded; bytes go as they are)."""
    entries = []
    for index, record in enumerate(records):
        data = record if isinstance(record, bytes) else json.dumps(record).encode()
        sequence = f"4959033827149025660855969253836157109592157598913658{first_sequence + index:04d}"
        entries.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "contact",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": arrival + index / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT_ID}:role/transcription-consumer",
                "awsRegion": "us-east-1",
                "eventSourceARN": f"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/transcripts",
            }
        )
    return {"Records": entries}
