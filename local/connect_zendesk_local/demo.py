"""`make demo`: whole calls on the embedded local stack, printed as a timeline.

No AWS account and no Docker: moto server plays DynamoDB, Secrets Manager and SNS (tables created
from template.yaml), the Zendesk emulator plays Zendesk Support with its demo customers, and the
functions' handlers run here exactly as Lambda would run them. moto has no Lex runtime: the
self-service calls play Lex's part with `lex_conversation.LexConversation`, turn by turn.
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

from connect_zendesk.pii import mask_phone

from connect_zendesk_local.analytics_sql import AnalyticsDatabase, download_documents
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event, disconnected_event, load_event
from connect_zendesk_local.contact_lens_events import call_records
from connect_zendesk_local.kvs_fixtures import missing_media_tools
from connect_zendesk_local.lex_conversation import BotTurn, LexConversation
from connect_zendesk_local.panel_client import PanelClient, Received, put_records
from connect_zendesk_local.stack import REGION, LocalStack, function_output_to

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

    play_agent_panel(stack, timeline, first.contact_id)

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

    play_self_service(stack, timeline)
    play_kvs_transcript(stack, timeline)
    play_after_call(stack, timeline)
    play_self_service_and_metering(stack, timeline)


# ---------------------------------------------------------------------------- the self-service bot
@dataclass
class BotCall:
    """A call that goes on to the Lex bot: Lex's part is played by LexConversation, turn by turn."""

    call: DemoCall
    locale: str = "en_US"

    def __post_init__(self) -> None:
        attributes = {"callerNumber": self.call.caller or ""}
        self.conversation = LexConversation(
            self._invoke, locale=self.locale, contact_id=self.call.contact_id, session_attributes=attributes
        )

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        label = f"{event['invocationSource']}, {event['sessionState']['intent']['name']}"
        with function_output_to(self.call.timeline.function_log):
            response: dict[str, Any] = self.call.stack.invoke("lex_fulfillment", event)
        action = response["sessionState"]["dialogAction"]["type"]
        self.call.timeline.line("Lex", f"→ lex_fulfillment ({label}) ← {action}")
        return response

    def says(self, text: str, **understood: Any) -> BotTurn:
        self.call.timeline.line("Caller", f'"{text}"')
        turn = self.conversation.say(text, **understood)
        for message in turn.last.messages:
            self.call.timeline.line("Bot says", f'"{message}"')
        return turn


def play_self_service(stack: LocalStack, timeline: Timeline) -> None:
    """Jane checks her ticket, books a callback and asks for an agent; the agent finds the whole
    conversation on her ticket. Then 山田 太郎 asks about an order in Japanese."""
    timeline.heading("Call 6 · Jane talks to the self-service bot (Lex V2 code hook, played turn by turn)")
    timeline.restart()
    call = DemoCall(stack, timeline, "+14155552671")
    play_lookup(call)
    bot = BotCall(call)
    bot.says("Yes, that's the one.", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    bot.says("What's the latest on it?", intent="CheckTicketStatus")
    monday = _next_weekday(stack, 0)
    bot.says(
        "Can someone call me back on Monday at 2 PM?",
        intent="ScheduleCallback",
        slots={"CallbackDate": monday.isoformat(), "CallbackTime": "14:00"},
    )
    bot.says("Yes please.", slots={"SmsConfirmation": "yes"})  # Lex resolves the YesNo slot to "yes"
    bot.says("Yes.")  # the confirmation: Lex hears yes
    last = bot.says("Actually, let me talk to a person.", intent="SpeakToAgent")
    attributes = last.session_attributes
    timeline.note(
        f"Flow reads: handoff={attributes.get('handoff')}, handoffReason={attributes.get('handoffReason')}, "
        f"zendeskTicketId={attributes.get('zendeskTicketId')} → Transfer to queue"
    )
    for number, text in sent_sms(stack):
        timeline.note(f"SMS via Amazon SNS to {mask_phone(number)}: {text}")
    record = contact_record(stack, call.contact_id)
    intents = sorted(record.get("fulfilledIntents", []))
    timeline.note(
        f"Contacts table: {len(record.get('conversation', []))} conversation entries, "
        f"fulfilledIntents {intents}, selectedTicketId {record.get('selectedTicketId')}, "
        f"handoff reason {record.get('handoff', {}).get('reason', {}).get('S')}"
    )
    timeline.note(f"Zendesk API calls during this call: {call.zendesk_calls()}")
    ticket_id = int(attributes.get("zendeskTicketId") or 0)
    _print_note(stack, timeline, ticket_id)

    timeline.heading("Call 7 · 山田 太郎 asks the Japanese bot about an order")
    timeline.restart()
    call = DemoCall(stack, timeline, "+81312345678", language="ja-JP")
    play_lookup(call)
    bot = BotCall(call, locale="ja_JP")
    bot.says("注文した商品はもう発送されましたか", intent="OrderStatus")
    bot.says("以上です", intent="EndConversation")
    timeline.note(f"Zendesk API calls during this call: {call.zendesk_calls()}")


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


def _print_note(stack: LocalStack, timeline: Timeline, ticket_id: int) -> None:
    assert stack.zendesk is not None
    notes = [c for c in stack.zendesk.store.get_comments(ticket_id) if not c["public"]]
    if not notes:
        timeline.note(f"Zendesk ticket {ticket_id}: no internal note")
        return
    timeline.note(f"Zendesk ticket {ticket_id}, internal note the agent opens with:")
    for line in str(notes[-1]["body"]).splitlines():
        timeline.note(f"  │ {line}")


def play_kvs_transcript(stack: LocalStack, timeline: Timeline) -> None:
    """Call 8: live transcript without Contact Lens (KVS audio → Transcribe, scripted locally)."""
    timeline.heading("Call 8 · a transcribed call without Contact Lens (KVS audio → Amazon Transcribe)")
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
    with function_output_to(timeline.function_log):
        response = stack.invoke("start_streaming", event)
        timeline.line(
            "Lambda",
            f"← {response['lambdaResult']} · kvs_transcriber queued for {response['language']}; "
            "the flow goes on",
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


# ---------------------------------------------------------------------------- agent side panel
TREND_BARS = "▁▂▃▄▅▆▇█"


def play_agent_panel(stack: LocalStack, timeline: Timeline, contact_id: str) -> None:
    """Call 1 reaches the agent: Contact Lens segments flow through transcription_consumer and
    sentiment, and the agent's side panel (a real WebSocket client) shows them as they arrive."""
    assert stack.event_sources is not None
    timeline.heading("Call 1, continued · the agent answers: Contact Lens live transcript in the side panel")
    timeline.restart()
    with function_output_to(timeline.function_log):
        panel = PanelClient.for_contact(stack, contact_id).connect()
        timeline.line("Panel", "→ panel_token (request signed as Zendesk would) → token; WebSocket connected")
        view = _PanelView(timeline)
        records = list(call_records(contact_id))
        for index, record in enumerate(records):
            put_records(stack, [record])
            if index == 12:  # the agent writes a note while the customer talks
                panel.send(
                    {"action": "saveNote", "noteId": "demo-note-0001", "text": "Technician visit needed"}
                )
            time.sleep(0.04)
            view.show(panel.drain())
        stack.event_sources.drain()
        time.sleep(0.2)
        view.show(panel.drain())
        panel.close()
        timeline.note(f"Panel frames: {view.partials} partial utterances shown before their finals")
        record = contact_record(stack, contact_id)
        table = stack.template.physical["TranscriptsTable"].ref
        stored = stack.client("dynamodb").query(
            TableName=table,
            KeyConditionExpression="contactId = :c",
            ExpressionAttributeValues={":c": {"S": contact_id}},
            Select="COUNT",
        )["Count"]
        status, notes = record.get("transcriptStatus"), len(record.get("agentNotes", []))
        timeline.note(f"Transcripts table: {stored} final segments · Contacts: transcriptStatus {status}, ")
        timeline.note(f"categories {sorted(record.get('categories', []))}, {notes} agent note(s)")


@dataclass
class _PanelView:
    timeline: Timeline
    partials: int = 0
    speakers: dict[str, str] = field(default_factory=dict)
    first_partials: int = 2  # partials printed in full; later ones only counted
    last_trend: list[float] = field(default_factory=list)

    def show(self, received: list[Received]) -> None:
        for item in received:
            self._one(item.message)

    def _one(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        line = self.timeline.line
        if kind == "partial":
            self.partials += 1
            if self.partials <= self.first_partials:
                line("Panel", f'← partial  {message["speaker"]:<8} "{message["text"]}"')
        elif kind == "segment":
            self.speakers[message["segmentId"]] = message["speaker"]
            lens = f"  [{message['sentiment']} · Contact Lens]" if message.get("sentiment") else ""
            line("Panel", f'← final    {message["speaker"]:<8} "{message["text"]}"{lens}')
        elif kind == "segmentSentiment":
            speaker = self.speakers.get(message["segmentId"], "")
            line("Sentiment", f"← {speaker} utterance {message['sentiment']} ({message['sentimentSource']})")
        elif kind == "sentiment":
            customer = message["speakers"]["CUSTOMER"]
            if customer["trend"] == self.last_trend:
                return  # only key phrases changed (an agent utterance)
            self.last_trend = customer["trend"]
            trend = "".join(TREND_BARS[min(int((v + 1) / 2 * 7.99), 7)] for v in customer["trend"])
            phrases = ", ".join(p["text"] for p in message.get("keyPhrases", [])[:3])
            line("Panel", f"← customer sentiment {customer['score']:+.2f} {trend}  key phrases: {phrases}")
        elif kind == "alert":
            line("Panel", f"← ALERT: the customer sounded negative {message['streak']} utterances in a row")
        elif kind == "categories":
            line("Panel", f"← categories {', '.join(message['categories'])}")
        elif kind == "summary":
            line("Panel", f'← summary "{message.get("content", "")}"')
        elif kind == "status":
            line("Panel", f"← transcript {message['transcriptStatus']}")
        elif kind == "note":
            line("Panel", f'← note saved "{message["text"]}"')


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
    timeline.heading("Call 9 · Jane calls about her printer, talks to an agent, hangs up")
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
    timeline.heading("Call 10 · Carlos asks the bot about his order ticket, gets the answer, hangs up")
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
