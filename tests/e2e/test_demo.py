"""The demo is the newcomer's first contact with the project: it must play the whole call."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.demo import FUNCTION_LOG, run_demo


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
    # the functions' JSON logs went to their own stream, with the caller's number masked
    assert '"message":"flow step answered"' in functions.getvalue()
    assert "+14155552671" not in functions.getvalue()


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
    assert "Call 5" in result.stdout
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
