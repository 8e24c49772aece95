"""make bench: one table in the README, generated from bench/results/latest.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import (
    README,
    RESULTS,
    TABLE_BEGIN,
    TABLE_END,
    Row,
    latency_row,
    percentile_ms,
    print_and_save,
    render_table,
    saved_records,
    table_in,
    with_table,
)


def test_the_readme_table_is_the_one_generated_from_the_saved_results() -> None:
    records = saved_records()
    assert records, "bench/results/latest.json holds no rows: run make bench"
    assert table_in(README.read_text(encoding="utf-8")) == render_table(records)


def test_the_saved_results_cover_every_function() -> None:
    names = " ".join(record["name"] for record in saved_records())
    for function in sorted(p.name for p in (README.parent / "functions").iterdir() if p.is_dir()):
        assert f"cold init {function}" in names, function
        assert f"warm {function}" in names, function
        assert f"artifact size, {function}" in names, function
    assert "artifact size, common layer" in names
    assert all({"name", "measured", "ratio", "budget", "basis", "ok"} <= set(r) for r in saved_records())


def test_saving_writes_the_json_and_replaces_only_the_table(tmp_path: Path) -> None:
    # Given a README with an old table between the markers
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n\n{TABLE_BEGIN}\n| old |\n{TABLE_END}\n\nafter\n", encoding="utf-8")
    results = tmp_path / "results" / "latest.json"
    rows = [Row("fast | thing", "1 ms", 0.004, 0.1, "budget"), Row("slow", "9 s", 2.0, 1.0, "budget")]

    # When the run is saved
    within_budget = print_and_save(rows, results=results, readme=readme)

    # Then the JSON holds the rows, and the README the table made from it, the rest untouched
    assert within_budget is False
    saved = json.loads(results.read_text(encoding="utf-8"))
    assert [r["ok"] for r in saved] == [True, False]
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("intro\n\n")
    assert text.endswith("\n\nafter\n")
    assert table_in(text) == render_table(saved)
    assert "| fast \\| thing | 1 ms | 0.004 | ≤ 0.10 | budget |" in text
    assert "| slow | 9 s | 2.00 **over** | ≤ 1.00 | budget |" in text


def test_a_readme_without_exactly_one_pair_of_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        with_table("no markers", [])
    with pytest.raises(ValueError, match="exactly one"):
        table_in(f"{TABLE_BEGIN}{TABLE_END}{TABLE_BEGIN}{TABLE_END}")


def test_p99_is_the_nearest_rank() -> None:
    samples = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentile_ms(samples, 0.99) == pytest.approx(99)
    assert percentile_ms(samples, 0.5) == pytest.approx(50)
    assert percentile_ms([0.005], 0.99) == pytest.approx(5)


def test_a_latency_row_holds_p99_to_its_share_of_the_budget() -> None:
    samples = [0.01] * 98 + [0.2, 0.5]
    row = latency_row("warm x", samples, 2.0, 0.1, "2 s budget")
    assert row.measured == "p50 10.0 ms, p99 200.0 ms (n=100)"
    assert row.ratio == pytest.approx(0.1)
    assert row.ok
    assert row.basis == "p99 / 2 s budget"


def test_results_path_is_kept_in_git() -> None:
    ignore = (README.parent / ".gitignore").read_text(encoding="utf-8")
    assert f"!{RESULTS.relative_to(README.parent).as_posix()}" in ignore
