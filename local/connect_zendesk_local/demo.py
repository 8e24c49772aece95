"""`make demo`: one whole call and a few short ones on the embedded local stack, printed as a timeline.

No AWS account and no Docker: moto server plays DynamoDB, Kinesis, SQS, S3, EventBridge, Secrets
Manager and SNS (resources created from template.yaml), the Zendesk emulator plays Zendesk Support
with its demo customers, and the functions' handlers run here exactly as Lambda would run them.
moto has no Lex runtime: the bot's part of a call is played by `lex_conversation.LexConversation`,
turn by turn; Contact Lens' part by its real-time records on the Kinesis stream.

Call 1 is one contact that goes through every step; each step reads what the earlier steps stored:
caller_lookup → ticket_lookup → the bot → the agent with the side panel → DISCONNECTED (delivered
twice) → post_call_update → one note on the ticket → the analytics record, queried with DuckDB.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeDeserializer
from connect_zendesk.adapters.contacts_table import with_agent_notes
from connect_zendesk.pii import mask_phone
from connect_zendesk.realtime.agent_notes import notes_key

from connect_zendesk_local.analytics_sql import AnalyticsDatabase, download_documents
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_agents import answer_call
from connect_zendesk_local.connect_events import contact_flow_event, disconnected_event, load_event
from connect_zendesk_local.contact_lens_events import call_records
from connect_zendesk_local.demo_views import PanelView, Timeline, describe_requests, print_analytics_rows
from connect_zendesk_local.kvs_fixtures import missing_media_tools
from connect_zendesk_local.lex_conversation import BotTurn, LexConversation
from connect_zendesk_local.panel_client import PanelClient, put_records
from connect_zendesk_local.stack import REGION, LocalStack, function_output_to
from connect_zendesk_local.zendesk_emulator import FaultConfig
from connect_zendesk_local.zendesk_emulator.server import RecordedRequest

FUNCTION_LOG = PROJECT_ROOT / ".local-stack" / "demo-function-logs.jsonl"
JANE = "+14155552671"
UNKNOWN_CALLER = "+12125550147"
CARLOS = "(415) 555-0134"
YAMADA = "+81312345678"
AGENT_NOTE = "Technician visit booked for tomorrow morning; keep the Monday callback."
METERING_CLOCK_HOURS = 73  # past the 72-hour window of MeteringWindowHours' default
HANG_SECONDS = 6.0  # longer than the flow's time budget (FlowTimeBudgetMs, 3 s)


@dataclass
class DemoCall:
    """One contact from the flow's point of view: it invokes functions and says what the flow says;
    every step's Zendesk requests are read from the emulator's request log."""

    stack: LocalStack
    timeline: Timeline
    caller: str | None
    language: str = "en-US"
    contact_id: str = ""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    requests: list[RecordedRequest] = field(default_factory=list)  # every Zendesk API request it caused

    def __post_init__(self) -> None:
        self.event = contact_flow_event(self.caller, language=self.language)
        self.contact_id = self.event["Details"]["ContactData"]["ContactId"]
        self._seen = len(_zendesk_log(self.stack))

    def invoke(self, function: str, describe: Callable[[dict[str, str]], str]) -> dict[str, str]:
        self.timeline.line("Connect", f"→ {function}")
        response: dict[str, str] = self.stack.invoke(function, self.event)
        self.timeline.line("Lambda", f"← {response['lambdaResult']} · {describe(response)}")
        self.zendesk_line()
        return response

    def says(self, text: str) -> None:
        self.timeline.line("Flow says", f'"{text}"')

    def zendesk_line(self) -> list[RecordedRequest]:
        """Prints (and keeps) the Zendesk requests made since the last step."""
        log = _zendesk_log(self.stack)
        new, self._seen = log[self._seen :], len(log)
        self.requests += new
        self.timeline.line("Zendesk", describe_requests(new))
        return new


def _zendesk_log(stack: LocalStack) -> list[RecordedRequest]:
    assert stack.zendesk is not None
    return [r for r in stack.zendesk.requests_log() if r.path.startswith("/api/v2/")]


@dataclass
class BotCall:
    """The part of a call the Lex bot answers: Lex's part is played by LexConversation, turn by turn."""

    call: DemoCall
    locale: str = "en_US"

    def __post_init__(self) -> None:
        attributes = {"callerNumber": self.call.caller or ""}
        self.conversation = LexConversation(
            self._invoke, locale=self.locale, contact_id=self.call.contact_id, session_attributes=attributes
        )

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        label = f"{event['invocationSource']}, {event['sessionState']['intent']['name']}"
        response: dict[str, Any] = self.call.stack.invoke("lex_fulfillment", event)
        action = response["sessionState"]["dialogAction"]["type"]
        self.call.timeline.line("Lex", f"→ lex_fulfillment ({label}) ← {action}")
        return response

    def says(self, text: str, **understood: Any) -> BotTurn:
        self.call.timeline.line("Caller", f'"{text}"')
        turn = self.conversation.say(text, **understood)
        for message in turn.last.messages:
            self.call.timeline.line("Bot says", f'"{message}"')
        self.call.zendesk_line()
        return turn


@dataclass
class DemoRun:
    """What the demo played, for the tests: the calls by number and the metering run's report."""

    calls: dict[int, DemoCall] = field(default_factory=dict)
    metering: dict[str, Any] = field(default_factory=dict)


def run_demo(out: TextIO = sys.stdout, function_log: TextIO | None = None) -> None:
    print("connect-zendesk demo: calls on the embedded local stack (no AWS account, no Docker)", file=out)
    with contextlib.ExitStack() as resources:
        if function_log is None:
            FUNCTION_LOG.parent.mkdir(exist_ok=True)
            function_log = resources.enter_context(FUNCTION_LOG.open("w", encoding="utf-8"))
        stack = resources.enter_context(LocalStack())
        play(stack, Timeline(out, function_log))
    print(
        f"\nLocal stack stopped. The functions' own logs: {FUNCTION_LOG.relative_to(PROJECT_ROOT)}", file=out
    )


def play(stack: LocalStack, timeline: Timeline) -> DemoRun:
    """Every call of the demo on a started stack; the functions' output goes to the function log
    (the stream pollers and the WebSocket gateway invoke them from their own threads too)."""
    with function_output_to(timeline.function_log):
        return _play(stack, timeline)


def _play(stack: LocalStack, timeline: Timeline) -> DemoRun:
    assert stack.zendesk is not None
    tables = ", ".join(sorted(stack.template.resources_of_type("AWS::DynamoDB::Table")))
    timeline.heading("Local stack")
    timeline.note(f"moto server       {stack.aws_endpoint}  (tables from template.yaml: {tables})")
    timeline.note(f"Zendesk emulator  {stack.zendesk.url}  (seeded demo customers)")
    run = DemoRun()
    run.calls[1] = play_whole_call(stack, timeline)
    run.calls[2] = play_unknown_caller(stack, timeline)
    run.calls[3] = play_withheld_number(stack, timeline)
    run.calls[4] = play_zendesk_in_trouble(stack, timeline)
    run.calls[5], run.metering = play_japanese_self_service(stack, timeline)
    play_kvs_transcript(stack, timeline)
    assert stack.event_sources is not None
    stack.event_sources.drain()  # what the last call's stream records still trigger, logged here too
    return run


# ------------------------------------------------------------------------- the inbound flow's lookups
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
    if response["lambdaResult"] == "Error":
        return f"errorType {response['errorType']}: the flow takes its error branch"
    return response["skipReason"] or "no open tickets"


def contact_item(stack: LocalStack, contact_id: str) -> dict[str, Any]:
    """The contact's Contacts record as plain Python values ({} when there is none), with the agent
    notes of its notes item as `agentNotes` (as the functions read it)."""
    table = stack.template.physical["ContactsTable"].ref
    deserializer = TypeDeserializer()

    def read(key: str) -> dict[str, Any]:
        item = stack.client("dynamodb").get_item(TableName=table, Key={"contactId": {"S": key}})
        return {name: deserializer.deserialize(value) for name, value in item.get("Item", {}).items()}

    record, notes = read(contact_id), read(notes_key(contact_id))
    return with_agent_notes(record, notes) if notes else record


def post_call_notes(stack: LocalStack, ticket_id: int, contact_id: str) -> list[dict[str, Any]]:
    """The internal comments on the ticket that carry this contact's post-call marker."""
    assert stack.zendesk is not None
    marker = f"[connect-contact:{contact_id}]"
    return [c for c in stack.zendesk.store.get_comments(ticket_id) if marker in str(c["body"] or "")]


def ticket_tags(stack: LocalStack, ticket_id: int) -> list[str]:
    assert stack.zendesk is not None
    ticket = stack.zendesk.store.get_ticket(ticket_id)
    return list(ticket["tags"]) if ticket else []


# ---------------------------------------------------------------------------------- call 1, whole
def play_whole_call(stack: LocalStack, timeline: Timeline) -> DemoCall:
    """Jane, a known customer: the IVR, the bot, the agent with the side panel, the hang-up, the note."""
    timeline.heading(f"Call 1 · Jane calls from {_spoken(JANE)} (English): one contact through every step")
    timeline.restart()
    call = DemoCall(stack, timeline, JANE)
    timeline.note(f"contact {call.contact_id}")

    timeline.section("1.1", "Inbound flow: who is calling, which ticket")
    play_lookup(call)
    record = contact_item(stack, call.contact_id)
    timeline.note(
        f"Contacts table: Zendesk user {record.get('zendeskUserId')}, "
        f"offered tickets {[int(t) for t in record.get('offeredTicketIds', [])]}"
    )

    timeline.section("1.2", "Self-service bot (Lex V2 code hook, played turn by turn)")
    sms_before = len(sent_sms(stack))
    bot = BotCall(call)
    bot.says("Yes, that's the one.", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    bot.says("What's the latest on it?", intent="CheckTicketStatus")
    bot.says(
        "Can someone call me back on Monday at 2 PM?",
        intent="ScheduleCallback",
        slots={"CallbackDate": _next_weekday(stack, 0).isoformat(), "CallbackTime": "14:00"},
    )
    bot.says("Yes please.", slots={"SmsConfirmation": "yes"})  # Lex resolves the YesNo slot to "yes"
    bot.says("Yes.")  # the confirmation: Lex hears yes
    last = bot.says("It's still offline. Let me talk to a person.", intent="SpeakToAgent")
    attributes = last.session_attributes
    timeline.note(
        f"Flow reads: handoff={attributes.get('handoff')}, handoffReason={attributes.get('handoffReason')}, "
        f"zendeskTicketId={attributes.get('zendeskTicketId')} → Transfer to queue"
    )
    for number, text in sent_sms(stack)[sms_before:]:
        timeline.note(f"SMS via Amazon SNS to {mask_phone(number)}: {text}")
    record = contact_item(stack, call.contact_id)
    timeline.note(
        f"Contacts table: {len(record.get('conversation', []))} conversation entries, "
        f"fulfilledIntents {sorted(record.get('fulfilledIntents', []))}, "
        f"selectedTicketId {record.get('selectedTicketId')}, "
        f"handoff reason {record.get('handoff', {}).get('reason')}"
    )
    enqueued = datetime.now(UTC)

    timeline.section(
        "1.3", "Agent connected: Contact Lens → Kinesis → transcription_consumer, sentiment → side panel"
    )
    agent_connected = play_connect_time(call)
    play_agent_panel(stack, timeline, call.contact_id)

    ticket_id = int(attributes.get("zendeskTicketId") or record.get("selectedTicketId") or 0)
    timeline.section(
        "1.4", "Jane hangs up: DISCONNECTED → EventBridge → SQS → post_call_update, delivered twice"
    )
    detail, resources = disconnected_event(
        call.contact_id,
        started=call.started,
        ended=datetime.now(UTC),
        enqueued=enqueued,
        agent_connected=agent_connected,
    )
    for delivery in ("first delivery", "again (at-least-once: a retry)"):
        stack.put_contact_event(detail, resources)
        timeline.line("Connect", f"contact event DISCONNECTED → EventBridge rule → SQS, {delivery}")
        results = stack.sqs_poller("post_call_update").drain()
        received, failed = sum(r.received for r in results), sum(len(r.failed) for r in results)
        post_call = contact_item(stack, call.contact_id).get("postCall", {})
        timeline.line(
            "SQS",
            f"→ post_call_update: {received} message(s), {failed} failed · "
            f"postCall {post_call.get('status')} (ticket {post_call.get('ticketId')})",
        )
        call.zendesk_line()

    timeline.section("1.5", f"Zendesk ticket {ticket_id}: the post-call note")
    notes = post_call_notes(stack, ticket_id, call.contact_id)
    public = sorted({bool(n["public"]) for n in notes})
    timeline.note(f"{len(notes)} post-call note(s) from this contact (public: {', '.join(map(str, public))})")
    timeline.note(f"ticket tags: {', '.join(ticket_tags(stack, ticket_id))}")
    for note in notes:
        timeline.quote(str(note["body"]).splitlines())

    timeline.section("1.6", "The analytics record in S3, queried with DuckDB (the Athena named queries)")
    show_analytics_record(stack, timeline, call.contact_id)
    bucket = stack.template.physical["AnalyticsBucket"].ref
    with analytics_database(stack, bucket) as database:
        database.run("phrase_view")
        phrases = database.execute(
            "SELECT phrase, score FROM phrase_view WHERE contact_id = ? ORDER BY score DESC, phrase LIMIT 5",
            [call.contact_id],
        )
        print_analytics_rows(timeline, phrases=phrases, sentiment=database.run("sentiment_by_day"))
    return call


def _spoken(number: str) -> str:
    return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}" if number.startswith("+1") else number


def _next_weekday(stack: LocalStack, weekday: int) -> date:
    """The next such weekday at least two days away, in the callback team's time zone."""
    zone = ZoneInfo(stack.template.function("lex_fulfillment").environment["CALLBACK_TIME_ZONE"])
    day = datetime.now(zone).date() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def sent_sms(stack: LocalStack) -> list[tuple[str, str]]:
    """The SMS the functions published, as moto's SNS recorded them (the server runs in-process)."""
    from moto.sns.models import sns_backends  # noqa: PLC0415

    backend = sns_backends[stack.template.account_id][REGION]  # moto's default account
    return [(str(number), str(text)) for number, text, *_ in backend.sms_messages.values()]


def play_connect_time(call: DemoCall) -> datetime:
    """The agent answers: CONNECTED_TO_AGENT → EventBridge → SQS → agent_connected (delivered twice);
    returns when."""
    answered = datetime.now(UTC)
    for delivery in ("first delivery", "again (at-least-once)"):
        call.timeline.line(
            "Connect", f"contact event CONNECTED_TO_AGENT → EventBridge rule → SQS, {delivery}"
        )
        leg = answer_call(call.stack, call.contact_id)
        call.timeline.line(
            "SQS",
            f"→ agent_connected: ticket {leg.get('ticketId')} assigned to Zendesk agent "
            f"{leg.get('zendeskAgentId')}, contact id on the ticket, pop {leg.get('popped')}",
        )
        call.zendesk_line()
    return answered


def play_agent_panel(stack: LocalStack, timeline: Timeline, contact_id: str) -> PanelView:
    """The agent answers: Contact Lens segments flow through transcription_consumer and sentiment, and
    the agent's side panel (a real WebSocket client) shows them as they arrive; the agent saves a note."""
    assert stack.event_sources is not None
    panel = PanelClient.for_contact(stack, contact_id).connect()
    timeline.line("Panel", "→ panel_token (request signed as Zendesk would) → token; WebSocket connected")
    view = PanelView(timeline)
    for index, record in enumerate(call_records(contact_id)):
        put_records(stack, [record])
        if index == 12:  # the agent writes a note while the customer talks
            panel.send({"action": "saveNote", "noteId": "demo-note-0001", "text": AGENT_NOTE})
        time.sleep(0.04)
        view.show(panel.drain())
    stack.event_sources.drain()
    time.sleep(0.2)
    view.show(panel.drain())
    panel.close()
    timeline.note(f"Panel frames: {view.partials} partial utterances shown before their finals")
    record = contact_item(stack, contact_id)
    stored = len(stack.transcript(contact_id))
    timeline.note(
        f"Transcripts table: {stored} final segments · Contacts: transcriptStatus "
        f"{record.get('transcriptStatus')}, categories {sorted(record.get('categories', []))}, "
        f"{len(record.get('agentNotes', []))} agent note(s), {len(record.get('keyPhrases', []))} key phrases"
    )
    return view


def show_analytics_record(stack: LocalStack, timeline: Timeline, contact_id: str) -> dict[str, Any]:
    bucket = stack.template.physical["AnalyticsBucket"].ref
    key = contact_item(stack, contact_id)["postCall"]["analyticsKey"]
    document: dict[str, Any] = json.loads(
        stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    )
    timeline.note(f"s3://{bucket}/{key}")
    for name in (
        "outcome",
        "duration_seconds",
        "fulfilled_intents",
        "handoff_reason",
        "categories",
        "transcript",
    ):
        timeline.note(f"  {name}: {json.dumps(document.get(name), ensure_ascii=False)}")
    timeline.note(
        f"  sentiment: {document['sentiment']['Sentiment']} · zendesk: {json.dumps(document['zendesk'])}"
    )
    return document


@contextlib.contextmanager
def analytics_database(stack: LocalStack, bucket: str) -> Any:
    """The bucket's documents in DuckDB, with the template's Glue table (Athena's part)."""
    with tempfile.TemporaryDirectory() as folder:
        download_documents(stack.client("s3"), bucket, Path(folder))
        database = AnalyticsDatabase(Path(folder), stack.template)
        try:
            yield database
        finally:
            database.close()


# ------------------------------------------------------------------------------- calls 2 to 4, short
def play_unknown_caller(stack: LocalStack, timeline: Timeline) -> DemoCall:
    """A number Zendesk does not know: nothing found, then the bot opens a ticket for a new end-user."""
    timeline.heading(f"Call 2 · a number Zendesk does not know ({_spoken(UNKNOWN_CALLER)}) opens a ticket")
    timeline.restart()
    call = DemoCall(stack, timeline, UNKNOWN_CALLER)
    play_lookup(call)
    bot = BotCall(call)
    description = "My phone line has had no dial tone since this morning"
    bot.says(description, intent="CreateTicket", slots={"ProblemDescription": description})
    bot.says("No thanks.", slots={"SmsConfirmation": "no"})
    created = bot.says("Yes.")
    ticket_id = int(created.session_attributes.get("zendeskTicketId") or 0)
    assert stack.zendesk is not None
    ticket = stack.zendesk.store.get_ticket(ticket_id) or {}
    requester = stack.zendesk.store.get_user(int(ticket.get("requester_id") or 0)) or {}
    timeline.note(
        f"Zendesk: ticket {ticket_id} ({', '.join(ticket.get('tags', []))}) for the new end-user "
        f'{requester.get("id")} "{requester.get("name")}"'
    )
    bot.says("That's all, thank you.", intent="EndConversation")
    return call


def play_withheld_number(stack: LocalStack, timeline: Timeline) -> DemoCall:
    timeline.heading("Call 3 · a withheld number: nothing to look up, Zendesk is not asked")
    timeline.restart()
    call = DemoCall(stack, timeline, "anonymous")
    play_lookup(call)
    return call


def play_zendesk_in_trouble(stack: LocalStack, timeline: Timeline) -> DemoCall:
    """Zendesk hangs, then rate-limits: each step answers inside its budget, and the flow goes on."""
    assert stack.zendesk is not None
    budget = stack.template.function("caller_lookup").environment["FLOW_TIME_BUDGET_MS"]
    timeline.heading(
        f"Call 4 · Carlos calls while Zendesk hangs, then rate-limits (flow time budget {budget} ms)"
    )
    timeline.restart()
    call = DemoCall(stack, timeline, CARLOS)
    stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=HANG_SECONDS)
    try:
        timeline.note(f"(the emulator holds every request {HANG_SECONDS:.0f} s without answering)")
        caller = call.invoke("caller_lookup", _describe_caller)
        call.says("Thanks for calling support." if caller["lambdaResult"] != "Success" else "Hello.")
        stack.zendesk.faults = FaultConfig(mode="rate_limit", retry_after=30)
        timeline.note("(the emulator answers 429 Too Many Requests, Retry-After: 30)")
        call.invoke("ticket_lookup", _describe_tickets)
    finally:
        stack.zendesk.faults = FaultConfig()
    timeline.line("Flow", "error branches → the general queue, no ticket offered; the call goes on")
    return call


# ------------------------------------------------------------------------ call 5, the Japanese bot
def play_japanese_self_service(stack: LocalStack, timeline: Timeline) -> tuple[DemoCall, dict[str, Any]]:
    """山田 太郎's questions are answered by the bot, no agent: a bot-resolved candidate that the
    metering run, 73 hours later, counts as an automated resolution."""
    timeline.heading("Call 5 · 山田 太郎 calls the Japanese line; the bot answers everything, no agent")
    timeline.restart()
    call = DemoCall(stack, timeline, YAMADA, language="ja-JP")
    _, tickets = play_lookup(call)
    bot = BotCall(call, locale="ja_JP")
    bot.says("はい、そうです", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    bot.says("状況はどうなっていますか", intent="CheckTicketStatus")
    bot.says("注文した商品はもう発送されましたか", intent="OrderStatus")
    last = bot.says("以上です、ありがとう", intent="EndConversation")
    timeline.note(f"Flow reads: handoff={last.session_attributes.get('handoff')} → Disconnect")

    detail, resources = disconnected_event(
        call.contact_id, started=call.started, ended=datetime.now(UTC), agent=False
    )
    stack.put_contact_event(detail, resources)
    timeline.line("Connect", "contact event DISCONNECTED → EventBridge rule → SQS")
    stack.sqs_poller("post_call_update").drain()
    record = contact_item(stack, call.contact_id)
    ticket_id = int(record.get("postCall", {}).get("ticketId") or tickets.get("ticketId") or 0)
    timeline.line(
        "Lambda",
        f"← post_call_update: outcome {record.get('outcome')}; ticket {ticket_id} tagged "
        f"{', '.join(ticket_tags(stack, ticket_id))}",
    )
    call.zendesk_line()
    for note in post_call_notes(stack, ticket_id, call.contact_id):
        timeline.quote(str(note["body"]).splitlines())

    timeline.heading(f"{METERING_CLOCK_HOURS} hours later · the scheduled metering run")
    timeline.restart()
    report = _metering_run(stack, timeline)
    resolution = contact_item(stack, call.contact_id).get("resolution", {})
    timeline.note(
        f"contact {call.contact_id}: resolution {resolution.get('verdict')} ({resolution.get('reason')})"
    )
    timeline.note(f"ticket {ticket_id} tags: {', '.join(ticket_tags(stack, ticket_id))}")
    with analytics_database(stack, stack.template.physical["AnalyticsBucket"].ref) as database:
        print_analytics_rows(
            timeline,
            sentiment=database.run("sentiment_by_day"),
            rates=database.run("automated_resolution_rate"),
        )
    return call, report


def _metering_run(stack: LocalStack, timeline: Timeline) -> dict[str, Any]:
    """resolution_metering as EventBridge Scheduler would run it, with the function's clock moved forward."""
    # Imported here, as stack.py does: the package reads its environment when first imported.
    from connect_zendesk.call_services import CallServices  # noqa: PLC0415
    from connect_zendesk.services import use_services  # noqa: PLC0415
    from connect_zendesk.settings import Settings  # noqa: PLC0415

    timeline.note(
        f"(the function's clock is {METERING_CLOCK_HOURS} h ahead for this run; nobody called again)"
    )
    settings = Settings.from_env(stack.template.function("resolution_metering").environment)
    later = CallServices(settings, clock=lambda: time.time() + METERING_CLOCK_HOURS * 3600)
    with use_services(later):
        report: dict[str, Any] = stack.invoke(
            "resolution_metering", load_event("resolution_metering/scheduled.json")
        )
    timeline.line(
        "Lambda",
        f"← resolution_metering: {report['automated']} automated resolution(s), "
        f"{report['disqualified']} disqualified",
    )
    return report


# --------------------------------------------------------------------------- call 6, the KVS path
def play_kvs_transcript(stack: LocalStack, timeline: Timeline) -> None:
    """Call 6: live transcript without Contact Lens (KVS audio → Transcribe, scripted locally)."""
    timeline.heading("Call 6 · a transcribed call without Contact Lens (KVS audio → Amazon Transcribe)")
    missing = missing_media_tools()
    if missing or stack.kvs is None:
        timeline.note(
            f"skipped: the call's audio is spoken and muxed by {', '.join(missing)} (Debian packages)"
        )
        return
    timeline.restart()
    event = load_event("start_streaming/voice_call.json")
    contact_id = event["Details"]["ContactData"]["ContactId"]
    timeline.line("Connect", "→ start_streaming (after Start media streaming)")
    response = stack.invoke("start_streaming", event)
    timeline.line(
        "Lambda",
        f"← {response['lambdaResult']} · kvs_transcriber queued for {response['language']}; the flow goes on",
    )
    stack.kvs.lambda_api.wait_idle(timeout=120)
    run = stack.kvs.lambda_api.runs[-1]
    result = run.result if isinstance(run.result, dict) else {}
    timeline.line(
        "Lambda",
        f"kvs_transcriber: {result.get('fragments', 0)} KVS fragments → Transcribe (scripted) → "
        f"{result.get('segments', 0)} segments ({result.get('status', run.error or 'no result')})",
    )
    for item in stack.transcript(contact_id):
        timeline.note(
            f"{item['speaker']:<8} {item['beginOffsetMs'] / 1000:5.1f}-{item['endOffsetMs'] / 1000:4.1f} s  "
            f"{item['text']}"
        )
    timeline.note("Stored in the Transcripts table (source kvs), the same items as Contact Lens segments.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    run_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
