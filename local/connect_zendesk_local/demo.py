"""`make demo`: a whole call on the embedded local stack, printed as a timeline.

No AWS account and no Docker: moto server plays DynamoDB and Secrets Manager (tables created from
template.yaml), the Zendesk emulator plays Zendesk Support with its demo customers, and the
functions' handlers run here exactly as Lambda would run them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from connect_zendesk_local.analytics_sql import AnalyticsDatabase, download_documents
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event, disconnected_event, load_event
from connect_zendesk_local.stack import LocalStack, function_output_to

FUNCTION_LOG = PROJECT_ROOT / ".local-stack" / "demo-function-logs.jsonl"


@dataclass
class Timeline:
    """Prints what happens during a call, with the time since the call started."""

    out: TextIO
    function_log: TextIO  # the functions' own JSON logs, as CloudWatch would hold them
    started: float = field(default_factory=time.monotonic)

    def restart(self) -> None:
        self.started = time.monotonic()

    def heading(self, text: str) -> None:
        print(f"\n{text}", file=self.out)

    def line(self, actor: str, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  +{elapsed:6.3f}s  {actor:<10} {text}", file=self.out)

    def note(self, text: str) -> None:
        print(f"  {'':8}  {'':<10} {text}", file=self.out)


@dataclass
class DemoCall:
    """One call from the flow's point of view: it invokes functions and says what the flow says."""

    stack: LocalStack
    timeline: Timeline
    caller: str | None
    language: str = "en-US"
    contact_id: str = ""
    zendesk_calls_before: int = 0

    def __post_init__(self) -> None:
        self.event = contact_flow_event(self.caller, language=self.language)
        self.contact_id = self.event["Details"]["ContactData"]["ContactId"]
        self.zendesk_calls_before = _zendesk_api_calls(self.stack)

    def invoke(self, function: str, describe: Callable[[dict[str, str]], str]) -> dict[str, str]:
        self.timeline.line("Connect", f"→ {function}")
        with function_output_to(self.timeline.function_log):
            response: dict[str, str] = self.stack.invoke(function, self.event)
        self.timeline.line("Lambda", f"← {response['lambdaResult']} · {describe(response)}")
        return response

    def says(self, text: str) -> None:
        self.timeline.line("Flow says", f'"{text}"')

    def zendesk_calls(self) -> int:
        return _zendesk_api_calls(self.stack) - self.zendesk_calls_before


def play_lookup(call: DemoCall) -> tuple[dict[str, str], dict[str, str]]:
    """The inbound flow's first steps: who is calling, and which ticket are they calling about."""
    caller = call.invoke("caller_lookup", _describe_caller)
    if caller["lambdaResult"] == "Success":
        call.says(f"Hello {caller['customerFirstName']}, thanks for calling.")
    else:
        call.says("Thanks for calling support.")
    tickets = call.invoke("ticket_lookup", _describe_tickets)
    if tickets["lambdaResult"] == "Success":
        call.says(tickets["ticketPrompt"])
        call.timeline.line("Flow asks", '"Are you calling about this ticket? Press 1 for yes, 2 for no."')
    elif tickets["ticketPrompt"]:
        call.says(tickets["ticketPrompt"])
    call.timeline.note(f"Zendesk API calls during this call: {call.zendesk_calls()}")
    return caller, tickets


def _describe_caller(response: dict[str, str]) -> str:
    result = response["lambdaResult"]
    if result == "Success":
        return f"Zendesk user {response['zendeskUserId']} ({response['matchCount']} match)"
    if result == "Skipped":
        return f"{response['skipReason']}: no Zendesk call"
    if result == "Error":
        return f"errorType {response['errorType']}: the flow takes its error branch"
    return "no Zendesk user has this number"


def _describe_tickets(response: dict[str, str]) -> str:
    if response["lambdaResult"] == "Success":
        return (
            f"{response['openTicketCount']} open ticket(s), offering {response['ticketId']} "
            f"({response['ticketStatus']}); ticketIds {response['ticketIds']}"
        )
    return response["skipReason"] or response["errorType"] or "no open tickets"


def _zendesk_api_calls(stack: LocalStack) -> int:
    assert stack.zendesk is not None
    return sum(1 for r in stack.zendesk.requests_log() if r.path.startswith("/api/v2/"))


def contact_record(stack: LocalStack, contact_id: str) -> dict[str, Any]:
    table = stack.template.physical["ContactsTable"].ref
    item = (
        stack.client("dynamodb")
        .get_item(TableName=table, Key={"contactId": {"S": contact_id}})
        .get("Item", {})
    )
    return {key: next(iter(value.values())) for key, value in item.items()}


def run_demo(out: TextIO = sys.stdout, function_log: TextIO | None = None) -> None:
    print("connect-zendesk demo: calls on the embedded local stack (no AWS account, no Docker)", file=out)
    with contextlib.ExitStack() as resources:
        if function_log is None:
            FUNCTION_LOG.parent.mkdir(exist_ok=True)
            function_log = resources.enter_context(FUNCTION_LOG.open("w", encoding="utf-8"))
        stack = resources.enter_context(LocalStack())
        _play(stack, Timeline(out, function_log))
    print(
        f"\nLocal stack stopped. The functions' own logs: {FUNCTION_LOG.relative_to(PROJECT_ROOT)}", file=out
    )


def _play(stack: LocalStack, timeline: Timeline) -> None:
    assert stack.zendesk is not None
    tables = ", ".join(sorted(stack.template.resources_of_type("AWS::DynamoDB::Table")))
    timeline.heading("Local stack")
    timeline.note(f"moto server       {stack.aws_endpoint}  (tables from template.yaml: {tables})")
    timeline.note(f"Zendesk emulator  {stack.zendesk.url}  (seeded demo customers)")

    timeline.heading("Call 1 · a known customer calls from +1 415-555-2671")
    timeline.restart()
    first = DemoCall(stack, timeline, "+14155552671")
    play_lookup(first)
    record = contact_record(stack, first.contact_id)
    timeline.note(
        f"Contacts table: {first.contact_id} → Zendesk user {record.get('zendeskUserId')}, "
        f"offered tickets {[int(t['N']) for t in record.get('offeredTicketIds', [])]}"
    )

    timeline.heading("Call 2 · the same customer calls back (answers come from the Cache table)")
    timeline.restart()
    play_lookup(DemoCall(stack, timeline, "+14155552671"))

    timeline.heading("Call 3 · a number Zendesk does not know")
    timeline.restart()
    play_lookup(DemoCall(stack, timeline, "+12125550147"))

    timeline.heading("Call 4 · a withheld number")
    timeline.restart()
    play_lookup(DemoCall(stack, timeline, "anonymous"))

    timeline.heading("Call 5 · 山田 太郎 calls the Japanese line")
    timeline.restart()
    play_lookup(DemoCall(stack, timeline, "+81312345678", language="ja-JP"))

    play_after_call(stack, timeline)
    play_self_service_and_metering(stack, timeline)


# ------------------------------------------------------------------------------ after the call
# What the later steps of a call store (docs/data-model.md): the IVR's ticket confirmation, Contact
# Lens segments with their sentiment, categories and summary, the sentiment step's key phrases, the
# agent's note. The demo writes them as those steps would, so the after-call step has a whole call.
DEMO_TRANSCRIPT = [
    ("CUSTOMER", "NEGATIVE", "Hi, my printer shows offline again and I have a deadline today."),
    ("AGENT", "NEUTRAL", "Sorry about that. I can see ticket 1001. Is it the office printer?"),
    ("CUSTOMER", "NEUTRAL", "Yes, the one on the second floor. It says paper jam but nothing is stuck."),
    ("AGENT", "POSITIVE", "Please open the rear tray, close it, and hold the reset button for five seconds."),
    ("CUSTOMER", "POSITIVE", "It's printing again. Thank you, that was quick!"),
]
CALL_SECONDS = 372


def play_after_call(stack: LocalStack, timeline: Timeline) -> None:
    """A call ends: EventBridge → SQS → post_call_update writes the note once; analytics and Athena."""
    timeline.heading("Call 6 · Jane calls about her printer, talks to an agent, hangs up")
    timeline.restart()
    call = DemoCall(stack, timeline, "+14155552671")
    _, tickets = play_lookup(call)
    ticket_id = int(tickets["ticketId"])
    timeline.line("Caller", f"presses 1: the call is about ticket {ticket_id}")
    ended = datetime.now(UTC)
    _store_what_the_call_produced(stack, call.contact_id, ticket_id, ended - timedelta(seconds=CALL_SECONDS))
    timeline.note("(transcript, sentiment, agent note stored as the real-time steps store them)")

    detail, resources = disconnected_event(
        call.contact_id, started=ended - timedelta(seconds=CALL_SECONDS), ended=ended
    )
    for _ in range(2):  # contact events are delivered at least once: here, twice
        stack.put_contact_event(detail, resources)
    timeline.line("Connect", "contact event DISCONNECTED → EventBridge rule → SQS (delivered twice)")
    with function_output_to(timeline.function_log):
        results = stack.sqs_poller("post_call_update").drain()
    received = sum(r.received for r in results)
    failed = sum(len(r.failed) for r in results)
    timeline.line(
        "SQS", f"→ post_call_update: {received} message(s) in {len(results)} batch(es), {failed} failed"
    )
    assert stack.zendesk is not None
    notes = [c for c in stack.zendesk.store.get_comments(ticket_id) if call.contact_id in (c["body"] or "")]
    timeline.line(
        "Zendesk",
        f"ticket {ticket_id}: {len(notes)} internal note from this call (public: {notes[-1]['public']})",
    )
    timeline.note(f"ticket tags: {', '.join(stack.zendesk.store.get_ticket(ticket_id)['tags'])}")  # type: ignore[index]
    print("", file=timeline.out)
    for line in notes[-1]["body"].splitlines():
        print(f"      │ {line}", file=timeline.out)

    bucket = stack.template.physical["AnalyticsBucket"].ref
    record = contact_record(stack, call.contact_id)
    key = record["postCall"]["analyticsKey"]["S"]
    document = json.loads(stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    print(f"\n  Analytics record s3://{bucket}/{key}", file=timeline.out)
    for name in sorted(document):
        print(f"      {name}: {json.dumps(document[name], ensure_ascii=False)}", file=timeline.out)


def play_self_service_and_metering(stack: LocalStack, timeline: Timeline) -> None:
    """A bot-resolved call, then the metering run after the 72-hour window: an automated resolution."""
    timeline.heading("Call 7 · Carlos asks the bot about his order ticket, gets the answer, hangs up")
    timeline.restart()
    call = DemoCall(stack, timeline, "(415) 555-0134")
    _, tickets = play_lookup(call)
    ticket_id = int(tickets["ticketId"])
    started = datetime.now(UTC) - timedelta(seconds=95)
    _store_self_service(stack, call.contact_id, ticket_id, started)
    timeline.line(
        "Bot",
        f'"Ticket {ticket_id} is open; a replacement lamp ships tomorrow." (CheckTicketStatus fulfilled)',
    )
    detail, resources = disconnected_event(
        call.contact_id, started=started, ended=datetime.now(UTC), agent=False
    )
    stack.put_contact_event(detail, resources)
    timeline.line("Connect", "contact event DISCONNECTED → EventBridge rule → SQS")
    with function_output_to(timeline.function_log):
        stack.sqs_poller("post_call_update").drain()
    outcome = contact_record(stack, call.contact_id)["outcome"]
    assert stack.zendesk is not None
    tags = stack.zendesk.store.get_ticket(ticket_id)["tags"]  # type: ignore[index]
    timeline.line("Lambda", f"← outcome {outcome}; ticket {ticket_id} tagged {', '.join(tags)}")

    # Imported here, as stack.py does: the package reads its environment when first imported.
    from connect_zendesk.call_services import CallServices  # noqa: PLC0415
    from connect_zendesk.services import use_services  # noqa: PLC0415
    from connect_zendesk.settings import Settings  # noqa: PLC0415

    timeline.heading("72 hours later · the scheduled metering run")
    timeline.note("(the clock moved forward 73 h for this run; Carlos did not call again)")
    settings = Settings.from_env(stack.template.function("resolution_metering").environment)
    later = CallServices(settings, clock=lambda: time.time() + 73 * 3600)
    with use_services(later), function_output_to(timeline.function_log):
        report = stack.invoke("resolution_metering", load_event("resolution_metering/scheduled.json"))
    timeline.line(
        "Lambda",
        f"← resolution_metering: {report['automated']} automated resolution(s), "
        f"{report['disqualified']} disqualified",
    )
    resolution = contact_record(stack, call.contact_id)["resolution"]
    timeline.note(
        f"contact {call.contact_id}: resolution {resolution['verdict']['S']} ({resolution['reason']['S']})"
    )
    tags = stack.zendesk.store.get_ticket(ticket_id)["tags"]  # type: ignore[index]
    timeline.note(f"ticket {ticket_id} tags: {', '.join(tags)}")
    _athena_equivalent(stack, timeline, stack.template.physical["AnalyticsBucket"].ref)


def _store_self_service(stack: LocalStack, contact_id: str, ticket_id: int, started: datetime) -> None:
    """What the bot stores for a self-service call (docs/data-model.md)."""
    turns = [
        (5, "caller", "what's happening with my broken lamp", "CheckTicketStatus"),
        (8, "bot", f"Ticket {ticket_id} is open; a replacement lamp ships tomorrow.", "CheckTicketStatus"),
        (14, "caller", "great, thanks", ""),
    ]
    stack.client("dynamodb").update_item(
        TableName=stack.template.physical["ContactsTable"].ref,
        Key={"contactId": {"S": contact_id}},
        UpdateExpression="SET selectedTicketId = :ticket, fulfilledIntents = :intents, conversation = :turns",
        ExpressionAttributeValues={
            ":ticket": {"N": str(ticket_id)},
            ":intents": {"SS": ["CheckTicketStatus"]},
            ":turns": {
                "L": [
                    {
                        "M": {
                            "at": {"S": (started + timedelta(seconds=offset)).isoformat(timespec="seconds")},
                            "role": {"S": role},
                            "text": {"S": text},
                            "intent": {"S": intent},
                        }
                    }
                    for offset, role, text, intent in turns
                ]
            },
        },
    )


def _store_what_the_call_produced(
    stack: LocalStack, contact_id: str, ticket_id: int, started: datetime
) -> None:
    dynamodb = stack.client("dynamodb")
    contacts = stack.template.physical["ContactsTable"].ref
    dynamodb.update_item(
        TableName=contacts,
        Key={"contactId": {"S": contact_id}},
        UpdateExpression=(
            "SET selectedTicketId = :ticket, transcriptStatus = :done, categories = :categories, "
            "postContactSummary = :summary, keyPhrases = :phrases, agentNotes = :notes"
        ),
        ExpressionAttributeValues={
            ":ticket": {"N": str(ticket_id)},
            ":done": {"S": "COMPLETED"},
            ":categories": {"SS": ["Hardware", "Resolved on first call"]},
            ":summary": {
                "S": "Printer offline with a false paper-jam alert; a tray and reset cycle fixed it."
            },
            ":phrases": {
                "L": [
                    {"M": {"text": {"S": text}, "score": {"N": score}, "count": {"N": count}}}
                    for text, score, count in (
                        ("printer", "0.99", "2"),
                        ("paper jam", "0.97", "1"),
                        ("rear tray", "0.93", "1"),
                    )
                ]
            },
            ":notes": {
                "L": [
                    {
                        "M": {
                            "at": {"S": (started + timedelta(seconds=300)).isoformat(timespec="seconds")},
                            "agentId": {"S": "alex.agent"},
                            "text": {"S": "Tray/reset cycle fixed it. If it recurs, replace the fuser."},
                        }
                    }
                ]
            },
        },
    )
    transcripts = stack.template.physical["TranscriptsTable"].ref
    for index, (speaker, sentiment, text) in enumerate(DEMO_TRANSCRIPT):
        begin = 95_000 + index * 9_000
        dynamodb.put_item(
            TableName=transcripts,
            Item={
                "contactId": {"S": contact_id},
                "position": {"S": f"{begin:010d}#demo-{index}"},
                "segmentId": {"S": f"demo-{index}"},
                "speaker": {"S": speaker},
                "text": {"S": text},
                "beginOffsetMs": {"N": str(begin)},
                "endOffsetMs": {"N": str(begin + 8_000)},
                "language": {"S": "en-US"},
                "source": {"S": "contact_lens"},
                "sentiment": {"S": sentiment},
                "sentimentSource": {"S": "contact_lens"},
            },
        )


def _athena_equivalent(stack: LocalStack, timeline: Timeline, bucket: str) -> None:
    """The named queries of the template, run with DuckDB over the bucket's documents."""
    with tempfile.TemporaryDirectory() as folder:
        download_documents(stack.client("s3"), bucket, Path(folder))
        database = AnalyticsDatabase(Path(folder), stack.template)
        try:
            database.run("phrase_view")
            phrases = database.execute("SELECT phrase, score FROM phrase_view ORDER BY score DESC")
            sentiment = database.run("sentiment_by_day")
            rates = database.run("automated_resolution_rate")
        finally:
            database.close()
    print("\n  Athena named queries, run with DuckDB over the analytics bucket", file=timeline.out)
    print(
        "      phrase_view        " + ", ".join(f"{p['phrase']} ({p['score']})" for p in phrases),
        file=timeline.out,
    )
    for row in sentiment:
        print(
            f"      sentiment_by_day   {row['dt']} · {row['customer_sentiment']} · {row['calls']} call(s)",
            file=timeline.out,
        )
    for row in rates:
        print(
            f"      automated_resolution_rate  {row['dt']} · {row['conversations']} conversation(s), "
            f"{row['escalated']} escalated, {row['bot_resolved']} bot-resolved, "
            f"{row['automated_resolutions']} automated",
            file=timeline.out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    run_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
