"""The demo is the newcomer's first contact with the project: it must play one whole call, every step
real, and a few short ones. The assertions read what the steps stored (DynamoDB, S3, Zendesk), not
what the demo prints about itself."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.contact_lens_events import call_records
from connect_zendesk_local.demo import (
    AGENT_NOTE,
    FUNCTION_LOG,
    DemoRun,
    analytics_database,
    contact_item,
    play,
    post_call_notes,
    ticket_tags,
)
from connect_zendesk_local.demo_views import Timeline
from connect_zendesk_local.kvs_fixtures import missing_media_tools
from connect_zendesk_local.stack import LOCAL_PARAMETERS, LocalStack


@dataclass
class Played:
    stack: LocalStack
    run: DemoRun
    timeline: str
    logs: str

    def section(self, start: str, end: str | None = None) -> str:
        """The timeline from the heading `start` to the heading `end`. A numbered heading ("1.4") is
        matched as a heading line only: elapsed times such as "+ 1.412s" contain the same digits."""
        text = self.timeline.split(_heading(start), 1)[1]
        return text.split(_heading(end), 1)[0] if end else text


def _heading(name: str) -> str:
    return f"\n {name} " if re.fullmatch(r"\d+\.\d+", name) else name


@pytest.fixture(scope="module")
def played() -> Iterator[Played]:
    out, logs = io.StringIO(), io.StringIO()
    with LocalStack() as stack:
        run = play(stack, Timeline(out, logs))
        yield Played(stack, run, out.getvalue(), logs.getvalue())


def _finals(contact_id: str) -> list[tuple[str, str]]:
    """(speaker, text) of every final transcript segment the Contact Lens records carried."""
    return [
        (segment["Transcript"]["ParticipantRole"], segment["Transcript"]["Content"])
        for record in call_records(contact_id)
        for segment in record.get("Segments", [])
        if "Transcript" in segment
    ]


def _whole_call(played: Played) -> tuple[str, dict[str, Any]]:
    contact_id = played.run.calls[1].contact_id
    return contact_id, contact_item(played.stack, contact_id)


def test_call_1_is_one_contact_that_every_step_wrote_to(played: Played) -> None:
    contact_id, record = _whole_call(played)
    # caller_lookup and ticket_lookup
    assert str(record["zendeskUserId"]) == "22450000001001"
    assert 1001 in {int(t) for t in record["offeredTicketIds"]}
    # the bot: ticket confirmed, status checked, callback booked, handed over
    assert int(record["selectedTicketId"]) == 1001
    assert set(record["fulfilledIntents"]) == {"CheckTicketStatus", "ScheduleCallback"}
    assert record["handoff"]["reason"] == "SpeakToAgent"
    # Contact Lens through transcription_consumer and sentiment; the agent's note through agent_socket
    assert [(s["speaker"], s["text"]) for s in played.stack.transcript(contact_id)] == _finals(contact_id)
    assert record["transcriptStatus"] == "COMPLETED"
    assert record["sentiment"]["CUSTOMER"]["trend"]
    assert record["keyPhrases"]
    assert [note["text"] for note in record["agentNotes"]] == [AGENT_NOTE]
    # post_call_update, on the same contact
    assert record["postCall"]["status"] == "DONE"
    assert int(record["postCall"]["ticketId"]) == 1001
    assert record["outcome"] == "escalated"
    # the Zendesk requests the steps caused: lookups, bot reads and writes, the post-call note
    paths = [(r.method, r.path) for r in played.run.calls[1].requests]
    assert paths[:2] == [
        ("GET", "/api/v2/search.json"),
        ("GET", "/api/v2/users/22450000001001/tickets/requested.json"),
    ]
    assert ("PUT", "/api/v2/tickets/1001.json") in paths


def test_call_1_ticket_is_assigned_and_popped_when_the_agent_answers(played: Played) -> None:
    contact_id, record = _whole_call(played)
    leg = record["agentLeg"]
    assert (int(leg["ticketId"]), int(leg["zendeskAgentId"]), leg["popped"]) == (
        1001,
        22450000000102,
        "delivered",
    )
    assert played.stack.zendesk is not None
    ticket = played.stack.zendesk.store.ticket(1001)
    assert ticket["assignee_id"] == 22450000000102
    assert f"connect_contact_{contact_id}" in ticket["tags"]
    paths = [(r.method, r.path) for r in played.run.calls[1].requests]
    assert ("POST", "/api/v2/channels/voice/agents/22450000000102/tickets/1001/display.json") in paths
    # the CONNECTED_TO_AGENT event delivered twice: one pop
    assert (
        paths.count(("POST", "/api/v2/channels/voice/agents/22450000000102/tickets/1001/display.json")) == 1
    )


def test_the_disconnected_event_delivered_twice_leaves_exactly_one_note(played: Played) -> None:
    contact_id, _ = _whole_call(played)
    notes = post_call_notes(played.stack, 1001, contact_id)
    assert len(notes) == 1
    assert notes[0]["public"] is False
    deliveries = re.findall(
        r"→ post_call_update: (\d+) message\(s\), (\d+) failed", played.section("1.4", "1.5")
    )
    assert deliveries == [("1", "0"), ("1", "0")]
    # the second delivery was recognised as a duplicate by the function itself
    duplicates = [
        json.loads(line)
        for line in played.logs.splitlines()
        if '"duplicate: already done' in line and contact_id in line
    ]
    assert len(duplicates) == 1


def test_the_note_holds_what_the_earlier_steps_stored(played: Played) -> None:
    contact_id, record = _whole_call(played)
    (note,) = post_call_notes(played.stack, 1001, contact_id)
    body = str(note["body"])
    for speaker, text in _finals(contact_id):
        assert f"] {speaker.title()}: {text}" in body
    trend = " ".join(f"{float(point):+.1f}" for point in record["sentiment"]["CUSTOMER"]["trend"][-10:])
    assert re.search(rf"- Customer: \w+, \w+ \(trend {re.escape(trend)}\)", body)
    phrases = body.split("Key phrases: ", 1)[1].splitlines()[0].split(", ")
    assert set(phrases) <= {p["text"] for p in record["keyPhrases"]}
    assert f"{LOCAL_PARAMETERS['ConnectAccessUrl']}/contact-trace-records/details/{contact_id}" in body
    assert AGENT_NOTE in body
    assert record["postContactSummary"] in body
    assert "Self-service completed: CheckTicketStatus, ScheduleCallback" in body
    assert "Bot handed over to an agent: SpeakToAgent" in body
    # the bot's conversation went on the ticket once, at the handoff, not again in the post-call note
    assert played.stack.zendesk is not None
    comments = [
        str(c["body"]) for c in played.stack.zendesk.store.get_comments(1001) if contact_id in str(c["body"])
    ]
    handoff = [c for c in comments if c.startswith("Conversation with the self-service bot")]
    assert len(handoff) == 1
    assert "Caller: What's the latest on it?" in handoff[0]
    assert "What's the latest on it?" not in body
    # the note is printed as Zendesk holds it
    assert all(f"│ {line}".rstrip() in played.timeline for line in body.splitlines())


def test_the_analytics_record_of_call_1_is_in_s3_and_queried(played: Played) -> None:
    contact_id, record = _whole_call(played)
    bucket = played.stack.template.physical["AnalyticsBucket"].ref
    body = played.stack.client("s3").get_object(Bucket=bucket, Key=record["postCall"]["analyticsKey"])["Body"]
    document = json.loads(body.read())
    assert document["contact_id"] == contact_id
    assert document["outcome"] == "escalated"
    assert document["transcript"]["segments"] == len(_finals(contact_id))
    assert document["zendesk"]["ticket_id"] == 1001
    assert document["handoff_reason"] == "SpeakToAgent"
    shown = played.section("1.6", "Call 2 ·")
    with analytics_database(played.stack, bucket) as database:
        database.run("phrase_view")
        phrases = database.execute("SELECT phrase FROM phrase_view WHERE contact_id = ?", [contact_id])
    assert phrases
    assert any(f"{row['phrase']} (" in shown for row in phrases)


def test_the_side_panel_received_the_contact_lens_segments(played: Played) -> None:
    contact_id, _ = _whole_call(played)
    panel = played.section("1.3", "1.4")
    for speaker, text in _finals(contact_id):
        assert f'← final    {speaker:<8} "{text}"' in panel
    assert "Sentiment  ← CUSTOMER utterance NEGATIVE (local)" in panel
    assert re.search(r"← ALERT: the customer sounded negative [34] utterances in a row", panel)
    assert f'← note saved "{AGENT_NOTE}"' in panel
    assert "← transcript COMPLETED" in panel


def test_an_unknown_caller_gets_a_new_end_user_and_a_ticket(played: Played) -> None:
    call = played.run.calls[2]
    record = contact_item(played.stack, call.contact_id)
    assert record["lookupResult"] == "NotFound"
    assert played.stack.zendesk is not None
    (new_user,) = [u for u in played.stack.zendesk.store.list_users() if u["phone"] == "+12125550147"]
    assert int(record["zendeskUserId"]) == new_user["id"]  # the bot's new end-user, kept on the contact
    created = [r for r in call.requests if r.method == "POST"]
    assert [(r.path, r.status) for r in created] == [
        ("/api/v2/users.json", 201),
        ("/api/v2/tickets.json", 201),
    ]
    ticket = created[1].json_body()["ticket"]
    assert "dial tone" in json.dumps(ticket)
    assert "← NotFound · no Zendesk user has this number" in played.section("Call 2 ·", "Call 3 ·")


def test_a_withheld_number_makes_no_zendesk_request(played: Played) -> None:
    assert played.run.calls[3].requests == []
    assert "← Skipped · Anonymous: no Zendesk call" in played.section("Call 3 ·", "Call 4 ·")


def test_a_hanging_then_rate_limiting_zendesk_is_answered_within_the_budget(played: Played) -> None:
    requests = played.run.calls[4].requests
    assert [(r.fault, r.status) for r in requests] == [("hang", None), ("rate_limit", 429)]
    section = played.section("Call 4 ·", "Call 5 ·")
    answered = re.search(r"\+\s*([\d.]+)s  Lambda     ← Error · errorType Timeout", section)
    assert answered is not None
    assert float(answered.group(1)) < 4.5  # a 3 s budget, well under Connect's 8 s
    assert "← Error · errorType RateLimited" in section


def test_call_5_is_resolved_by_the_japanese_bot_and_counted_as_an_automated_resolution(
    played: Played,
) -> None:
    call = played.run.calls[5]
    record = contact_item(played.stack, call.contact_id)
    assert record["outcome"] == "bot_resolved_candidate"
    assert set(record["fulfilledIntents"]) >= {"CheckTicketStatus", "OrderStatus"}
    assert record["resolution"]["verdict"] == "automated"
    assert (played.run.metering["automated"], played.run.metering["disqualified"]) == (1, 0)
    assert {"bot_resolved", "automated_resolution"} <= set(ticket_tags(played.stack, 1007))
    assert len(post_call_notes(played.stack, 1007, call.contact_id)) == 1
    assert "ご注文番号70001、インクカートリッジ 2個は、発送準備中です。" in played.section("Call 5 ·")
    with analytics_database(played.stack, played.stack.template.physical["AnalyticsBucket"].ref) as database:
        rates = database.run("automated_resolution_rate")
    assert sum(row["automated_resolutions"] for row in rates) == 1
    assert sum(row["escalated"] for row in rates) == 1
    shown = played.section("73 hours later")
    for row in rates:
        assert f"{row['conversations']} conversation(s), {row['escalated']} escalated" in shown


def test_the_kvs_path_transcribes_its_call(played: Played) -> None:
    if missing_media_tools():
        pytest.skip(f"needs {', '.join(missing_media_tools())}")
    section = played.section("Call 6 ·")
    assert "kvs_transcriber: 15 KVS fragments" in section
    assert "AGENT      0.4- 3.1 s" in section
    assert "Hi, my printer went offline again this morning." in section


def test_the_functions_logs_hold_no_transcript_text_or_numbers(played: Played) -> None:
    assert '"message":"post-call update done"' in played.logs
    assert '"message":"flow step answered"' in played.logs
    assert '"message":"bot turn answered"' in played.logs
    for secret in ("+14155552671", "terrible service", "What's the latest on it?", "dial tone"):
        assert secret not in played.logs


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
    numbered = re.findall(r"^Call (\d) · ", result.stdout, flags=re.MULTILINE)
    assert numbered == ["1", "2", "3", "4", "5", "6"]
    assert "Local stack stopped." in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("{")]  # logs go to the file
    assert FUNCTION_LOG.exists()
