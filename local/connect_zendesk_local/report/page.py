"""One self-contained HTML page: every picture is a data: URI, no script, no external resource."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connect_zendesk_local.report.charts import Chart, ChartData
from connect_zendesk_local.report.drawing import drawable

NO_DATA = "No data in this range."
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #212121; }
header p { color: #616161; margin: 0.2rem 0; }
section { border-top: 1px solid #e0e0e0; padding: 1rem 0; }
h2 { font-size: 1.1rem; margin: 0 0 0.3rem; }
.caption, .summary { color: #616161; font-size: 0.9rem; margin: 0.2rem 0; }
.empty { background: #fafafa; border: 1px dashed #bdbdbd; padding: 1.5rem; text-align: center;
  color: #757575; }
.banner { background: #fff8e1; border: 1px solid #ffe082; padding: 0.8rem; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.8rem; margin-top: 0.5rem; }
td, th { border: 1px solid #e0e0e0; padding: 0.15rem 0.5rem; text-align: left; }
"""


@dataclass(frozen=True)
class RenderedChart:
    chart: Chart
    data: ChartData
    rows: Sequence[dict[str, Any]]
    png: bytes


def render_page(charts: Sequence[RenderedChart], *, first_day: str, last_day: str, source: str) -> str:
    banner = ""
    if all(rendered.data.empty for rendered in charts):
        banner = (
            '<p class="banner" id="no-data">No analytics documents between '
            f"{html.escape(first_day)} and {html.escape(last_day)}: every chart below is empty. "
            "Locally, <code>make history</code> plays past calls through the post-call path.</p>"
        )
    sections = "\n".join(_section(rendered) for rendered in charts)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Contact center report {html.escape(first_day)} to {html.escape(last_day)}</title>"
        f"<style>{_STYLE}</style></head>\n<body>\n"
        "<header><h1>Contact center report</h1>"
        f"<p>{html.escape(first_day)} to {html.escape(last_day)} (UTC days) · "
        f"source: {html.escape(source)}</p>"
        "</header>\n"
        f"{banner}\n{sections}\n</body></html>\n"
    )


def _section(rendered: RenderedChart) -> str:
    chart, data = rendered.chart, rendered.data
    parts = [f'<section id="{chart.key}"><h2>{html.escape(chart.title)}</h2>']
    if chart.caption:
        parts.append(f'<p class="caption">{html.escape(chart.caption)}</p>')
    if data.empty:
        parts.append(f'<p class="empty">{NO_DATA}</p>')
    else:
        if data.summary:
            parts.append(f'<p class="summary">{html.escape(data.summary)}</p>')
        if rendered.png:
            encoded = base64.b64encode(rendered.png).decode("ascii")
            parts.append(f'<img alt="{html.escape(chart.title)}" src="data:image/png;base64,{encoded}">')
        parts.append(_undrawn_words(data))
        parts.append(_table(rendered.rows))
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _undrawn_words(data: ChartData) -> str:
    undrawn = [f"{html.escape(word)} ({count})" for word, count in data.words if not drawable(word)]
    if not undrawn:
        return ""
    return f'<p class="summary">Also mentioned (scripts the cloud\'s font lacks): {", ".join(undrawn)}</p>'


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    names = list(rows[0])
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[name]))}</td>" for name in names) + "</tr>"
        for row in rows
    )
    return f"<details><summary>The query's rows</summary><table><tr>{head}</tr>{body}</table></details>"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
