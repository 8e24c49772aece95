"""The demo is the newcomer's first contact with the project: it must play the whole call."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.demo import FUNCTION_LOG, run_demo
from connect_zendesk_local.kvs_fixtures import missing_media_tools


def test_demo_plays_known_repeat_unknown_withheld_and_japanese_callers() -> None:
    out, functions = io.StringIO(), io.StringIO()
    run_demo(out, function_log=functions)
    timeline = out.getvalue()
    # a known caller is greeted by name and offered her newest open ticket, in two Zendesk calls
    assert '"Hello Jane, thanks for calling."' in timeline
    assert "The most recent is ticket 1001 about Printer offline, updated 2 days ago." in timeline
    calls = [int(line.rsplit(":", 1)[1]) for line in timeline.splitlines() if "Zendesk API calls" in line]
    assert calls[0] <= 3  # first-time caller
    assert calls[1] <= 1  # the same caller again, inside the cache TTL
    assert "← NotFound · no Zendesk user has this number" in timeline
    assert "← Skipped · Anonymous: no Zendesk call" in timeline
    assert "チケット番号1007、「プリンターがオフライン」" in timeline
    assert "Contacts table:" in timeline
    # the agent part of call 1: Contact Lens segments reach the side panel through both functions
    assert '← partial  AGENT    "Thanks for calling Example Support, this is"' in timeline
    assert '← final    CUSTOMER "I am very angry, this is terrible service."' in timeline
    assert "Sentiment  ← CUSTOMER utterance NEGATIVE (local)" in timeline
    assert re.search(r"← ALERT: the customer sounded negative [34] utterances in a row", timeline)
    assert "← transcript COMPLETED" in timeline
    assert "Transcripts table: 8 final segments" in timeline
    assert "1 agent note(s)" in timeline
    # the KVS audio path transcribes the demo call (where espeak-ng and ffmpeg are installed)
    if not missing_media_tools():
        assert "Call 8" in timeline
        assert "kvs_transcriber: 15 KVS fragments" in timeline
        assert "AGENT      0.4- 3.1 s" in timeline
        assert "Hi, my printer went offline again this morning." in timeline
    # the last call ends: one internal note despite the event arriving twice, its analytics, the queries
    after_call = timeline.split("Call 9 ·")[1]
    assert "→ post_call_update: 2 message(s)" in after_call
    assert "ticket 1001: 1 internal note from this call (public: False)" in after_call
    assert "│ Outcome: handled by an agent" in after_call
    assert "│ [02:11] Customer: It's printing again. Thank you, that was quick!" in after_call
    assert "│ Recording and contact details: https://demo.my.connect.aws/contact-trace-records/details/" in (
        after_call
    )
    assert "Analytics record s3://connect-zendesk-local-analyticsbucket/calls/dt=" in after_call
    assert 'outcome: "escalated"' in after_call
    # key phrases of the call, as the sentiment step found them in its transcript
    assert re.search(r"phrase_view        .*rear tray \(\d", after_call)
    # a bot-resolved call becomes an automated resolution when the metering runs after its window
    assert "← outcome bot_resolved_candidate; ticket 1006 tagged connect_call, bot_resolved" in after_call
    assert "← resolution_metering: 1 automated resolution(s), 0 disqualified" in after_call
    assert "ticket 1006 tags: connect_call, bot_resolved, automated_resolution" in after_call
    # (one row per day: near midnight the two calls may fall on two days)
    assert re.search(
        r"automated_resolution_rate  \d{4}-\d\d-\d\d · .*1 bot-resolved, 1 automated", after_call
    )
    assert '"message":"post-call update done"' in functions.getvalue()
    assert "It's printing again" not in functions.getvalue()  # transcript text is never logged
    # the functions' JSON logs went to their own stream, with the caller's number masked
    assert '"message":"flow step answered"' in functions.getvalue()
    assert "+14155552671" not in functions.getvalue()
    assert "terrible service" not in functions.getvalue()  # transcript text is never logged


def test_make_demo_entry_point_runs_from_a_shell() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "ZENPY_FORCE"))}
    result = subprocess.run(
        [sys.executable, "-m", "connect_zendesk_local.demo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    assert "72 hours later" in result.stdout
    assert "Local stack stopped." in result.stdout
    assert FUNCTION_LOG.exists()


def test_demo_plays_the_self_service_bot_from_ticket_check_to_handoff() -> None:
    out, functions = io.StringIO(), io.StringIO()
    run_demo(out, function_log=functions)
    timeline = out.getvalue()
    bot = timeline.split("Call 6 ·", 1)[1]
    # the caller checks their ticket, books a callback and asks for an agent
    assert '"Ticket 1001, Printer offline, is open. It was last updated 2 days ago."' in bot
    assert "→ lex_fulfillment (FulfillmentCodeHook, ScheduleCallback) ← ElicitIntent" in bot
    assert '"Your callback is booked for Monday' in bot
    assert "SMS via Amazon SNS to +1*******671: Your callback is booked for Monday" in bot
    assert "← Close" in bot
    assert "handoff=true, handoffReason=SpeakToAgent, zendeskTicketId=1001" in bot
    # the handoff ticket shows the timestamped conversation
    note = [line for line in bot.splitlines() if "│" in line]
    assert "Conversation with the self-service bot (voice, contact" in note[0]
    assert any("] Caller: What's the latest on it?" in line for line in note)
    assert any("] Bot: Ticket 1001, Printer offline, is open." in line for line in note)
    assert "fulfilledIntents ['CheckTicketStatus', 'ScheduleCallback']" in bot
    # the Japanese bot
    assert "ご注文番号70001、インクカートリッジ 2個は、発送準備中です。" in bot
    # transcript text and numbers never reach the functions' logs
    logs = functions.getvalue()
    assert '"message":"bot turn answered"' in logs
    assert "What's the latest on it?" not in logs
    assert "+14155552671" not in logs
