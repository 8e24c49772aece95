"""The report's charts: which view each reads, the query over a date range, and the chart's numbers.

Every chart reads one Athena view (views.py) with the same SQL on both engines: `dt BETWEEN ? AND ?`
narrows the view to the range and sums its additive columns, so a chart's numbers are its query's rows.
A chart never computes from the documents itself; what it draws is `ChartData.points`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]
TOP_PHRASES = 80
TOP_CATEGORIES = 10


@dataclass(frozen=True)
class Series:
    """One line or bar group: a label and one value per x position (None: no value that day)."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class ChartData:
    """What a chart draws: x labels with one or more series, or (for the cloud) weighted words."""

    key: str
    title: str
    kind: str  # cloud, stacked_bars, hbars, lines, bars
    x: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    unit: str = ""
    summary: str = ""
    words: tuple[tuple[str, int], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.words and not any(v for s in self.series for v in s.values if v)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    view: str
    sql: str
    build: Callable[[str, str, Sequence[Row]], ChartData] = field(repr=False)
    caption: str = ""


def _pivot(rows: Sequence[Row], x: str, group: str, value: str) -> tuple[tuple[str, ...], tuple[Series, ...]]:
    """Rows (x, group, value) as one series per group over the sorted x values; absent cells are 0."""
    xs = tuple(sorted({str(row[x]) for row in rows}))
    groups = sorted({str(row[group]) for row in rows})
    cells = {(str(row[x]), str(row[group])): float(row[value] or 0) for row in rows}
    series = tuple(Series(name, tuple(cells.get((at, name), 0.0) for at in xs)) for name in groups)
    return xs, series


def _phrases(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    words = tuple((str(row["phrase"]), int(row["mentions"])) for row in rows)
    total = sum(count for _, count in words)
    return ChartData(key, title, "cloud", words=words, summary=f"{len(words)} phrases, {total} mentions")


def _sentiment_by_day(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    xs, series = _pivot(rows, "dt", "customer_sentiment", "calls")
    return ChartData(key, title, "stacked_bars", xs, series, unit="calls")


def _sentiment_by_queue(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    xs, series = _pivot(rows, "queue", "customer_sentiment", "calls")
    return ChartData(key, title, "stacked_hbars", xs, series, unit="calls")


def _containment(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    xs = tuple(str(row["dt"]) for row in rows)
    series = tuple(
        Series(label, tuple(None if row[column] is None else float(row[column]) * 100 for row in rows))
        for label, column in (
            ("containment (automated / all conversations)", "containment_rate"),
            ("automated-resolution rate (among verdicts)", "automated_resolution_rate"),
        )
    )
    conversations = sum(int(row["conversations"]) for row in rows)
    automated = sum(int(row["automated_resolutions"]) for row in rows)
    summary = f"{automated} automated resolutions of {conversations} conversations"
    return ChartData(key, title, "lines", xs, series, unit="%", summary=summary)


def _totals(column: str, value: str, unit: str) -> Callable[[str, str, Sequence[Row]], ChartData]:
    def build(key: str, title: str, rows: Sequence[Row]) -> ChartData:
        xs = tuple(str(row[column]) for row in rows)
        series = (Series(unit, tuple(float(row[value]) for row in rows)),)
        return ChartData(key, title, "hbars", xs, series, unit=unit)

    return build


def _handle_time(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    xs = tuple(str(row["dt"]) for row in rows)
    series = (Series("average handle time", tuple(float(row["avg_handle_seconds"]) for row in rows)),)
    handled = sum(int(row["handled_contacts"]) for row in rows)
    seconds = sum(int(row["total_handle_seconds"]) for row in rows)
    summary = f"{handled} agent-handled contacts, {seconds / handled:.0f} s on average" if handled else ""
    return ChartData(key, title, "bars", xs, series, unit="seconds", summary=summary)


def _delivery_delay(key: str, title: str, rows: Sequence[Row]) -> ChartData:
    xs = tuple(str(row["dt"]) for row in rows)
    series = (
        Series("average", tuple(int(row["total_delay_seconds"]) / int(row["documents"]) for row in rows)),
        Series("longest", tuple(float(row["max_delay_seconds"]) for row in rows)),
    )
    documents = sum(int(row["documents"]) for row in rows)
    total = sum(int(row["total_delay_seconds"]) for row in rows)
    summary = (
        f"{documents} documents, {total / documents:.0f} s after the call on average" if documents else ""
    )
    return ChartData(key, title, "lines", xs, series, unit="seconds", summary=summary)


_IN_RANGE = "WHERE dt BETWEEN ? AND ?"
CHARTS: tuple[Chart, ...] = (
    Chart(
        "key_phrases",
        "Key phrases callers used",
        "phrase_view",
        f"SELECT lower(phrase) AS phrase, CAST(COUNT(*) AS BIGINT) AS mentions FROM phrase_view {_IN_RANGE} "
        f"GROUP BY lower(phrase) ORDER BY mentions DESC, phrase LIMIT {TOP_PHRASES}",
        _phrases,
        "Size by the number of mentions, like the QuickSight word cloud over phrase_view.",
    ),
    Chart(
        "sentiment_by_day",
        "Customer sentiment by day",
        "sentiment_by_day",
        f"SELECT dt, customer_sentiment, calls FROM sentiment_by_day {_IN_RANGE} "
        "ORDER BY dt, customer_sentiment",
        _sentiment_by_day,
        "Calls with a transcript, by the customer's overall sentiment.",
    ),
    Chart(
        "sentiment_by_queue",
        "Customer sentiment by queue",
        "sentiment_by_queue",
        "SELECT regexp_replace(queue_id, '^.*/', '') AS queue, customer_sentiment, "
        f"CAST(SUM(calls) AS BIGINT) AS calls FROM sentiment_by_queue {_IN_RANGE} "
        "GROUP BY regexp_replace(queue_id, '^.*/', ''), customer_sentiment "
        "ORDER BY queue, customer_sentiment",
        _sentiment_by_queue,
        "Queue id (the last part of its ARN); self-service calls have no queue.",
    ),
    Chart(
        "containment",
        "Automated-resolution (containment) rate by day",
        "automated_resolution_rate",
        "SELECT dt, conversations, automated_resolutions, automated_resolution_rate, containment_rate "
        f"FROM automated_resolution_rate {_IN_RANGE} ORDER BY dt",
        _containment,
        "Verdicts arrive once the resolution window (72 h by default) has passed.",
    ),
    Chart(
        "contacts_by_outcome",
        "Contacts by outcome",
        "contacts_by_outcome",
        f"SELECT outcome, CAST(SUM(contacts) AS BIGINT) AS contacts FROM contacts_by_outcome {_IN_RANGE} "
        "GROUP BY outcome ORDER BY contacts DESC, outcome",
        _totals("outcome", "contacts", "contacts"),
    ),
    Chart(
        "contacts_by_language",
        "Contacts by language",
        "contacts_by_language",
        "SELECT language_code, CAST(SUM(contacts) AS BIGINT) AS contacts FROM contacts_by_language "
        f"{_IN_RANGE} GROUP BY language_code ORDER BY contacts DESC, language_code",
        _totals("language_code", "contacts", "contacts"),
    ),
    Chart(
        "top_categories",
        "Top Contact Lens categories",
        "category_counts",
        f"SELECT category, CAST(SUM(contacts) AS BIGINT) AS contacts FROM category_counts {_IN_RANGE} "
        f"GROUP BY category ORDER BY contacts DESC, category LIMIT {TOP_CATEGORIES}",
        _totals("category", "contacts", "contacts"),
    ),
    Chart(
        "handle_time",
        "Average handle time by day",
        "handle_time_by_day",
        "SELECT dt, handled_contacts, total_handle_seconds, avg_handle_seconds FROM handle_time_by_day "
        f"{_IN_RANGE} ORDER BY dt",
        _handle_time,
        "Contacts an agent handled: from the contact's start to its disconnect.",
    ),
    Chart(
        "delivery_delay",
        "Post-call delivery delay by day",
        "delivery_delay_by_day",
        "SELECT dt, documents, total_delay_seconds, max_delay_seconds FROM delivery_delay_by_day "
        f"{_IN_RANGE} ORDER BY dt",
        _delivery_delay,
        "Seconds from the disconnect to the analytics document (note and document written).",
    ),
)


def chart_data(chart: Chart, rows: Sequence[Row]) -> ChartData:
    return chart.build(chart.key, chart.title, rows)
