"""How `make demo` prints a call: a timeline of steps, the Zendesk requests each step caused, what the
agent's side panel received, the ticket's note and the analytics rows."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from connect_zendesk_local.panel_client import Received
from connect_zendesk_local.zendesk_emulator.server import RecordedRequest

TREND_BARS = "▁▂▃▄▅▆▇█"
SHOWN_REQUESTS = 4  # requests named on a step's Zendesk line; more are counted


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

    def section(self, number: str, text: str) -> None:
        print(f"\n {number} {text}", file=self.out)

    def line(self, actor: str, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  +{elapsed:6.3f}s  {actor:<10} {text}", file=self.out)

    def note(self, text: str) -> None:
        print(f"  {'':8}  {'':<10} {text}", file=self.out)

    def quote(self, lines: Iterable[str]) -> None:
        for line in lines:
            print(f"      │ {line}", file=self.out)


def describe_requests(requests: Sequence[RecordedRequest]) -> str:
    """'GET /api/v2/users/search.json 200, PUT /api/v2/tickets/1001.json 200' — paths only: the query
    strings hold phone numbers."""
    if not requests:
        return "no request"
    shown = [f"{r.method} {r.path} {_status(r)}" for r in requests[:SHOWN_REQUESTS]]
    more = len(requests) - SHOWN_REQUESTS
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _status(request: RecordedRequest) -> str:
    if request.status is not None:
        return str(request.status)
    return "no answer (hung)" if request.fault == "hang" else "no answer yet"


@dataclass
class PanelView:
    """What the agent's side panel received over its WebSocket, one line per message."""

    timeline: Timeline
    partials: int = 0
    finals: list[str] = field(default_factory=list)
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
            self.finals.append(message["text"])
            lens = f"  [{message['sentiment']} · Contact Lens]" if message.get("sentiment") else ""
            line("Panel", f'← final    {message["speaker"]:<8} "{message["text"]}"{lens}')
        elif kind == "segmentSentiment":
            speaker = self.speakers.get(message["segmentId"], "")
            line("Sentiment", f"← {speaker} utterance {message['sentiment']} ({message['sentimentSource']})")
        elif kind == "sentiment":
            self._sentiment(message)
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

    def _sentiment(self, message: dict[str, Any]) -> None:
        customer = message["speakers"]["CUSTOMER"]
        if customer["trend"] == self.last_trend:
            return  # only key phrases changed (an agent utterance)
        self.last_trend = customer["trend"]
        trend = "".join(TREND_BARS[min(int((v + 1) / 2 * 7.99), 7)] for v in customer["trend"])
        phrases = ", ".join(p["text"] for p in message.get("keyPhrases", [])[:3])
        self.timeline.line(
            "Panel", f"← customer sentiment {customer['score']:+.2f} {trend}  key phrases: {phrases}"
        )


def print_analytics_rows(
    timeline: Timeline,
    *,
    phrases: Sequence[dict[str, Any]] = (),
    sentiment: Sequence[dict[str, Any]] = (),
    rates: Sequence[dict[str, Any]] = (),
) -> None:
    if phrases:
        shown = ", ".join(f"{p['phrase']} ({p['score']})" for p in phrases)
        timeline.note(f"phrase_view                {shown}")
    for row in sentiment:
        timeline.note(
            f"sentiment_by_day           {row['dt']} · {row['customer_sentiment']} · {row['calls']} call(s)"
        )
    for row in rates:
        timeline.note(
            f"automated_resolution_rate  {row['dt']} · {row['conversations']} conversation(s), "
            f"{row['escalated']} escalated, {row['bot_resolved']} bot-resolved, "
            f"{row['automated_resolutions']} automated"
        )
