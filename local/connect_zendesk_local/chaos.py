"""make chaos: many simulated contacts at once on the local stack while Zendesk and DynamoDB misbehave.

    python -m connect_zendesk_local.chaos [--contacts 500] [--workers 6] [--seed 8]

Every contact runs the whole path concurrently with the others: caller_lookup and ticket_lookup (the
inbound flow), one Lex turn through lex_fulfillment, Contact Lens segments on the Kinesis stream
(transcription_consumer, then sentiment off the Transcripts stream), and DISCONNECTED on EventBridge
(sometimes delivered twice, sometimes never: then the reconciliation sweep, asking the Connect
emulator, sends it) to the post-call queue, which post_call_update consumes as Lambda's SQS
event source mapping does. Functions run in a pool of function processes (lambda_pool), so
invocations really overlap. Meanwhile the Zendesk emulator answers a seeded random share of requests
429 with Retry-After, 5xx, or 5 s late, and each function process's DynamoDB client sees throttling
(aws_faults). The report (printed, and bench/results/chaos.json) asserts the contracts and exactly-once
notes; the exit status is 1 when an assertion fails.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connect_zendesk.connect.flow_response import LambdaResult
from connect_zendesk.domain.post_call_note import comment_marker
from connect_zendesk.lex.contract import response_problems
from connect_zendesk.settings import Settings

from connect_zendesk_local.aws_faults import AwsFaultConfig
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import (
    contact_flow_event,
    described_contact,
    disconnected_event,
    load_event,
)
from connect_zendesk_local.contact_lens_events import Turn, call_records
from connect_zendesk_local.lambda_pool import FunctionError, Invocation, LambdaPool
from connect_zendesk_local.lex_conversation import LexConversation
from connect_zendesk_local.panel_client import put_records
from connect_zendesk_local.stack import LocalStack, invoke_function
from connect_zendesk_local.zendesk_emulator import FaultConfig

RESULTS = PROJECT_ROOT / "bench" / "results" / "chaos.json"
LOG_DIR = PROJECT_ROOT / ".local-stack" / "chaos-logs"
CONNECT_LIMIT_BYTES = 32 * 1024
CONNECT_TIMEOUT_SECONDS = 8.0
# The handler's own time: its budget plus what it takes to build and log the answer once the budget
# is spent, on a loaded two-core machine. Connect's hard limit is 8 s.
BUDGET_GRACE_SECONDS = 0.5
COLD_START_SECONDS = 0.05  # an invocation that spent longer importing its function was a cold start
FLOW_RESULTS = frozenset(result.value for result in LambdaResult)
# Imported by every function process before the run: cold starts are make bench's to measure, and 8
# processes importing at once on a shared two-core machine measure the machine, not the code.
PREWARMED = (
    "caller_lookup",
    "ticket_lookup",
    "lex_fulfillment",
    "transcription_consumer",
    "sentiment",
    "post_call_update",
)

# Seeded customers (local/connect_zendesk_local/seed/zendesk_demo.json): language, Lex locale.
KNOWN_CALLERS = (
    ("+14155552671", "en-US", "en_US"),
    ("+14155550134", "en-US", "en_US"),
    ("+13125550199", "en-US", "en_US"),
    ("+12065550188", "en-US", "en_US"),  # two Zendesk users share it
    ("+81312345678", "ja-JP", "ja_JP"),
    ("+821023456789", "ko-KR", "ko_KR"),
    ("+8613800138000", "zh-CN", "zh_CN"),
)
SHORT_CALL = (
    Turn("AGENT", "Thanks for calling Example Support, how can I help?", "NEUTRAL", 2000),
    Turn("CUSTOMER", "My printer is offline again and I am really frustrated.", None, 3000),
    Turn("AGENT", "A technician will come tomorrow morning.", "POSITIVE", 2000),
)


@dataclass(frozen=True)
class ChaosConfig:
    contacts: int = 500
    workers: int = 8
    contact_threads: int = 48
    seed: int = 8
    rate_limit_ratio: float = 0.30
    server_error_ratio: float = 0.10
    delay_ratio: float = 0.05
    delay_seconds: float = 5.0
    retry_after: int = 1
    dynamodb_throttle_ratio: float = 0.10
    max_visibility_seconds: int = 2  # the local SQS clock: backoff delays compressed to this
    duplicate_event_ratio: float = 0.10  # DISCONNECTED delivered twice (EventBridge is at-least-once)
    dropped_event_ratio: float = 0.10  # DISCONNECTED never delivered (EventBridge is best effort)
    post_call_pollers: int = 2  # PostCallConcurrency's default
    # Two pollers work through ~2.3 deliveries per contact at about a second each under the fault mix:
    # 500 contacts need ~10 minutes on a 2-core machine, so leave room.
    drain_timeout_seconds: float = 1800.0

    def zendesk_faults(self) -> FaultConfig:
        return FaultConfig(
            rate_limit_ratio=self.rate_limit_ratio,
            server_error_ratio=self.server_error_ratio,
            delay_ratio=self.delay_ratio,
            delay_seconds=self.delay_seconds,
            retry_after=self.retry_after,
            seed=self.seed,
        )

    def aws_faults(self) -> AwsFaultConfig:
        return AwsFaultConfig(self.dynamodb_throttle_ratio, self.max_visibility_seconds, self.seed)


@dataclass
class Contact:
    contact_id: str
    caller: str | None
    language: str
    locale: str
    duplicate_event: bool
    dropped_event: bool = False
    steps: list[tuple[str, Invocation]] = field(default_factory=list)
    segments_sent: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class ChaosReport:
    config: ChaosConfig
    figures: dict[str, Any]
    checks: list[Check]
    dead_letters: list[dict[str, str]]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config": asdict(self.config),
            "figures": self.figures,
            "checks": [asdict(check) for check in self.checks],
            "deadLetters": self.dead_letters,
        }


# ---------------------------------------------------------------------------- the population
def population(config: ChaosConfig) -> list[Contact]:
    """Known customers (repeat callers hit the cache), new numbers, a few numbers calling several
    times at once, withheld numbers; the same seed gives the same population."""
    rng = random.Random(config.seed)
    contacts = []
    for index in range(config.contacts):
        draw = rng.random()
        if draw < 0.55:
            caller, language, locale = rng.choice(KNOWN_CALLERS)
        elif draw < 0.85:
            caller, language, locale = f"+1212555{index:04d}", "en-US", "en_US"  # a first-time caller
        elif draw < 0.95:
            caller, language, locale = (
                f"+1646555{rng.randrange(5):04d}",
                "en-US",
                "en_US",
            )  # unknown, repeating
        else:
            caller, language, locale = None, "en-US", "en_US"  # withheld
        contacts.append(
            Contact(str(uuid.uuid4()), caller, language, locale, rng.random() < config.duplicate_event_ratio)
        )
    # Drawn apart, so the population of a seed stays what it was before events were dropped.
    drops = random.Random(f"{config.seed}-dropped")
    for contact in contacts:
        contact.dropped_event = drops.random() < config.dropped_event_ratio
    return contacts


# ---------------------------------------------------------------------------- one contact
class ContactRun:
    def __init__(self, stack: LocalStack, pool: LambdaPool) -> None:
        self.stack = stack
        self.pool = pool

    def play(self, contact: Contact) -> None:
        event = contact_flow_event(contact.caller, contact_id=contact.contact_id, language=contact.language)
        self._flow_step(contact, "caller_lookup", event)
        offered = self._flow_step(contact, "ticket_lookup", event)
        self._lex_turn(contact, offered)
        records = list(
            call_records(contact.contact_id, SHORT_CALL, categories=(), summary="", language=contact.language)
        )
        contact.segments_sent = len(SHORT_CALL)
        put_records(self.stack, records)
        ended = datetime.now(UTC)
        assert self.stack.connect is not None  # Connect knows how every contact ended
        self.stack.connect.put_contact(
            *described_contact(contact.contact_id, started=ended - timedelta(minutes=4), ended=ended)
        )
        if contact.dropped_event:
            return  # EventBridge never delivers it: the reconciliation sweep has to find it
        detail, resources = disconnected_event(
            contact.contact_id, started=ended - timedelta(minutes=4), ended=ended, agent=True
        )
        for _ in range(2 if contact.duplicate_event else 1):
            self.stack.put_contact_event(detail, resources)

    def _flow_step(self, contact: Contact, function: str, event: dict[str, Any]) -> dict[str, Any]:
        invocation = self.pool.run(function, event)
        contact.steps.append((function, invocation))
        return invocation.response if isinstance(invocation.response, dict) else {}

    def _lex_turn(self, contact: Contact, offered: dict[str, Any]) -> None:
        def invoke(lex_event: dict[str, Any]) -> dict[str, Any]:
            invocation = self.pool.run("lex_fulfillment", lex_event)
            contact.steps.append(("lex_fulfillment", invocation))
            if invocation.error is not None or not isinstance(invocation.response, dict):
                raise FunctionError(invocation.error or "no response")
            return invocation.response

        attributes = {"callerNumber": contact.caller} if contact.caller else {}
        bot = LexConversation(
            invoke, locale=contact.locale, contact_id=contact.contact_id, session_attributes=attributes
        )
        try:
            if offered.get("lambdaResult") == "Success" and offered.get("ticketId"):
                bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
            else:
                bot.say("What is the status of my ticket?", intent="CheckTicketStatus")
        except (FunctionError, ValueError, KeyError, TypeError) as exc:
            contact.problems.append(f"lex turn: {type(exc).__name__}")


# ---------------------------------------------------------------------------- after the calls
class PostCallDrain:
    """Lambda's SQS event source mapping for post_call_update with its concurrency, until every
    message is consumed or dead-lettered."""

    def __init__(self, stack: LocalStack, pollers: int) -> None:
        self.stack = stack
        self.pollers = pollers
        self.received = 0
        self.failed = 0
        self.raised = 0
        self._lock = threading.Lock()

    def queue_depth(self, queue_id: str) -> int:
        url = self.stack.template.physical[queue_id].ref
        attributes = self.stack.client("sqs").get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def run(self, timeout: float) -> bool:
        """True when the queue emptied within `timeout`."""
        deadline = time.monotonic() + timeout
        done = threading.Event()

        def poll() -> None:
            poller = self.stack.sqs_poller("post_call_update")
            while not done.is_set() and time.monotonic() < deadline:
                result = poller.poll_once(wait_seconds=1)
                with self._lock:
                    self.received += result.received
                    self.failed += len(result.failed)
                    self.raised += result.raised is not None

        threads = [threading.Thread(target=poll, daemon=True) for _ in range(self.pollers)]
        for thread in threads:
            thread.start()
        emptied = False
        while time.monotonic() < deadline:
            if self.queue_depth("PostCallQueue") == 0:
                time.sleep(1.5)  # a message in a poller's hands is invisible: look twice
                if self.queue_depth("PostCallQueue") == 0:
                    emptied = True
                    break
            time.sleep(0.5)
        done.set()
        for thread in threads:
            thread.join(10)
        return emptied

    def dead_letters(self) -> list[dict[str, str]]:
        """Take every message off the post-call dead-letter queue, described (contact, reason)."""
        sqs = self.stack.client("sqs")
        url = self.stack.template.physical["PostCallDeadLetterQueue"].ref
        taken: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                attributes = {
                    k: v.get("StringValue", "") for k, v in message.get("MessageAttributes", {}).items()
                }
                detail = json.loads(message["Body"]).get("detail", {})
                taken.append(
                    {
                        "contactId": str(detail.get("contactId", "")),
                        "errorType": attributes.get("errorType", "(moved by the redrive policy)"),
                        "failureReason": attributes.get("failureReason", ""),
                        "receiveCount": attributes.get("receiveCount", ""),
                        "body": message["Body"],
                    }
                )
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def redrive(self, dead: list[dict[str, str]]) -> None:
        """What an operator does once Zendesk is healthy again: the dead letters back on the queue."""
        sqs = self.stack.client("sqs")
        url = self.stack.template.physical["PostCallQueue"].ref
        for letter in dead:
            sqs.send_message(QueueUrl=url, MessageBody=letter["body"])


def reconcile(stack: LocalStack, *, hours_later: float = 1, max_runs: int = 20) -> list[dict[str, Any]]:
    """post_call_reconciliation as its schedule would run it an hour after the calls (its clock moved),
    in this process (its clock is this process's), until a run reconciles nothing more."""
    # Imported here, as stack.py does: the package reads its environment when first imported.
    from connect_zendesk.call_services import CallServices  # noqa: PLC0415
    from connect_zendesk.services import use_services  # noqa: PLC0415

    settings = Settings.from_env(stack.template.function("post_call_reconciliation").environment)
    later = CallServices(settings, clock=lambda: time.time() + hours_later * 3600)
    event = load_event("post_call_reconciliation/scheduled.json")
    reports: list[dict[str, Any]] = []
    with use_services(later):
        while len(reports) < max_runs:
            report: dict[str, Any] = invoke_function(stack.template, "post_call_reconciliation", event)
            reports.append(report)
            if report["wrapped"] and not report["reconciled"]:
                break
    return reports


# ---------------------------------------------------------------------------- the run
@dataclass
class _Run:
    """Everything the checks look at once the run is over."""

    config: ChaosConfig
    stack: LocalStack
    pool: LambdaPool
    contacts: list[Contact]
    budgets: dict[str, float]
    drain: PostCallDrain
    dead: list[dict[str, str]] = field(default_factory=list)
    left_dead: list[dict[str, str]] = field(default_factory=list)
    emptied: bool = False
    zendesk_requests: list[Any] = field(default_factory=list)
    seconds: tuple[float, float] = (0.0, 0.0)
    sweeps: list[dict[str, Any]] = field(default_factory=list)


def run_chaos(config: ChaosConfig, *, progress: Any = print) -> ChaosReport:
    contacts = population(config)
    with LocalStack(aws_in_own_process=True) as stack:
        assert stack.zendesk is not None
        assert stack.event_sources is not None
        progress(f"starting {config.workers} function processes ...")
        with LambdaPool(
            stack,
            workers=config.workers,
            aws_faults=config.aws_faults(),
            log_dir=LOG_DIR,
            prewarm=PREWARMED,
        ) as pool:
            run = _Run(
                config, stack, pool, contacts, _budgets(stack), PostCallDrain(stack, config.post_call_pollers)
            )
            stack.invoker = pool.invoke
            stack.zendesk.faults = config.zendesk_faults()
            stack.zendesk.clear_requests_log()
            progress(f"{config.contacts} contacts at once, Zendesk and DynamoDB faulty ...")
            started = time.monotonic()
            runner = ContactRun(stack, pool)
            with ThreadPoolExecutor(config.contact_threads) as executor:
                for future in [executor.submit(runner.play, contact) for contact in contacts]:
                    future.result()
            calls_seconds = time.monotonic() - started
            progress("draining the transcript streams and the post-call queue ...")
            stack.event_sources.drain(timeout=config.drain_timeout_seconds, quiet_rounds=5)
            run.emptied = run.drain.run(config.drain_timeout_seconds)
            stack.event_sources.drain(timeout=60)
            progress("the reconciliation sweep, an hour later, then the post-call queue again ...")
            run.sweeps = reconcile(stack)
            run.emptied = run.drain.run(config.drain_timeout_seconds) and run.emptied
            run.seconds = (calls_seconds, time.monotonic() - started)
            run.dead = run.drain.dead_letters()
            run.zendesk_requests = stack.zendesk.requests_log()
            if run.dead:
                progress(f"{len(run.dead)} dead letter(s): Zendesk healthy again, redriving them ...")
                stack.zendesk.faults = FaultConfig()
                run.drain.redrive(run.dead)
                run.emptied = run.drain.run(config.drain_timeout_seconds) and run.emptied
            run.left_dead = run.drain.dead_letters()
            report = _report(run)
            stack.invoker = None
    return report


def _budgets(stack: LocalStack) -> dict[str, float]:
    flow = Settings.from_env(stack.template.function("caller_lookup").environment).flow_time_budget_seconds
    lex_env = stack.template.function("lex_fulfillment").environment
    lex = int(lex_env.get("LEX_TIME_BUDGET_MS", "4000")) / 1000
    return {"caller_lookup": flow, "ticket_lookup": flow, "lex_fulfillment": lex}


# ---------------------------------------------------------------------------- checks and figures
def flow_response_problems(response: Any) -> list[str]:
    """What breaks Connect's contract in a contact-flow function's answer."""
    if not isinstance(response, dict):
        return [f"not a map: {type(response).__name__}"]
    problems = [f"{key!r} is not a string" for key, value in response.items() if not isinstance(value, str)]
    if any(not isinstance(key, str) for key in response):
        problems.append("a key is not a string")
    if response.get("lambdaResult") not in FLOW_RESULTS:
        problems.append(f"lambdaResult {response.get('lambdaResult')!r}")
    if len(json.dumps(response, ensure_ascii=False).encode("utf-8")) >= CONNECT_LIMIT_BYTES:
        problems.append("32 KB or more")
    return problems


def _answer(function: str, invocation: Invocation) -> tuple[str, list[str]]:
    """(the answer's kind for the table, what breaks its caller's contract)."""
    response = invocation.response
    if function == "lex_fulfillment":
        action = (
            response.get("sessionState", {}).get("dialogAction", {}) if isinstance(response, dict) else {}
        )
        return str(action.get("type")), response_problems(response)
    kind = str(response.get("lambdaResult")) if isinstance(response, dict) else "?"
    return kind, flow_response_problems(response)


def _report(run: _Run) -> ChaosReport:
    checks: list[Check] = []
    figures: dict[str, Any] = {
        "contacts": len(run.contacts),
        "seconds": {"calls": round(run.seconds[0], 1), "drained": round(run.seconds[1], 1)},
    }
    figures["latency"] = _answer_checks(run, checks)
    background = Counter(i.function for i in run.pool.invocations if i.function not in run.budgets)
    raised = Counter(i.function for i in run.pool.invocations if i.function not in run.budgets and i.error)
    figures["background_invocations"] = dict(background)
    checks.append(
        Check(
            "stream and queue functions never raised",
            not raised,
            ", ".join(f"{f}: {n}" for f, n in raised.items()) or "none raised",
        )
    )
    figures["post_call"] = _note_checks(run, checks)
    figures["end_users_created"] = _end_user_check(run, checks)
    figures["transcripts"] = _transcript_check(run, checks)
    faults = Counter(r.fault or "none" for r in run.zendesk_requests if r.path.startswith("/api/v2/"))
    figures["injected"] = {
        "zendesk_requests": sum(faults.values()),
        "zendesk": dict(faults),
        **run.pool.fault_counts(),
    }
    figures["problems"] = [problem for contact in run.contacts for problem in contact.problems]
    dead = [{k: v for k, v in letter.items() if k != "body"} for letter in run.dead]
    return ChaosReport(run.config, figures, checks, dead)


def _answer_checks(run: _Run, checks: list[Check]) -> dict[str, Any]:
    """Contact-flow and Lex answers: never raised, within the contract, within the budget."""
    by_function: dict[str, list[Invocation]] = {}
    for contact in run.contacts:
        for function, invocation in contact.steps:
            by_function.setdefault(function, []).append(invocation)
    latency: dict[str, Any] = {}
    for function, invocations in sorted(by_function.items()):
        budget = run.budgets[function]
        answered = [i for i in invocations if i.error is None]
        kinds = Counter(_answer(function, i)[0] for i in answered)
        broken = [i for i in answered if _answer(function, i)[1]]
        # A cold start also makes the environment's clients inside the handler: it is held to
        # Connect's 8 s (below); warm answers are held to the budget.
        warm = [i.seconds for i in invocations if not i.first_call] or [0.0]
        first = [i.seconds for i in invocations if i.first_call]
        cold = [i.init_seconds for i in invocations if i.init_seconds > COLD_START_SECONDS]
        durations = sorted(i.seconds for i in invocations)
        worst_total = max(i.seconds + i.init_seconds for i in invocations)
        latency[function] = {
            "invocations": len(invocations),
            "p50_ms": round(_percentile(durations, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(durations, 0.99) * 1000, 1),
            "max_ms": round(durations[-1] * 1000, 1),
            "warm_max_ms": round(max(warm) * 1000, 1),
            "budget_ms": int(budget * 1000),
            "answers": dict(kinds),
            "cold_starts": len(cold),
            "cold_start_max_ms": round(max(cold, default=0.0) * 1000, 1),
            "first_calls": len(first),
            "first_call_max_ms": round(max(first, default=0.0) * 1000, 1),
        }
        raised = len(invocations) - len(answered)
        checks += [
            Check(f"{function} never raised", not raised, f"{raised} of {len(invocations)} raised"),
            Check(
                f"{function} answers within its contract",
                not broken,
                f"{len(broken)} of {len(invocations)} broken",
            ),
            Check(
                f"{function} answers within its budget",
                max(warm) <= budget + BUDGET_GRACE_SECONDS,
                f"warm max {max(warm):.2f} s, budget {budget:.1f} s (+{BUDGET_GRACE_SECONDS} s to answer)",
            ),
            Check(
                f"{function} within Connect's {CONNECT_TIMEOUT_SECONDS:.0f} s, first calls included",
                worst_total < CONNECT_TIMEOUT_SECONDS,
                f"worst {worst_total:.2f} s; first calls up to {max(first, default=0.0):.2f} s",
            ),
        ]
    return latency


def _notes_by_contact(run: _Run) -> tuple[Counter[str], Counter[str]]:
    """(notes carrying each contact's marker, tickets created with each contact's external id)."""
    assert run.stack.zendesk is not None
    store = run.stack.zendesk.store
    markers = {comment_marker(c.contact_id): c.contact_id for c in run.contacts}
    notes: Counter[str] = Counter()
    tickets: Counter[str] = Counter()
    for ticket in store.list_tickets():
        external = str(ticket.get("external_id") or "")
        if external.startswith("connect-contact:"):
            tickets[external.removeprefix("connect-contact:")] += 1
        for comment in store.get_comments(int(ticket["id"])):
            body = str(comment.get("body") or "")
            notes.update(contact for marker, contact in markers.items() if marker in body)
    return notes, tickets


def _note_checks(run: _Run, checks: list[Check]) -> dict[str, Any]:
    """Exactly one note per contact in the end; none for a withheld number nobody could file."""
    notes, tickets = _notes_by_contact(run)
    statuses: Counter[str] = Counter()
    lost, duplicated, unexpected = [], [], []
    for contact in run.contacts:
        status = _post_call_status(run.stack, contact.contact_id)
        statuses[status] += 1
        count = notes[contact.contact_id]
        if contact.caller is None and status == "SKIPPED":
            if count:
                unexpected.append(contact.contact_id)
        elif count == 0:
            lost.append(contact.contact_id)
        elif count > 1 or tickets[contact.contact_id] > 1:
            duplicated.append(contact.contact_id)
    checks += [
        Check("no post-call note lost", not lost, f"{len(lost)} contact(s) without a note {lost[:5]}"),
        Check(
            "no post-call note duplicated",
            not duplicated,
            f"{len(duplicated)} contact(s) with more than one {duplicated[:5]}",
        ),
        Check("no note for a withheld number without a ticket", not unexpected, f"{len(unexpected)}"),
        Check("post-call queue drained", run.emptied, "empty" if run.emptied else "messages left"),
        Check(
            "dead-letter queue empty after the redrive",
            not run.left_dead,
            f"{len(run.dead)} dead-lettered under faults (named below), {len(run.left_dead)} left after",
        ),
    ]
    return {
        "statuses": dict(statuses),
        "notes": sum(notes.values()),
        "deliveries": run.drain.received,
        "retried": run.drain.failed,
        "dead_lettered": len(run.dead),
        "events_sent_twice": sum(c.duplicate_event for c in run.contacts),
        **_reconciliation_checks(run, checks),
    }


def _reconciliation_checks(run: _Run, checks: list[Check]) -> dict[str, int]:
    """Every dropped event, and only those, came back through the sweep."""
    dropped = sum(c.dropped_event for c in run.contacts)
    reconciled = sum(int(r["reconciled"]) for r in run.sweeps)
    unreconcilable = sum(int(r["unreconcilable"]) for r in run.sweeps)
    checks.append(
        Check(
            "every dropped contact event reconciled, no other",
            reconciled == dropped and unreconcilable == 0,
            f"{dropped} dropped, {reconciled} reconciled, {unreconcilable} unreconcilable "
            f"in {len(run.sweeps)} sweep run(s)",
        )
    )
    return {
        "events_dropped": dropped,
        "reconciled": reconciled,
        "unreconcilable": unreconcilable,
        "sweep_runs": len(run.sweeps),
    }


def _end_user_check(run: _Run, checks: list[Check]) -> int:
    assert run.stack.zendesk is not None
    created = Counter(
        str(user.get("phone"))
        for user in run.stack.zendesk.store.list_users()
        if str(user.get("name", "")).startswith("Caller ")
    )
    doubled = {phone: n for phone, n in created.items() if n > 1}
    checks.append(
        Check("one end-user per unknown number", not doubled, f"numbers with several: {len(doubled)}")
    )
    return sum(created.values())


def _transcript_check(run: _Run, checks: list[Check]) -> dict[str, int]:
    """Every final segment stored, or its record handed to the failure destination."""
    stored = sum(len(run.stack.transcript(c.contact_id)) for c in run.contacts)
    sent = sum(c.segments_sent for c in run.contacts)
    failed = run.drain.queue_depth("RealtimeFailureQueue")
    checks.append(
        Check(
            "transcript segments stored or handed to the failure destination",
            sent - stored <= failed,
            f"{stored} of {sent} stored, {failed} record(s) on the failure destination",
        )
    )
    return {"segments_sent": sent, "segments_stored": stored, "failure_destination_records": failed}


def _post_call_status(stack: LocalStack, contact_id: str) -> str:
    item = (
        stack.client("dynamodb")
        .get_item(
            TableName=stack.template.physical["ContactsTable"].ref,
            Key={"contactId": {"S": contact_id}},
            ConsistentRead=True,
        )
        .get("Item", {})
    )
    return str(item.get("postCall", {}).get("M", {}).get("status", {}).get("S", "(none)"))


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


# ---------------------------------------------------------------------------- printing
def print_report(report: ChaosReport, out: Any = sys.stdout) -> None:
    figures = report.figures
    injected = figures["injected"]
    zendesk = injected["zendesk"]
    total = max(injected["zendesk_requests"], 1)
    throttled = sum(injected["dynamodb_throttled"].values())
    attempts = max(sum(injected["dynamodb_attempts"].values()), 1)
    print(
        f"\nChaos run · {figures['contacts']} contacts · calls {figures['seconds']['calls']} s, "
        f"all drained {figures['seconds']['drained']} s",
        file=out,
    )
    print(
        f"Injected  Zendesk: {injected['zendesk_requests']} requests, "
        + ", ".join(f"{mode} {n} ({n / total:.0%})" for mode, n in sorted(zendesk.items()))
        + f" · DynamoDB: {throttled} of {attempts} attempts throttled ({throttled / attempts:.0%})"
        + f" · SQS delays capped: {injected['visibility_capped']}",
        file=out,
    )
    print(
        f"\n{'function':<17} {'calls':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'warm max':>8} "
        f"{'budget':>7} {'cold':>5}  answers",
        file=out,
    )
    for function, row in figures["latency"].items():
        answers = ", ".join(f"{k} {v}" for k, v in sorted(row["answers"].items()))
        print(
            f"{function:<17} {row['invocations']:>6} {row['p50_ms']:>8} {row['p99_ms']:>8} "
            f"{row['max_ms']:>8} {row['warm_max_ms']:>8} {row['budget_ms']:>7} {row['cold_starts']:>5}  "
            f"{answers}",
            file=out,
        )
    post = figures["post_call"]
    print(
        f"\nAfter the call: {post['notes']} notes · statuses {post['statuses']} · "
        f"{post['deliveries']} deliveries, {post['retried']} retried, "
        f"{post['dead_lettered']} dead-lettered · {post['events_sent_twice']} events sent twice · "
        f"{post['events_dropped']} dropped, {post['reconciled']} reconciled "
        f"in {post['sweep_runs']} sweep run(s)",
        file=out,
    )
    t = figures["transcripts"]
    print(
        f"Transcripts: {t['segments_stored']} of {t['segments_sent']} final segments stored, "
        f"{t['failure_destination_records']} record(s) on the failure destination · "
        f"background invocations {figures['background_invocations']}",
        file=out,
    )
    for letter in report.dead_letters:
        print(
            f"  dead letter: contact {letter['contactId']} · {letter['errorType']} · "
            f"{letter['failureReason']}",
            file=out,
        )
    print("", file=out)
    for check in report.checks:
        print(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}", file=out)


def save(report: ChaosReport, path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = ChaosConfig()
    parser.add_argument("--contacts", type=int, default=defaults.contacts)
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="function processes (Lambda concurrency)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    config = ChaosConfig(contacts=args.contacts, workers=args.workers, seed=args.seed)
    report = run_chaos(config, progress=lambda line: print(line, flush=True))
    print_report(report)
    print(
        f"saved {save(report).relative_to(PROJECT_ROOT)}; "
        f"function logs in {LOG_DIR.relative_to(PROJECT_ROOT)}/"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
