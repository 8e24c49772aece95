"""After the call: one internal note on the ticket, the analytics document, the outcome — exactly once.

A DISCONNECTED contact event reaches this step through EventBridge and SQS, possibly late,
duplicated, out of order or with fields missing. The step
1. ignores events it has nothing to do for (other event types, channels without a conversation);
2. waits, by delaying the message, while the contact's transcript (or recording) is still being
   written, for at most the configured settle time, then goes on with what there is;
3. under the idempotency record for the contact: records how the contact ended, writes the note
   once (post_call_ticket), stores the analytics document, queues bot-resolved conversations for
   metering, and marks the contact DONE.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices
from connect_zendesk.connect.contact_event import ContactEvent, InvalidContactEvent, parse_contact_event
from connect_zendesk.domain.call_analytics import analytics_document, analytics_key
from connect_zendesk.domain.call_outcome import Outcome, classify
from connect_zendesk.domain.call_record import ContactRecord, PostCallState, iso
from connect_zendesk.domain.call_sentiment import speaker_mood
from connect_zendesk.domain.call_text import CallText, prepare_text
from connect_zendesk.domain.post_call_note import (
    CallSummary,
    comment_marker,
    connect_contact_link,
    render_note,
)
from connect_zendesk.domain.post_call_ports import NoteAttachment, Recording
from connect_zendesk.domain.post_call_ticket import NoteRequest, NoteWrite, write_note_once
from connect_zendesk.observability import logger, metrics
from connect_zendesk.reconciliation.contact_event import is_reconciled
from connect_zendesk.sqs.message import InvalidMessage, QueueMessage
from connect_zendesk.sqs.retry import RetryDecision, RetryLater

HANDLED_EVENT = "DISCONNECTED"
HANDLED_CHANNELS = frozenset({"VOICE", "CHAT", ""})  # "" : the channel is missing, assume a call
ATTEMPTS_KEPT_FOR_ERRORS = 3  # the settle wait never uses the last attempts of a message
SETTLE_POLL_SECONDS = 15
SETTLE_POLL_CAP_SECONDS = 120


def process_contact_event_message(message: QueueMessage, services: CallServices) -> str:
    """The post_call_update step for one SQS message; returns what happened, for the log."""
    try:
        body = message.json()
        event = parse_contact_event(body)
    except (InvalidContactEvent, InvalidMessage) as exc:
        metrics.add_metric(name="InvalidContactEvent", unit=MetricUnit.Count, value=1)
        raise InvalidMessage(str(exc)) from None
    if is_reconciled(body):
        # Sent by the reconciliation sweep: the rule never delivered this contact's event.
        metrics.add_metric(name="PostCallReconciledEvent", unit=MetricUnit.Count, value=1)
        logger.append_keys(reconciled=True)
    if event.event_type != HANDLED_EVENT or event.channel not in HANDLED_CHANNELS:
        metrics.add_metric(name="ContactEventIgnored", unit=MetricUnit.Count, value=1)
        return f"ignored {event.event_type or 'untyped'} {event.channel} event".replace("  ", " ")
    if not event.contact_id:
        metrics.add_metric(name="InvalidContactEvent", unit=MetricUnit.Count, value=1)
        raise InvalidMessage("DISCONNECTED event without a usable contactId")
    logger.append_keys(contact_id=event.contact_id)
    wait_until_settled(event, message, services)
    result = services.idempotency.run(event.contact_id, lambda: update_after_call(event, message, services))
    if result.get("replayed"):
        metrics.add_metric(name="PostCallDuplicate", unit=MetricUnit.Count, value=1)
        return f"duplicate: already done (ticket {result.get('ticketId')})"
    return f"{result.get('note', 'done')} (ticket {result.get('ticketId')})"


def wait_until_settled(event: ContactEvent, message: QueueMessage, services: CallServices) -> None:
    """Raise RetryLater while the transcript (or the recording to attach) is still coming."""
    contact = ContactRecord.from_item(event.contact_id, services.call_records.get(event.contact_id))
    if contact.post_call.status == "DONE":
        return
    missing = []
    if contact.transcript_in_progress:
        missing.append("transcript")
    if (
        services.settings.post_call.attach_recording
        and event.channel in ("VOICE", "")
        and _recording(event, contact, services) is None
    ):
        missing.append("recording")
    if not missing:
        return
    settings = services.settings.post_call
    waited = (services.now() - _ended_at(event, message, services)).total_seconds()
    attempts_left = settings.max_receives - message.receive_count
    if waited >= settings.settle_seconds or attempts_left <= ATTEMPTS_KEPT_FOR_ERRORS:
        logger.info(
            "settle time over: going on without", extra={"missing": missing, "waited_seconds": int(waited)}
        )
        return
    delay = min(
        SETTLE_POLL_SECONDS * 2 ** (message.receive_count - 1),
        SETTLE_POLL_CAP_SECONDS,
        settings.settle_seconds - waited,
    )
    metrics.add_metric(name="PostCallWaitingForTranscript", unit=MetricUnit.Count, value=1)
    raise RetryLater(f"waiting for the {' and '.join(missing)}", max(delay, 1))


def update_after_call(event: ContactEvent, message: QueueMessage, services: CallServices) -> dict[str, Any]:
    settings = services.settings.post_call
    contact = ContactRecord.from_item(event.contact_id, services.call_records.get(event.contact_id))
    if contact.post_call.status == "DONE":
        # The idempotency record expired, the Contacts record did not: still exactly once.
        metrics.add_metric(name="PostCallDuplicate", unit=MetricUnit.Count, value=1)
        return {"note": "already_written", "ticketId": contact.post_call.ticket_id}
    outcome = classify(event, contact)
    ended_at = _ended_at(event, message, services)
    services.call_records.record_call_end(
        event.contact_id,
        initial_contact_id=event.conversation_id,
        disconnected_at=ended_at,
        agent_connected=event.agent_connected,
        outcome=outcome.value,
    )
    segments = services.transcripts.segments(event.contact_id)
    text = prepare_text(contact, segments, redact=settings.redact_pii, analyzer=services.text_analyzer)
    audio, audio_line = _audio(event, contact, services)
    summary = CallSummary(
        contact_id=event.contact_id,
        channel=event.channel or contact.channel or "VOICE",
        initiation_method=event.initiation_method,
        started_at=event.initiated_at or contact.created_at,
        ended_at=ended_at,
        queue_id=event.queue_id,
        agent_id=event.agent_id,
        outcome=outcome,
        contact=contact,
        text=text,
        customer=speaker_mood("CUSTOMER", contact, segments),
        agent=speaker_mood("AGENT", contact, segments),
        recording_link=connect_contact_link(settings.connect_access_url, event.contact_id),
        audio_line=audio_line,
        previous_contact_id=event.previous_contact_id,
    )
    note = render_note(summary, settings.note_max_chars)
    key = contact.post_call.analytics_key or analytics_key(event.contact_id, ended_at)
    written = write_note_once(
        NoteRequest(
            contact=contact,
            note=note,
            subject=_subject(summary),
            channel=summary.channel,
            tags=_tags(summary, services),
            audio=audio,
            analytics_key=key,
        ),
        services,
    )
    services.analytics.put(
        key,
        analytics_document(
            summary,
            entities=_entities(text, services),
            ticket_id=written.ticket_id,
            ticket_created=written.ticket_created,
            note_status=written.status,
            transcript_attached=written.transcript_attached,
            recorded_at=services.now(),
        ),
    )
    if outcome is Outcome.BOT_RESOLVED_CANDIDATE:
        services.resolution_queue.enqueue(
            event.conversation_id,
            contact_id=event.contact_id,
            caller_e164=contact.caller_e164,
            ended_at=ended_at,
            due_at=ended_at + timedelta(hours=services.settings.metering.window_hours),
        )
    services.call_records.record_post_call(
        event.contact_id,
        PostCallState(
            status="SKIPPED" if written.status == "skipped" else "DONE",
            ticket_id=written.ticket_id,
            comment_marker=comment_marker(event.contact_id),
            created_user_id=written.created_user_id,
            analytics_key=key,
            at=iso(services.now()),
        ),
    )
    _count(outcome, written)
    logger.info(
        "post-call update done",
        extra={
            "outcome": outcome.value,
            "note": written.status,
            "ticket_id": written.ticket_id,
            "transcript_segments": len(segments),
            "transcript_attached": written.transcript_attached,
            "redaction": text.redaction,
        },
    )
    return {
        "note": written.status,
        "ticketId": written.ticket_id,
        "outcome": outcome.value,
        "analyticsKey": key,
    }


def record_give_up(message: QueueMessage, services: CallServices, decision: RetryDecision) -> None:
    """On the last failed attempt: mark the contact FAILED so a redrive checks Zendesk before writing."""
    try:
        event = parse_contact_event(message.json())
    except (InvalidContactEvent, InvalidMessage):
        return
    if not event.contact_id:
        return
    contact = ContactRecord.from_item(event.contact_id, services.call_records.get(event.contact_id))
    if contact.post_call.status in ("DONE", "SKIPPED"):
        return
    state = dataclasses.replace(contact.post_call, status="FAILED", at=iso(services.now()))
    services.call_records.record_post_call(event.contact_id, state)


def _ended_at(event: ContactEvent, message: QueueMessage, services: CallServices) -> datetime:
    """Disconnect time; a minimal event has none, then when Connect emitted it, or when it was queued."""
    return event.disconnected_at or event.event_time or message.sent_at or services.now()


def _recording(event: ContactEvent, contact: ContactRecord, services: CallServices) -> Recording | None:
    days = [d for d in (event.initiated_at, contact.created_at, _ended_or_none(event)) if d is not None]
    return services.recordings.find(event.contact_id, days or [services.now()])


def _ended_or_none(event: ContactEvent) -> datetime | None:
    return event.disconnected_at or event.event_time


def _audio(
    event: ContactEvent, contact: ContactRecord, services: CallServices
) -> tuple[NoteAttachment | None, str]:
    settings = services.settings.post_call
    if not settings.attach_recording or event.channel not in ("VOICE", ""):
        return None, ""
    recording = _recording(event, contact, services)
    if recording is None:
        return None, "Audio: no recording found for this call"
    name = recording.key.rsplit("/", 1)[-1]
    if recording.size > settings.recording_max_bytes:
        megabytes = recording.size / 1024 / 1024
        return None, f"Audio: {name} ({megabytes:.1f} MB) is above the attachment limit; use the link"
    content_type = "audio/wav" if name.lower().endswith(".wav") else "application/octet-stream"
    return NoteAttachment(
        name, services.recordings.read(recording), content_type
    ), f"Audio: attached ({name})"


def _entities(text: CallText, services: CallServices) -> list[Any]:
    if not services.settings.post_call.analyze_entities or not text.segments or text.redaction == "withheld":
        return []
    return list(services.text_analyzer.detect_entities(text.analysis_text, text.language))


def _subject(summary: CallSummary) -> str:
    when = summary.started_at or summary.ended_at
    stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when else "unknown time"
    return f"{summary.kind} on {stamp}"


def _tags(summary: CallSummary, services: CallServices) -> list[str]:
    settings = services.settings.post_call
    tags = list(settings.tags)
    if settings.sentiment_tag_prefix and summary.customer.known:
        tags.append(settings.sentiment_tag_prefix + summary.customer.label.lower())
    if settings.bot_resolved_tag and summary.outcome is Outcome.BOT_RESOLVED_CANDIDATE:
        tags.append(settings.bot_resolved_tag)
    return list(dict.fromkeys(tags))


def _count(outcome: Outcome, written: NoteWrite) -> None:
    # Literal metric names: the README and the dashboard are checked against them.
    metrics.add_metric(name="CallsProcessed", unit=MetricUnit.Count, value=1)
    if outcome is Outcome.ESCALATED:
        metrics.add_metric(name="Escalations", unit=MetricUnit.Count, value=1)
    elif outcome is Outcome.BOT_RESOLVED_CANDIDATE:
        metrics.add_metric(name="BotResolvedCandidates", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="AbandonedContacts", unit=MetricUnit.Count, value=1)
    if written.status == "written":
        metrics.add_metric(name="PostCallNoteWritten", unit=MetricUnit.Count, value=1)
    elif written.status == "already_written":
        metrics.add_metric(name="PostCallDuplicate", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="PostCallNoteSkipped", unit=MetricUnit.Count, value=1)
