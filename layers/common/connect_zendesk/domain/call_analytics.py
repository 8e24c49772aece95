"""The analytics document of one call: contact metadata plus Comprehend-shaped analysis.

One JSON object per call at `calls/dt=YYYY-MM-DD/<contactId>.json` in the analytics bucket; the Glue
table `calls` (template.yaml) declares the same fields for Athena. Fields that were not analysed are
empty arrays or nulls, never made-up values. `phrases` and `entities` offsets refer to the analysed
text: the (redacted) transcript, one line per segment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connect_zendesk.domain.call_record import iso
from connect_zendesk.domain.call_text import comprehend_language
from connect_zendesk.domain.post_call_note import CallSummary
from connect_zendesk.domain.post_call_ports import TextSpan

SCHEMA_VERSION = 1
KEY_PREFIX = "calls"


def analytics_key(contact_id: str, day: datetime) -> str:
    return f"{KEY_PREFIX}/dt={day.strftime('%Y-%m-%d')}/{contact_id}.json"


def analytics_document(
    summary: CallSummary,
    *,
    entities: Sequence[tuple[TextSpan, str]],
    ticket_id: int | None,
    ticket_created: bool,
    note_status: str,
    transcript_attached: bool,
    recorded_at: datetime,
) -> dict[str, Any]:
    contact = summary.contact
    text = summary.text.analysis_text
    return {
        "schema_version": SCHEMA_VERSION,
        "contact_id": summary.contact_id,
        "conversation_id": contact.initial_contact_id or summary.contact_id,
        "previous_contact_id": summary.previous_contact_id or None,
        "channel": summary.channel or None,
        "initiation_method": summary.initiation_method or None,
        "language_code": summary.text.language or None,
        "started_at": iso(summary.started_at) if summary.started_at else None,
        "ended_at": iso(summary.ended_at) if summary.ended_at else None,
        "duration_seconds": summary.duration_seconds,
        "queue_id": summary.queue_id or None,
        "agent_id": summary.agent_id or None,
        "agent_connected": summary.outcome.value == "escalated",
        "outcome": summary.outcome.value,
        "fulfilled_intents": list(contact.fulfilled_intents),
        "handoff_reason": contact.handoff.reason if contact.handoff else None,
        "categories": list(contact.categories),
        "zendesk": {
            "ticket_id": ticket_id,
            "ticket_created": ticket_created,
            "note": note_status,
            "requester_id": contact.zendesk_user_id,
        },
        "transcript": {
            "segments": len(summary.text.segments),
            "status": contact.transcript_status or None,
            "redaction": summary.text.redaction,
            "attached": transcript_attached,
        },
        "sentiment": summary.customer.comprehend_shape(),
        "agent_sentiment": summary.agent.comprehend_shape(),
        "entities": {
            "Entities": [
                {
                    "Score": round(span.score, 4),
                    "Type": span.type,
                    "Text": entity_text,
                    "BeginOffset": span.begin,
                    "EndOffset": span.end,
                }
                for span, entity_text in entities
            ]
        },
        "phrases": {"KeyPhrases": _key_phrases(summary, text)},
        "language": {"Languages": _languages(summary)},
        "resolution": None,
        "recorded_at": iso(recorded_at),
    }


def _key_phrases(summary: CallSummary, text: str) -> list[dict[str, Any]]:
    if not summary.text.segments:
        return []  # phrases without a transcript they came from would be invented
    lowered = text.lower()
    phrases = []
    for phrase in summary.contact.key_phrases:
        begin = lowered.find(phrase.text.lower())
        phrases.append(
            {
                "Score": round(phrase.score, 4) if phrase.score is not None else None,
                "Text": phrase.text,
                "BeginOffset": begin if begin >= 0 else None,
                "EndOffset": begin + len(phrase.text) if begin >= 0 else None,
            }
        )
    return phrases


def _languages(summary: CallSummary) -> list[dict[str, Any]]:
    codes = Counter(comprehend_language(s.language or summary.text.language) for s in summary.text.segments)
    total = sum(codes.values())
    return [
        {"LanguageCode": code, "Score": round(count / total, 4)}
        for code, count in sorted(codes.items(), key=lambda item: (-item[1], item[0]))
    ]
