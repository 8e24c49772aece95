"""The demo is the newcomer's first contact with the project: it must play the whole call."""

from __future__ import annotations

import io
import os
import re
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
    # the last call ends: one internal note despite the event arriving twice, its analytics, the queries
    after_call = timeline.split("Call 6 ·")[1]
    assert "→ post_call_update: 2 message(s)" in after_call
    assert "ticket 1001: 1 internal note from this call (public: False)" in after_call
    assert "│ Outcome: handled by an agent" in after_call
    assert "│ [02:11] Customer: It's printing again. Thank you, that was quick!" in after_call
    assert "│ Recording and contact details: https://demo.my.connect.aws/contact-trace-records/details/" in (
        after_call
    )
    assert "Analytics record s3://connect-zendesk-local-analyticsbucket/calls/dt=" in after_call
    assert 'outcome: "escalated"' in after_call
    assert "phrase_view        printer (0.99), paper jam (0.97), rear tray (0.93)" in after_call
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
