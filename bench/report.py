"""Budget rows and the printed table shared by every benchmark."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


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
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] * 1000


def print_and_save(rows: list[Row]) -> bool:
    width = max(len(r.name) for r in rows)
    print(f"\n{'benchmark':<{width}}  {'measured':<34} {'ratio':>7}  {'budget':>7}  basis")
    for row in rows:
        verdict = "ok" if row.ok else "OVER"
        figures = f"{row.measured:<34} {row.ratio:>7.2f}  ≤{row.budget:<6.2f}"
        print(f"{row.name:<{width}}  {figures}  {row.basis}  [{verdict}]")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps([asdict(r) | {"ok": r.ok} for r in rows], indent=2), encoding="utf-8")
    print(f"\nsaved {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return all(r.ok for r in rows)
