"""make history: a few hundred varied past calls through the real post-call path on the local stack.

    python -m connect_zendesk_local.history [--calls 300] [--days 28] [--seed 19] [--out DIR]

Each call leaves in DynamoDB what the earlier steps leave (the Contacts item: caller, language, the
bot's fulfilled intents, Contact Lens categories and the sentiment step's key phrases; the Transcripts
table's final segments with their Contact Lens sentiment). Then Amazon Connect's DISCONNECTED event
goes on the EventBridge bus, the template's rule puts it in the post-call queue, and post_call_update
writes the Zendesk note and the analytics document, exactly as for a live call. Only the function's
clock is moved: it runs as if shortly after the call ended (seconds to minutes: the delivery delay),
so the documents' `recorded_at` and partitions are those of a past call. resolution_metering then
decides the bot-resolved conversations whose window has passed. The bucket's documents are copied
to --out, where `make report` reads them; the functions' logs go to a file beside them.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from connect_zendesk_local.analytics_sql import download_documents
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import disconnected_event, load_event
from connect_zendesk_local.history_script import (
    AGENT_LINES,
    ARC_CATEGORIES,
    ARCS,
    CUSTOMER_LINES,
    PHRASES_BY_LANGUAGE,
    TOPIC_WEIGHTS,
    TOPICS,
    Topic,
)
from connect_zendesk_local.stack import LocalStack, function_output_to

DEFAULT_OUT = PROJECT_ROOT / ".local-stack" / "analytics"
FUNCTION_LOG = "history-functions.log"  # beside the documents: the functions' JSON logs and metrics
LANGUAGES = ("en-US", "ja-JP", "ko-KR", "zh-CN")
LANGUAGE_WEIGHTS = (70, 12, 9, 9)
OUTCOMES = ("escalated", "bot", "abandoned")
OUTCOME_WEIGHTS = (55, 30, 15)
QUEUES = ("support", "billing", "orders")
TOPIC_QUEUES = {"billing": "billing", "shipping": "orders", "cancel": "billing"}
CALLER_POOL = 120  # fewer numbers than calls: some callers come back, which disqualifies automation


@dataclass(frozen=True)
class PastCall:
    contact_id: str
    caller: str
    language: str
    outcome: str
    topic: Topic
    arc: str
    queue: str
    started: datetime
    ended: datetime
    delay_seconds: int
    lines: tuple[tuple[str, str, str], ...] = ()  # (speaker, sentiment, text)
    phrases: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())


class HistoryClock:
    """post_call_update's clock: set to just after the call being delivered ended."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> float:
        return self.at.timestamp()


def plan_calls(count: int, *, days: int, seed: int, now: datetime) -> list[PastCall]:
    rng = random.Random(seed)  # the same seed plays the same history
    callers = [f"+1206555{1000 + index:04d}" for index in range(CALLER_POOL)]
    calls = [_plan_one(rng, rng.choice(callers), days, now) for _ in range(count)]
    return sorted(calls, key=lambda call: call.ended)


def _plan_one(rng: random.Random, caller: str, days: int, now: datetime) -> PastCall:
    language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
    outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
    topics = [t for t in TOPICS if t.intents] if outcome == "bot" else list(TOPICS)
    topic = rng.choices(topics, [TOPIC_WEIGHTS[t.name] for t in topics])[0]
    arc = rng.choice(sorted(ARCS))
    seconds = {"escalated": (240, 1200), "bot": (60, 240), "abandoned": (15, 150)}[outcome]
    ended = now - timedelta(days=rng.uniform(0.05, days), minutes=rng.randint(0, 59))
    started = ended - timedelta(seconds=rng.randint(*seconds))
    # Most documents follow within seconds; some waited for the transcript to settle.
    delay = rng.randint(3, 45) if rng.random() < 0.88 else rng.randint(60, 600)
    call = PastCall(
        contact_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        caller=caller,
        language=language,
        outcome=outcome,
        topic=topic,
        arc=arc,
        queue=TOPIC_QUEUES.get(topic.name, "support"),
        started=started,
        ended=ended,
        delay_seconds=delay,
    )
    if outcome != "escalated":
        return call  # no agent, no Contact Lens conversation analytics
    phrases = tuple(_localised(p, language) for p in rng.sample(topic.phrases, k=min(3, len(topic.phrases))))
    customer, agent = CUSTOMER_LINES[language], AGENT_LINES[language]
    lines = []
    for index, sentiment in enumerate(ARCS[arc]):
        lines.append(("CUSTOMER", sentiment, customer[index].format(phrase=phrases[index % len(phrases)])))
        if index < len(agent):
            lines.append(("AGENT", "NEUTRAL" if index == 0 else "POSITIVE", agent[index]))
    categories = tuple(sorted({*topic.categories, *ARC_CATEGORIES.get(arc, ())}))
    return PastCall(**{**call.__dict__, "lines": tuple(lines), "phrases": phrases, "categories": categories})


def _localised(phrase: str, language: str) -> str:
    return PHRASES_BY_LANGUAGE.get(language, {}).get(phrase, phrase)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def seed_contact(stack: LocalStack, call: PastCall) -> None:
    """What caller_lookup, the bot, Contact Lens and the sentiment step leave before the hang-up."""
    item: dict[str, Any] = {
        "contactId": call.contact_id,
        "initialContactId": call.contact_id,
        "callerE164": call.caller,
        "language": call.language,
        "channel": "VOICE",
        "createdAt": _iso(call.started),
    }
    if call.outcome == "bot":
        item["fulfilledIntents"] = set(call.topic.intents)
    if call.lines:
        item["transcriptStatus"] = "COMPLETED"
        item["categories"] = list(call.categories)
        item["keyPhrases"] = [{"text": phrase, "score": "0.9"} for phrase in call.phrases]
    serializer, dynamodb = TypeSerializer(), stack.client("dynamodb")
    table = stack.template.physical["ContactsTable"].ref
    dynamodb.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in item.items()})
    segments = stack.template.physical["TranscriptsTable"].ref
    for index, (speaker, sentiment, text) in enumerate(call.lines):
        begin = 5000 + index * 6000
        segment = {
            "contactId": call.contact_id,
            "position": f"{begin:010d}#seg-{index}",
            "segmentId": f"seg-{index}",
            "speaker": speaker,
            "text": text,
            "beginOffsetMs": begin,
            "endOffsetMs": begin + 5500,
            "language": call.language,
            "source": "contact_lens",
            "sentiment": sentiment,
            "sentimentSource": "contact_lens",
        }
        dynamodb.put_item(TableName=segments, Item={k: serializer.serialize(v) for k, v in segment.items()})


def hang_up(stack: LocalStack, call: PastCall, clock: HistoryClock) -> int:
    """DISCONNECTED on the bus → rule → queue → post_call_update; returns the messages that failed."""
    detail, resources = disconnected_event(
        call.contact_id, started=call.started, ended=call.ended, agent=call.outcome == "escalated"
    )
    if call.outcome == "escalated":
        detail["queueInfo"]["queueArn"] = f"{detail['instanceArn']}/queue/{call.queue}"
    stack.put_contact_event(detail, resources)
    clock.at = call.ended + timedelta(seconds=call.delay_seconds)
    return sum(len(result.failed) for result in stack.sqs_poller("post_call_update").drain())


def play_history(stack: LocalStack, calls: list[PastCall]) -> int:
    """Every call through the post-call path, then one metering run; returns the failed deliveries."""
    # Imported here, as stack.py does: the package reads its environment when first imported.
    from connect_zendesk.call_services import CallServices  # noqa: PLC0415
    from connect_zendesk.services import use_services  # noqa: PLC0415
    from connect_zendesk.settings import Settings  # noqa: PLC0415

    clock = HistoryClock()
    settings = Settings.from_env(stack.template.function("post_call_update").environment)
    failed = 0
    # The sentiment step stays paused: the key phrases are seeded as Comprehend finds them in every
    # language (the local analyser reads English only and would replace them, racing the hang-up).
    assert stack.event_sources is not None
    with stack.event_sources.paused(), use_services(CallServices(settings, clock=clock)):
        for call in calls:
            seed_contact(stack, call)
            failed += hang_up(stack, call, clock)
    stack.invoke("resolution_metering", load_event("resolution_metering/scheduled.json"))
    return failed


def generate_history(
    *, calls: int = 300, destination: Path = DEFAULT_OUT, days: int = 28, seed: int = 19
) -> int:
    """Plays the calls on a fresh local stack, copies the documents to `destination`, returns their count."""
    planned = plan_calls(calls, days=days, seed=seed, now=datetime.now(UTC))
    destination.mkdir(parents=True, exist_ok=True)
    with (
        (destination / FUNCTION_LOG).open("w", encoding="utf-8") as log,
        function_output_to(log),
        LocalStack() as stack,
    ):
        failed = play_history(stack, planned)
        if failed:
            raise RuntimeError(f"{failed} post-call deliveries failed: see {destination / FUNCTION_LOG}")
        shutil.rmtree(destination / "calls", ignore_errors=True)
        bucket = stack.template.physical["AnalyticsBucket"].ref
        return download_documents(stack.client("s3"), bucket, destination)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make history", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--days", type=int, default=28, help="spread the calls over this many past days")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    count = generate_history(calls=args.calls, destination=args.out, days=args.days, seed=args.seed)
    sys.stdout.write(f"{count} analytics documents in {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
