"""post_call_update end to end on moto: contact events on the template's queue, the template's handler
run by the local SQS poller (as Lambda's event source mapping runs it), a fake Zendesk writer.

Exactly once is checked by counting Zendesk writes: duplicated and reordered events, a crash between
the Zendesk write and the idempotency record, a failure after the write; delivery by what happens to
the message: delays set on it (transcript settling, 429 Retry-After, backoff) and the dead-letter queue.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from connect_zendesk.errors import ZendeskRateLimited, ZendeskUnavailable
from post_call_doubles import NOW, Crash, contact_event, sqs_event, transcript_items
from post_call_rig import PostCallRig

CONTACT = "5f1e2d3c-0000-4000-8000-000000000001"
JANE_E164 = "+14155552671"
UNKNOWN_E164 = "+12125550147"
CONVERSATION = [
    ("CUSTOMER", "NEGATIVE", "Hi, my printer is offline again and I have a deadline"),
    ("AGENT", "NEUTRAL", "I am sorry to hear that. Let me look at ticket 1001."),
    ("CUSTOMER", "NEUTRAL", "It says paper jam but there is no paper stuck"),
    ("AGENT", "POSITIVE", "Please open the rear tray and reset the printer."),
    ("CUSTOMER", "POSITIVE", "That worked, thank you so much"),
]


def known_caller_with_ticket(rig: PostCallRig, contact_id: str = CONTACT, **extra: object) -> None:
    rig.seed_contact(
        contact_id, callerE164=JANE_E164, zendeskUserId=1001, selectedTicketId=1001, channel="VOICE", **extra
    )


# ---------------------------------------------------------------------------------- the note
def test_a_known_caller_gets_one_internal_note_with_the_whole_story(rig: PostCallRig) -> None:
    # Given a caller who chose ticket 1001, a finished Contact Lens transcript and what the other steps stored
    known_caller_with_ticket(
        rig,
        transcriptStatus="COMPLETED",
        categories={"Escalation", "Printer"},
        postContactSummary="Customer reported a printer offline; agent guided a reset.",
        keyPhrases=[
            {"text": "printer offline", "score": 0.97, "count": 2},
            {"text": "paper jam", "score": 0.9},
        ],
        agentNotes=[
            {"at": "2026-11-21T11:56:00Z", "agentId": "alex", "text": "Reset fixed it; watch for recurrence"}
        ],
    )
    rig.seed_transcript(transcript_items(CONTACT, CONVERSATION))
    rig.configure(connect_access_url="https://acme.my.connect.aws")

    # When the call ends
    rig.send(contact_event(CONTACT, agent=True))
    results = rig.deliver()

    # Then ticket 1001 holds exactly one internal note telling the agent everything
    assert [r.deleted for r in results] == [1]
    notes = rig.tickets.notes(1001)
    assert len(notes) == 1
    note = notes[0]
    assert rig.tickets.tickets[1001].comments[0]["public"] is False
    for expected in (
        "Phone call (inbound) · 2026-11-21 11:53:00 UTC · 6 min 0 s",
        "Queue: 5c5b7e2a-0000-4000-8000-000000000001",
        "Agent: 9a1c0e7b-0000-4000-8000-000000000002",
        "Outcome: handled by an agent",
        "- Customer: ",
        "improving",
        "Key phrases: printer offline, paper jam",
        "Contact Lens categories: Escalation, Printer",
        "Customer reported a printer offline; agent guided a reset.",
        "agent alex: Reset fixed it; watch for recurrence",
        f"https://acme.my.connect.aws/contact-trace-records/details/{CONTACT} (Amazon Connect sign-in",
        "[00:05] Customer: Hi, my printer is offline again and I have a deadline",
        "[00:21] Customer: That worked, thank you so much",
        f"[connect-contact:{CONTACT}]",
    ):
        assert expected in note, expected
    # And the ticket is tagged, the contact marked done, the outcome recorded
    assert rig.tickets.tickets[1001].tags == ["connect_call", "sentiment_neutral"]
    contact = rig.contact(CONTACT)
    assert contact["outcome"] == "escalated"
    assert contact["agentConnected"] is True
    assert contact["postCall"]["status"] == "DONE"
    assert contact["postCall"]["ticketId"] == 1001


def test_a_call_with_no_transcript_and_no_other_step_still_gets_its_note(rig: PostCallRig) -> None:
    # Given only what the caller lookup stored (no bot, no transcription, no agent panel deployed)
    rig.seed_contact(CONTACT, callerE164=JANE_E164, zendeskUserId=1001)

    # When the call ends
    rig.send(contact_event(CONTACT))
    rig.deliver()

    # Then a new voice ticket is created for the caller, with the note as its private first comment
    (ticket,) = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert (ticket.requester_id, ticket.via, ticket.subject) == (
        1001,
        "voice",
        "Phone call on 2026-11-21 11:53 UTC",
    )
    (note,) = rig.tickets.notes(ticket.id)
    assert "Transcript: none recorded" in note
    assert "- Customer: not analysed" in note
    assert "Outcome: ended without an agent and without a completed self-service task" in note
    # and the analytics document says so without inventing analysis
    document = rig.analytics(CONTACT)
    assert document is not None
    assert document["sentiment"] == {"Sentiment": None, "SentimentScore": None}
    assert document["phrases"] == {"KeyPhrases": []}
    assert document["entities"] == {"Entities": []}
    assert document["language"] == {"Languages": []}
    assert document["zendesk"]["ticket_created"] is True


def test_bot_resolved_call_is_tagged_and_queued_for_metering(rig: PostCallRig) -> None:
    # Given a caller the bot served to the end (an intent fulfilled, no handoff, no agent)
    rig.seed_contact(
        CONTACT,
        callerE164=JANE_E164,
        zendeskUserId=1001,
        selectedTicketId=1001,
        fulfilledIntents={"CheckTicketStatus"},
        conversation=[
            {
                "at": "2026-11-21T11:53:10Z",
                "role": "caller",
                "text": "what's the status of my ticket",
                "intent": "CheckTicketStatus",
            },
            {"at": "2026-11-21T11:53:12Z", "role": "bot", "text": "Ticket 1001 is open and assigned."},
        ],
    )

    # When the call ends
    rig.send(contact_event(CONTACT, queue=False))
    rig.deliver()

    # Then the note shows the self-service conversation, the ticket is tagged bot_resolved
    (note,) = rig.tickets.notes(1001)
    assert "Self-service completed: CheckTicketStatus" in note
    assert "[00:10] Caller: what's the status of my ticket" in note
    assert "[00:12] Bot: Ticket 1001 is open and assigned." in note
    assert "bot_resolved" in rig.tickets.tickets[1001].tags
    assert rig.contact(CONTACT)["outcome"] == "bot_resolved_candidate"
    # And the conversation waits for its verdict, due when the window after the call has passed
    (item,) = rig.services.resolution_queue.due(NOW + timedelta(hours=72))
    assert (item.conversation_id, item.contact_ids, item.caller_e164) == (CONTACT, (CONTACT,), JANE_E164)
    assert item.due_at == NOW - timedelta(minutes=1) + timedelta(hours=72)


def test_a_handoff_is_not_a_bot_resolution_and_its_conversation_is_not_repeated(rig: PostCallRig) -> None:
    # Given a bot that fulfilled an intent but then handed the caller over (the handoff note holds the turns)
    known_caller_with_ticket(
        rig,
        fulfilledIntents={"CheckTicketStatus"},
        handoff={"at": "2026-11-21T11:54:00Z", "reason": "SpeakToAgent", "ticketId": 1001},
        conversation=[{"at": "2026-11-21T11:53:10Z", "role": "caller", "text": "agent please"}],
    )
    rig.send(contact_event(CONTACT, queue=True))
    rig.deliver()

    (note,) = rig.tickets.notes(1001)
    assert "Bot handed over to an agent: SpeakToAgent" in note
    assert "Self-service conversation: on this ticket since the handoff" in note
    assert "agent please" not in note
    assert rig.contact(CONTACT)["outcome"] == "abandoned"
    assert rig.services.resolution_queue.due(NOW + timedelta(days=10)) == []


def test_a_chosen_ticket_deleted_before_a_retry_gets_a_follow_up_ticket(rig: PostCallRig) -> None:
    # Given an earlier attempt that got as far as WRITING, and the chosen ticket deleted since
    rig.seed_contact(
        CONTACT,
        zendeskUserId=1001,
        selectedTicketId=4242,
        postCall={"status": "WRITING", "ticketId": 4242, "at": "2026-11-21T11:59:30Z"},
    )
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    (ticket,) = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert rig.tickets.notes(ticket.id)[0].startswith("Follow-up to ticket #4242")


def test_a_closed_chosen_ticket_gets_a_follow_up_ticket(rig: PostCallRig) -> None:
    rig.seed_contact(CONTACT, callerE164=JANE_E164, zendeskUserId=1001, selectedTicketId=1004)
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()

    assert rig.tickets.notes(1004) == []
    (ticket,) = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert rig.tickets.notes(ticket.id)[0].startswith("Follow-up to ticket #1004 (closed or deleted).")


# ---------------------------------------------------------------------------------- exactly once
def test_duplicated_and_reordered_events_write_exactly_one_note(
    rig: PostCallRig, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the contact's events arriving out of order, the DISCONNECTED one three times (one in the
    # minimal shape real instances send, without timestamps) and another contact event in between
    known_caller_with_ticket(rig)
    minimal = {
        "version": "0",
        "id": "bc198b12-2a16-c92b-5925-5a0a06a39bf2",
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "time": "2026-11-21T11:59:30Z",
        "detail": {"contactId": CONTACT, "channel": "VOICE", "eventType": "DISCONNECTED"},
    }
    events = [
        contact_event(CONTACT, agent=True),
        contact_event(CONTACT, event_type="CONNECTED_TO_AGENT", agent=True),
        minimal,
        contact_event(CONTACT, agent=True),
    ]
    random.Random(7).shuffle(events)
    rig.send(*events)

    # When they are all delivered (batches of five, as the event source mapping does)
    rig.deliver()

    # Then one note, one write, and nothing left in the queue
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.tickets.writes == 1
    assert rig.queued() == 0
    outcomes = sorted(
        str(getattr(r, "outcome", "")) for r in caplog.records if r.getMessage() == "message processed"
    )
    assert outcomes == [
        "duplicate: already done (ticket 1001)",
        "duplicate: already done (ticket 1001)",
        "ignored CONNECTED_TO_AGENT VOICE event",
        "written (ticket 1001)",
    ]


def test_a_crash_between_the_zendesk_write_and_the_idempotency_record_does_not_write_twice(
    rig: PostCallRig,
) -> None:
    # Given the process dies right after Zendesk accepted the note (before anything else is saved)
    known_caller_with_ticket(rig)
    rig.tickets.crash_after.add("add_internal_note_once")
    event = sqs_event(contact_event(CONTACT, agent=True))
    with pytest.raises(Crash):
        rig.handler(event)
    assert len(rig.tickets.notes(1001)) == 1
    assert [r["status"] for r in rig.idempotency_records()] == ["INPROGRESS"]
    assert rig.contact(CONTACT)["postCall"]["status"] == "WRITING"

    # When the message comes back after the crashed invocation's timeout
    rig.expire_in_progress_records()
    response = rig.handler(sqs_event(contact_event(CONTACT, agent=True), receive_count=2))

    # Then Zendesk is asked first, and the note is not written again
    assert response == {"batchItemFailures": []}
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.tickets.calls["has_comment_containing"] == 1
    assert rig.contact(CONTACT)["postCall"]["status"] == "DONE"
    assert [r["status"] for r in rig.idempotency_records()] == ["COMPLETED"]


def test_a_failure_after_the_write_retries_without_writing_twice(rig: PostCallRig) -> None:
    # Given the note is written, then the analytics document cannot be stored (the record is dropped)
    known_caller_with_ticket(rig)
    rig.client("s3").delete_bucket(Bucket=rig.table("AnalyticsBucket"))
    rig.send(contact_event(CONTACT, agent=True))
    first = rig.poller().poll_once()
    assert first.failed
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.idempotency_records() == []

    # When storage is back and the message is retried
    rig.client("s3").create_bucket(Bucket=rig.table("AnalyticsBucket"))
    rig.deliver()

    # Then the ticket still has one note, and the analytics document is there
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.analytics(CONTACT) is not None


def test_a_created_ticket_is_found_by_external_id_after_a_crash(rig: PostCallRig) -> None:
    rig.seed_contact(CONTACT, callerE164=JANE_E164, zendeskUserId=1001)
    rig.tickets.crash_after.add("create_ticket")
    with pytest.raises(Crash):
        rig.handler(sqs_event(contact_event(CONTACT)))
    rig.expire_in_progress_records()
    rig.handler(sqs_event(contact_event(CONTACT), receive_count=2))

    created = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert len(created) == 1
    assert rig.tickets.calls["create_ticket"] == 1
    assert rig.contact(CONTACT)["postCall"]["ticketId"] == created[0].id


def test_a_note_zendesk_applies_late_after_the_retry_looked_is_not_written_twice(rig: PostCallRig) -> None:
    # Given the first attempt's note is held by Zendesk past the timeout (the attempt fails)
    known_caller_with_ticket(rig)
    rig.tickets.late["add_internal_note_once"] = 1
    first = rig.handler(sqs_event(contact_event(CONTACT, agent=True)))
    assert first["batchItemFailures"]
    assert rig.tickets.notes(1001) == []

    # When the retry has looked (nothing yet) and the held note lands right after the look
    rig.tickets.after_look = rig.tickets.land_late_writes
    rig.handler(sqs_event(contact_event(CONTACT, agent=True), receive_count=2))

    # Then the retry's safe update is refused, it looks again, and the ticket has one note
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.tickets.calls["safe_update_refused"] == 1
    assert rig.contact(CONTACT)["postCall"]["status"] == "DONE"


def test_a_note_zendesk_applies_late_after_the_retry_wrote_is_refused(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig)
    rig.tickets.late["add_internal_note_once"] = 1
    rig.handler(sqs_event(contact_event(CONTACT, agent=True)))
    rig.handler(sqs_event(contact_event(CONTACT, agent=True), receive_count=2))

    assert rig.tickets.land_late_writes() == [False]  # two minutes later: its stamp is stale
    assert len(rig.tickets.notes(1001)) == 1


def test_a_ticket_zendesk_creates_late_is_found_not_created_again(rig: PostCallRig) -> None:
    rig.seed_contact(CONTACT, callerE164=JANE_E164, zendeskUserId=1001)
    rig.tickets.late["create_ticket"] = 1
    rig.handler(sqs_event(contact_event(CONTACT)))
    in_progress = rig.handler(sqs_event(contact_event(CONTACT), receive_count=2))
    assert in_progress["batchItemFailures"]  # the key is still in progress: retried, nothing created

    assert rig.tickets.land_late_writes() == [True]
    rig.handler(sqs_event(contact_event(CONTACT), receive_count=3))

    created = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert len(created) == 1
    assert rig.contact(CONTACT)["postCall"]["ticketId"] == created[0].id


def test_a_repeat_after_the_idempotency_record_expired_is_stopped_by_the_contact_record(
    rig: PostCallRig,
) -> None:
    known_caller_with_ticket(rig)
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    rig.client("dynamodb").delete_item(
        TableName=rig.table("IdempotencyTable"), Key={"id": {"S": rig.idempotency_records()[0]["id"]}}
    )
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    assert len(rig.tickets.notes(1001)) == 1


def test_a_concurrent_attempt_waits_for_the_one_in_progress(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig)
    rig.tickets.crash_after.add("add_internal_note_once")
    with pytest.raises(Crash):
        rig.handler(sqs_event(contact_event(CONTACT, agent=True)))
    # The other copy arrives while the first invocation could still be running
    response = rig.handler(sqs_event(contact_event(CONTACT, agent=True)))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert rig.queue.delays == [30]
    assert len(rig.tickets.notes(1001)) == 1


# ---------------------------------------------------------------------------------- delivery
def test_zendesk_429_with_retry_after_delays_the_message_instead_of_sleeping(rig: PostCallRig) -> None:
    # Given Zendesk rate-limits the note once, asking to come back in 7 s
    known_caller_with_ticket(rig)
    rig.tickets.fail["add_internal_note_once"] = [ZendeskRateLimited("PUT rate limited", retry_after=7)]
    rig.send(contact_event(CONTACT, agent=True))

    # When the message is delivered
    first = rig.poller().poll_once()

    # Then it is not deleted but made invisible for Retry-After (plus at most 20 % spread)
    assert first.failed
    assert first.deleted == 0
    (delay,) = rig.queue.delays
    assert 8 <= delay <= 10
    assert rig.queued() == 1
    # And the retry writes the note once
    rig.deliver()
    assert len(rig.tickets.notes(1001)) == 1
    assert rig.queued() == 0


def test_transient_failures_back_off_exponentially(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig)
    rig.tickets.fail["add_internal_note_once"] = [ZendeskUnavailable("PUT answered 503")] * 3
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    assert all(
        [24 <= rig.queue.delays[0] <= 36, 48 <= rig.queue.delays[1] <= 72, 96 <= rig.queue.delays[2] <= 144]
    )
    assert len(rig.tickets.notes(1001)) == 1


def test_after_the_retry_limit_the_message_lands_in_the_dead_letter_queue_with_its_reason(
    rig: PostCallRig, caplog: pytest.LogCaptureFixture
) -> None:
    # Given Zendesk keeps failing
    known_caller_with_ticket(rig)
    rig.tickets.fail["add_internal_note_once"] = [
        ZendeskUnavailable("PUT /api/v2/tickets/1001.json answered 503")
    ] * 50
    rig.send(contact_event(CONTACT, agent=True))

    # When every attempt the queue allows is used
    rig.deliver(max_polls=30)

    # Then the last attempt moved it to the dead-letter queue, with the reason, and the contact says FAILED
    max_receives = rig.settings.post_call.max_receives
    assert rig.tickets.calls["add_internal_note_once"] == max_receives
    assert rig.queued() == 0
    (dead,) = rig.dead_letters()
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["failureReason"] == "PUT /api/v2/tickets/1001.json answered 503"
    assert attributes["errorType"] == "ZendeskUnavailable"
    assert attributes["receiveCount"] == str(max_receives)
    assert json.loads(dead["Body"])["detail"]["contactId"] == CONTACT
    assert rig.contact(CONTACT)["postCall"]["status"] == "FAILED"
    assert "message goes to the dead-letter queue" in caplog.text


def test_when_the_dead_letter_copy_fails_the_redrive_policy_still_moves_the_message(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig)
    rig.tickets.fail["add_internal_note_once"] = [ZendeskUnavailable("503")] * 50
    rig.queue._dead_letter_queue_url = rig.env["POST_CALL_DLQ_URL"] + "-missing"
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver(max_polls=30)
    # SQS itself moved it when its receive count passed maxReceiveCount
    assert rig.queued() == 0
    (dead,) = rig.dead_letters()
    assert json.loads(dead["Body"])["detail"]["contactId"] == CONTACT
    assert "MessageAttributes" not in dead  # moved as it was: the reason is in the function's log


def test_an_unusable_message_is_dead_lettered_at_once(rig: PostCallRig) -> None:
    rig.client("sqs").send_message(QueueUrl=rig.env["POST_CALL_QUEUE_URL"], MessageBody="not json")
    rig.send({"detail-type": "Amazon Connect Contact Event", "detail": {"eventType": "DISCONNECTED"}})
    rig.deliver()
    reasons = sorted(m["MessageAttributes"]["failureReason"]["StringValue"] for m in rig.dead_letters())
    assert reasons == ["DISCONNECTED event without a usable contactId", "message body is not JSON"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "message body nested deeper than 32"),
        ('{"detail": {"contactId": "c", "disconnectTimestamp": NaN}}', "message body holds NaN"),
    ],
)
def test_a_body_the_bounded_decoder_refuses_is_dead_lettered_at_once_with_the_reason(
    rig: PostCallRig, body: str, reason: str
) -> None:
    # Given a message nested 100,000 deep (json.loads: RecursionError, retried as transient) or holding NaN
    rig.client("sqs").send_message(QueueUrl=rig.env["POST_CALL_QUEUE_URL"], MessageBody=body)
    rig.deliver()
    # Then it is dead-lettered on its first receive, with the decoder's reason, and not retried
    (dead,) = rig.dead_letters()
    assert dead["MessageAttributes"]["failureReason"]["StringValue"].startswith(reason)
    assert dead["MessageAttributes"]["receiveCount"]["StringValue"] == "1"
    assert rig.queued() == 0


def test_a_rejected_note_is_dead_lettered_without_retrying(rig: PostCallRig) -> None:
    from connect_zendesk.errors import ZendeskRejected

    known_caller_with_ticket(rig)
    rig.seed_contact("other-contact", callerE164=JANE_E164, zendeskUserId=1001)
    rig.tickets.fail["create_ticket"] = [
        ZendeskRejected("POST /api/v2/tickets.json answered 422: RecordInvalid")
    ]
    rig.send(contact_event("other-contact"))
    rig.deliver()
    assert rig.tickets.calls["create_ticket"] == 1
    assert len(rig.dead_letters()) == 1


# ---------------------------------------------------------------------------------- settling
def test_an_unfinished_transcript_delays_the_message_then_the_note_has_it(rig: PostCallRig) -> None:
    # Given the call ended a minute ago and Contact Lens is still writing the transcript
    known_caller_with_ticket(rig, transcriptStatus="STARTED")
    rig.seed_transcript(transcript_items(CONTACT, CONVERSATION[:2]))
    rig.send(contact_event(CONTACT, agent=True))

    # When the message arrives: it is put back for 15 s, nothing is written
    first = rig.poller().poll_once()
    assert first.failed
    assert rig.queue.delays == [15]
    assert rig.tickets.writes == 0
    assert rig.idempotency_records() == []

    # When the transcript completes and the message returns
    rig.seed_transcript(transcript_items(CONTACT, CONVERSATION))
    rig.seed_contact(
        CONTACT, callerE164=JANE_E164, zendeskUserId=1001, selectedTicketId=1001, transcriptStatus="COMPLETED"
    )
    rig.deliver()

    # Then the note holds the complete transcript
    (note,) = rig.tickets.notes(1001)
    assert "That worked, thank you so much" in note


def test_the_settle_wait_ends_at_the_configured_maximum(rig: PostCallRig) -> None:
    # Given a transcript that never completes, and a call that ended 11 minutes ago (settle time 10 min)
    known_caller_with_ticket(rig, transcriptStatus="STARTED")
    rig.seed_transcript(transcript_items(CONTACT, CONVERSATION[:2]))
    rig.send(contact_event(CONTACT, agent=True, ended=NOW - timedelta(minutes=11)))

    rig.deliver()

    # Then the note is written with what there is
    (note,) = rig.tickets.notes(1001)
    assert "I am sorry to hear that" in note
    assert rig.queue.delays == []


def test_the_settle_wait_leaves_the_last_attempts_for_errors(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig, transcriptStatus="STARTED")
    max_receives = rig.settings.post_call.max_receives
    response = rig.handler(sqs_event(contact_event(CONTACT, agent=True), receive_count=max_receives - 3))
    assert response == {"batchItemFailures": []}
    assert len(rig.tickets.notes(1001)) == 1


def test_settle_delays_grow_and_stop_at_the_remaining_settle_time(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig, transcriptStatus="STARTED")
    event = contact_event(CONTACT, agent=True, ended=NOW - timedelta(seconds=590))
    for count in (1, 2, 3):
        rig.handler(sqs_event(event, receive_count=count))
    assert rig.queue.delays == [10, 10, 10]  # only 10 s of the 600 s settle time are left
    early = contact_event(CONTACT, agent=True, ended=NOW)
    for count in (1, 2, 3, 4, 5):
        rig.handler(sqs_event(early, receive_count=count))
    assert rig.queue.delays[3:] == [15, 30, 60, 120, 120]


# ---------------------------------------------------------------------------------- transcripts
def test_a_huge_transcript_becomes_an_attachment_with_an_excerpt_in_the_note(rig: PostCallRig) -> None:
    # Given a two-hour call: 1800 segments, far beyond the note's 20 000 characters
    known_caller_with_ticket(rig, transcriptStatus="COMPLETED")
    lines = [
        ("CUSTOMER" if i % 2 == 0 else "AGENT", "NEUTRAL", f"Line {i:04d} " + "word " * 12)
        for i in range(1800)
    ]
    rig.seed_transcript(transcript_items(CONTACT, lines))
    rig.send(contact_event(CONTACT, agent=True, ended=NOW - timedelta(minutes=2)))

    rig.deliver()

    # Then the note stays under the limit, opens the transcript and says where the rest is
    (comment,) = rig.tickets.tickets[1001].comments
    note = comment["body"]
    assert len(note) <= 20_000
    assert "[00:05] Customer: Line 0000" in note
    assert "Line 1799" not in note
    assert f"the whole transcript is attached as transcript-{CONTACT}.txt" in note
    assert note.rstrip().endswith(f"[connect-contact:{CONTACT}]")
    # And the attachment holds every line
    (attachment,) = comment["attachments"]
    assert attachment.filename == f"transcript-{CONTACT}.txt"
    text = attachment.content.decode()
    assert text.count("] Customer: Line") + text.count("] Agent: Line") == 1800
    assert "Line 1799" in text
    assert rig.analytics(CONTACT)["transcript"]["attached"] is True  # type: ignore[index]


def test_pii_is_redacted_before_anything_leaves(rig: PostCallRig) -> None:
    known_caller_with_ticket(
        rig,
        transcriptStatus="COMPLETED",
        conversation=[
            {"at": "2026-11-21T11:53:10Z", "role": "caller", "text": "I am Jane, call me on +1 415 555 2671"}
        ],
    )
    rig.seed_transcript(
        transcript_items(
            CONTACT, [("CUSTOMER", "NEUTRAL", "This is Jane Doe, jane.doe@example.com, my printer")]
        )
    )
    rig.configure(redact_pii=True)
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()

    (note,) = rig.tickets.notes(1001)
    assert "Transcript (PII redacted)" in note
    assert "This is [NAME], [EMAIL], my printer" in note
    assert "I am [NAME], call me on [PHONE]" in note
    assert "jane.doe@example.com" not in note
    assert "Jane" not in note
    document = rig.analytics(CONTACT)
    assert document is not None
    assert document["transcript"]["redaction"] == "redacted"
    assert "Jane" not in json.dumps(document)


def test_a_language_comprehend_cannot_redact_is_withheld_not_sent(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig, transcriptStatus="COMPLETED", language="ja-JP")
    rig.seed_transcript(
        transcript_items(CONTACT, [("CUSTOMER", "NEUTRAL", "山田です、電話番号は03-1234-5678")])
    )
    rig.configure(redact_pii=True)
    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()
    (note,) = rig.tickets.notes(1001)
    assert "Transcript (withheld)" in note
    assert "山田" not in note
    assert rig.analytics(CONTACT)["entities"] == {"Entities": []}  # type: ignore[index]


def test_a_redaction_failure_retries_and_never_sends_the_raw_text(rig: PostCallRig) -> None:
    known_caller_with_ticket(rig, transcriptStatus="COMPLETED")
    rig.seed_transcript(transcript_items(CONTACT, [("CUSTOMER", "NEUTRAL", "This is Jane Doe")]))
    rig.configure(redact_pii=True)
    rig.analyzer.fail = True
    rig.send(contact_event(CONTACT, agent=True))
    first = rig.poller().poll_once()
    assert first.failed
    assert rig.tickets.writes == 0
    rig.analyzer.fail = False
    rig.deliver()
    (note,) = rig.tickets.notes(1001)
    assert "Jane" not in note


# ---------------------------------------------------------------------------------- who gets the ticket
def test_an_unknown_caller_gets_a_new_end_user_and_ticket(rig: PostCallRig) -> None:
    # Given a number no Zendesk user has
    rig.seed_contact(CONTACT, callerE164=UNKNOWN_E164, lookupResult="NotFound")

    rig.send(contact_event(CONTACT, agent=True))
    rig.deliver()

    # Then an end-user is created for the number and the note goes on a new ticket requested by them
    ((user_id, user),) = rig.tickets.users.items()
    assert user == {"name": "Caller +1 212-555-0147", "phone": UNKNOWN_E164}
    (ticket,) = [t for t in rig.tickets.tickets.values() if t.requester_id == user_id]
    assert len(ticket.comments) == 1
    assert rig.contact(CONTACT)["postCall"]["createdUserId"] == user_id


def test_an_unknown_caller_gets_no_ticket_when_end_users_may_not_be_created(rig: PostCallRig) -> None:
    rig.seed_contact(CONTACT, callerE164=UNKNOWN_E164)
    rig.configure(create_unknown_callers=False)
    rig.send(contact_event(CONTACT))
    rig.deliver()
    assert rig.tickets.users == {}
    assert rig.tickets.writes == 0
    assert rig.contact(CONTACT)["postCall"]["status"] == "SKIPPED"
    assert rig.analytics(CONTACT)["zendesk"] == {  # type: ignore[index]
        "note": "skipped",
        "requester_id": None,
        "ticket_created": False,
        "ticket_id": None,
    }


def test_a_withheld_number_without_a_chosen_ticket_is_skipped(rig: PostCallRig) -> None:
    rig.send(contact_event(CONTACT))  # no Contacts item at all: nothing ran before the call ended
    rig.deliver()
    assert rig.tickets.writes == 0
    assert rig.contact(CONTACT)["postCall"]["status"] == "SKIPPED"


def test_a_caller_added_to_zendesk_during_the_call_is_not_created_twice(rig: PostCallRig) -> None:
    # Given the caller lookup found nobody, but Carlos (stored as "(415) 555-0134") exists now
    rig.seed_contact(CONTACT, callerE164="+14155550134")
    rig.send(contact_event(CONTACT))
    rig.deliver()
    assert rig.tickets.users == {}
    (ticket,) = [t for t in rig.tickets.tickets.values() if t.external_id == f"connect-contact:{CONTACT}"]
    assert ticket.requester_id == 1002


def test_ignored_events_and_channels(rig: PostCallRig) -> None:
    response = rig.handler(
        sqs_event(
            contact_event(CONTACT, event_type="CONNECTED_TO_AGENT"),
            contact_event("task-contact", channel="TASK"),
            contact_event("email-contact", channel="EMAIL"),
        )
    )
    assert response == {"batchItemFailures": []}
    assert rig.tickets.writes == 0
    assert rig.analytics_keys() == []
