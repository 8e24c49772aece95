"""make history on the local stack: past calls through EventBridge, SQS and post_call_update leave the
documents production writes (varied outcomes, languages, sentiment, categories, delays), and
`make report` draws every chart from them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.history import main as history_main
from connect_zendesk_local.history import plan_calls
from connect_zendesk_local.report.__main__ import main as report_main
from connect_zendesk_local.report.build import write_report
from connect_zendesk_local.report.engines import DuckDbEngine

pytestmark = pytest.mark.integration
CALLS = 24


def read_documents(root: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(root.glob("calls/*/*.json"))]


def test_the_plan_is_varied_and_the_same_for_a_seed() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    calls = plan_calls(200, days=28, seed=5, now=now)
    assert calls == plan_calls(200, days=28, seed=5, now=now)
    assert {c.outcome for c in calls} == {"escalated", "bot", "abandoned"}
    assert len({c.language for c in calls}) == 4
    assert len({c.arc for c in calls if c.lines}) == 5
    assert all(now - timedelta(days=29) < c.started < c.ended < now for c in calls)
    for call in calls:
        text = "\n".join(line for _, _, line in call.lines).lower()
        assert all(phrase.lower() in text for phrase in call.phrases), (
            call
        )  # nothing the analysis can't place


def test_generated_calls_are_real_post_call_documents_and_chart_every_view(
    tmp_path: Path, template: Template, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--calls", str(CALLS), "--days", "10", "--seed", "3", "--out", str(tmp_path)]
    assert history_main(args) == 0
    assert f"{CALLS} analytics documents in {tmp_path}" in capsys.readouterr().out
    documents = read_documents(tmp_path)
    assert len(documents) == CALLS
    outcomes = Counter(d["outcome"] for d in documents)
    assert set(outcomes) == {"escalated", "bot_resolved_candidate", "abandoned"}
    escalated = [d for d in documents if d["outcome"] == "escalated"]
    assert all(d["sentiment"]["Sentiment"] and d["phrases"]["KeyPhrases"] for d in escalated)
    assert all(p["BeginOffset"] is not None for d in escalated for p in d["phrases"]["KeyPhrases"])
    assert all(d["zendesk"]["note"] == "written" for d in documents)
    # post_call_update ran as if shortly after each call: its document is dated like the call
    for document in documents:
        ended = datetime.fromisoformat(document["ended_at"])
        recorded = datetime.fromisoformat(document["recorded_at"])
        assert timedelta(0) < recorded - ended < timedelta(minutes=11)
    # bot-resolved calls older than the 72 h window were metered
    now = datetime.now(UTC)
    old_bot = [
        d
        for d in documents
        if d["outcome"] == "bot_resolved_candidate"
        and now - datetime.fromisoformat(d["ended_at"]) > timedelta(hours=73)
    ]
    assert all(d["resolution"] and d["resolution"]["verdict"] for d in old_bot)

    duck = DuckDbEngine(tmp_path, template)
    first = (now - timedelta(days=11)).date().isoformat()
    charts = write_report(duck, first, now.date().isoformat(), tmp_path / "report.html")
    duck.close()
    assert [c.chart.key for c in charts if c.data.empty] == []


def test_make_report_plays_history_first_when_there_are_no_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    documents, out = tmp_path / "documents", tmp_path / "report.html"
    assert report_main(["--documents", str(documents), "--calls", "6", "--out", str(out)]) == 0
    assert len(read_documents(documents)) == 6
    assert "charts with data" in capsys.readouterr().out
    assert 'id="no-data"' not in out.read_text(encoding="utf-8")  # the played calls are in the range
