"""Budget rows, the printed table, bench/results/latest.json and the README's benchmark table.

`make bench` saves every row to latest.json and rewrites the README table between the markers from
it, so the README shows exactly the figures of the last run (a unit test keeps the two in step).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_BEGIN = "<!-- bench:begin -->"
TABLE_END = "<!-- bench:end -->"
COLUMNS = ("benchmark", "measured", "ratio", "budget", "basis")


@dataclass(frozen=True)
class Row:
    name: str
    measured: str  # human-readable figure
    ratio: float  # measured / baseline (or / budget)
    budget: float  # the ratio must stay at or under this
    basis: str  # what the ratio is taken against

    @property
    def ok(self) -> bool:
        return self.ratio <= self.budget


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of the samples at or below it."""
    ordered = sorted(samples)
    rank = max(math.ceil(len(ordered) * fraction), 1)
    return ordered[rank - 1] * 1000


def latency_figures(samples: list[float]) -> str:
    return f"p50 {median_ms(samples):.1f} ms, p99 {percentile_ms(samples, 0.99):.1f} ms (n={len(samples)})"


def print_and_save(rows: list[Row], results: Path = RESULTS, readme: Path = README) -> bool:
    width = max(len(r.name) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'measured':<44} {'ratio':>7}  {'budget':>7}  basis")
    for row in rows:
        verdict = "ok" if row.ok else "OVER"
        figures = f"{row.measured:<44} {row.ratio:>7.2f}  ≤{row.budget:<6.2f}"
        print(f"{row.name:<{width}}  {figures}  {row.basis}  [{verdict}]")
    records = [asdict(r) | {"ok": r.ok} for r in rows]
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    readme.write_text(with_table(readme.read_text(encoding="utf-8"), records), encoding="utf-8")
    print(f"\nsaved {results.name} and the table in {readme.name}")
    return all(r.ok for r in rows)


# ---------------------------------------------------------------------------- README table
def _ratio(value: float) -> str:
    return f"{value:.3f}" if value < 0.01 else f"{value:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(records: Iterable[Mapping[str, Any]]) -> str:
    """One Markdown table of every benchmark row, in the order they ran."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|---|---|---:|---:|---|"]
    for record in records:
        verdict = "" if record["ok"] else " **over**"
        cells = (
            _cell(record["name"]),
            _cell(record["measured"]),
            f"{_ratio(float(record['ratio']))}{verdict}",
            f"≤ {record['budget']:.2f}",
            _cell(record["basis"]),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_in(readme_text: str) -> str:
    """The text between the benchmark markers of the README."""
    if readme_text.count(TABLE_BEGIN) != 1 or readme_text.count(TABLE_END) != 1:
        raise ValueError(f"the README needs exactly one {TABLE_BEGIN} and one {TABLE_END}")
    return readme_text.split(TABLE_BEGIN)[1].split(TABLE_END, maxsplit=1)[0].strip("\n")


def with_table(readme_text: str, records: Iterable[Mapping[str, Any]]) -> str:
    """The README with the table between its markers replaced by a table of `records`."""
    table_in(readme_text)  # both markers, once each
    before, rest = readme_text.split(TABLE_BEGIN)
    _, after = rest.split(TABLE_END)
    return f"{before}{TABLE_BEGIN}\n{render_table(records)}\n{TABLE_END}{after}"


def saved_records(results: Path = RESULTS) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(results.read_text(encoding="utf-8"))
    return records


def latency_row(
    name: str, samples: list[float], budget_seconds: float, share: float, budget_label: str
) -> Row:
    """p50/p99 of warm invocations; the ratio is p99 over the step's time budget."""
    return Row(
        name,
        latency_figures(samples),
        percentile_ms(samples, 0.99) / (budget_seconds * 1000),
        share,
        f"p99 / {budget_label}",
    )
