"""Runs every chart's query on an engine over a date range and renders the page."""

from __future__ import annotations

from pathlib import Path

from connect_zendesk_local.report.charts import CHARTS, chart_data
from connect_zendesk_local.report.drawing import picture
from connect_zendesk_local.report.engines import QueryEngine
from connect_zendesk_local.report.page import RenderedChart, render_page


def collect(engine: QueryEngine, first_day: str, last_day: str) -> list[RenderedChart]:
    rendered = []
    for chart in CHARTS:
        rows = engine.run(chart.sql, [first_day, last_day])
        data = chart_data(chart, rows)
        rendered.append(RenderedChart(chart, data, rows, b"" if data.empty else picture(data)))
    return rendered


def write_report(engine: QueryEngine, first_day: str, last_day: str, out: Path) -> list[RenderedChart]:
    charts = collect(engine, first_day, last_day)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = render_page(charts, first_day=first_day, last_day=last_day, source=engine.name)
    out.write_text(page, encoding="utf-8")
    return charts
