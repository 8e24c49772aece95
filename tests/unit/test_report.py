"""make report: every chart's numbers are its query's rows over the Athena views, an empty bucket or
missing fields give a clear page, the page is self-contained, and the Athena path sends the same SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from connect_zendesk_local.analytics_sql import download_documents
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.report import drawing
from connect_zendesk_local.report.__main__ import main as report_main
from connect_zendesk_local.report.build import collect, write_report
from connect_zendesk_local.report.charts import CHARTS, ChartData, chart_data
from connect_zendesk_local.report.engines import AthenaEngine, AthenaQueryFailed, DuckDbEngine
from connect_zendesk_local.report.page import NO_DATA, RenderedChart, render_page
from post_call_rig import PostCallRig
from test_call_analytics import three_calls

WHOLE_RANGE = ("2026-11-01", "2026-11-30")
CHARTS_BY_KEY = {chart.key: chart for chart in CHARTS}


@pytest.fixture
def engine(rig: PostCallRig, tmp_path: Path) -> Iterator[DuckDbEngine]:
    """Three calls (escalated with a transcript, bot-resolved and metered, abandoned a day earlier)."""
    three_calls(rig)
    assert download_documents(rig.client("s3"), rig.table("AnalyticsBucket"), tmp_path) == 3
    duck = DuckDbEngine(tmp_path, rig.template)
    yield duck
    duck.close()


def rows_of(engine: DuckDbEngine, key: str, days: tuple[str, str] = WHOLE_RANGE) -> list[dict[str, Any]]:
    return engine.run(CHARTS_BY_KEY[key].sql, list(days))


def data_of(engine: DuckDbEngine, key: str, days: tuple[str, str] = WHOLE_RANGE) -> ChartData:
    return chart_data(CHARTS_BY_KEY[key], rows_of(engine, key, days))


# ---------------------------------------------------------------------------------- numbers = rows
def test_the_phrase_cloud_sizes_each_phrase_by_its_mentions_in_phrase_view(engine: DuckDbEngine) -> None:
    rows = rows_of(engine, "key_phrases")
    assert rows == [{"phrase": "printer offline", "mentions": 1}, {"phrase": "rear tray", "mentions": 1}]
    data = data_of(engine, "key_phrases")
    assert data.kind == "cloud"
    assert data.words == (("printer offline", 1), ("rear tray", 1))


def test_outcomes_and_languages_are_the_views_sums_over_the_range(engine: DuckDbEngine) -> None:
    assert rows_of(engine, "contacts_by_outcome") == [
        {"outcome": "abandoned", "contacts": 1},
        {"outcome": "bot_resolved_candidate", "contacts": 1},
        {"outcome": "escalated", "contacts": 1},
    ]
    outcome = data_of(engine, "contacts_by_outcome")
    assert outcome.x == ("abandoned", "bot_resolved_candidate", "escalated")
    assert outcome.series[0].values == (1.0, 1.0, 1.0)
    # Without the day the abandoned call ended on, it is gone from the chart
    later = data_of(engine, "contacts_by_outcome", ("2026-11-21", "2026-11-21"))
    assert later.x == ("bot_resolved_candidate", "escalated")
    languages = data_of(engine, "contacts_by_language")
    assert sum(v or 0 for v in languages.series[0].values) == 3


def test_sentiment_charts_pivot_the_rows_without_changing_a_number(engine: DuckDbEngine) -> None:
    by_day = rows_of(engine, "sentiment_by_day")
    assert by_day == [{"dt": "2026-11-21", "customer_sentiment": "NEGATIVE", "calls": 1}]
    data = data_of(engine, "sentiment_by_day")
    assert data.x == ("2026-11-21",)
    assert [(s.label, s.values) for s in data.series] == [("NEGATIVE", (1.0,))]
    by_queue = rows_of(engine, "sentiment_by_queue")
    assert len(by_queue) == 1
    assert by_queue[0]["customer_sentiment"] == "NEGATIVE"
    assert "/" not in by_queue[0]["queue"]  # the queue id, not its ARN
    queue = data_of(engine, "sentiment_by_queue")
    assert queue.x == (by_queue[0]["queue"],)


def test_containment_is_the_automated_resolution_rate_query_in_percent(engine: DuckDbEngine) -> None:
    rows = rows_of(engine, "containment")
    assert rows == [
        {
            "dt": "2026-11-20",
            "conversations": 1,
            "automated_resolutions": 0,
            "automated_resolution_rate": None,
            "containment_rate": 0.0,
        },
        {
            "dt": "2026-11-21",
            "conversations": 2,
            "automated_resolutions": 1,
            "automated_resolution_rate": 1.0,
            "containment_rate": 0.5,
        },
    ]
    data = data_of(engine, "containment")
    containment, rate = data.series
    assert containment.values == (0.0, 50.0)
    assert rate.values == (None, 100.0)  # no verdict that day: no point, not zero
    assert data.summary == "1 automated resolutions of 3 conversations"


def test_categories_handle_time_and_delivery_delay_come_from_their_views(engine: DuckDbEngine) -> None:
    assert data_of(engine, "top_categories").empty  # the rig's calls have no Contact Lens categories
    handle = rows_of(engine, "handle_time")
    assert [row["handled_contacts"] for row in handle] == [1]
    assert data_of(engine, "handle_time").series[0].values == (float(handle[0]["avg_handle_seconds"]),)
    delay = rows_of(engine, "delivery_delay")
    assert sum(row["documents"] for row in delay) == 3
    average, longest = data_of(engine, "delivery_delay").series
    assert average.values == tuple(r["total_delay_seconds"] / r["documents"] for r in delay)
    assert longest.values == tuple(float(r["max_delay_seconds"]) for r in delay)


def test_every_chart_draws_exactly_its_rows(engine: DuckDbEngine) -> None:
    for rendered in collect(engine, *WHOLE_RANGE):
        data, rows = rendered.data, rendered.rows
        if data.kind == "cloud":
            assert [w for w, _ in data.words] == [r["phrase"] for r in rows]
        elif data.kind in ("stacked_bars", "stacked_hbars"):
            total = sum(v or 0 for s in data.series for v in s.values)
            assert total == sum(r["calls"] for r in rows), data.key
        else:
            assert len(data.x) == len(rows), data.key
        assert bool(rendered.png) == (not data.empty), data.key
        if rendered.png:
            assert rendered.png.startswith(b"\x89PNG"), data.key


# ---------------------------------------------------------------------------------- the page
def test_phrases_the_fonts_lack_are_listed_as_text_under_the_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drawing, "CJK_FONT", Path("/nonexistent/font.ttc"))  # only DejaVu Sans
    drawing._glyphs.cache_clear()
    try:
        data = ChartData(
            "key_phrases", "Key phrases", "cloud", words=(("printer offline", 3), ("紙詰まり", 2))
        )
        png = drawing.picture(data)
        chart = CHARTS_BY_KEY["key_phrases"]
        page = render_page(
            [RenderedChart(chart, data, [], png)],
            first_day="2026-11-01",
            last_day="2026-11-30",
            source="test",
        )
    finally:
        drawing._glyphs.cache_clear()
    assert png.startswith(b"\x89PNG")
    assert "紙詰まり (2)" in page
    assert "printer offline (3)" not in page  # drawn in the cloud, not listed


def test_the_page_is_self_contained_with_a_picture_per_chart_with_data(
    engine: DuckDbEngine, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    charts = write_report(engine, *WHOLE_RANGE, out)
    page = out.read_text(encoding="utf-8")
    with_data = [c for c in charts if not c.data.empty]
    assert page.count("<img ") == len(with_data) >= 8
    assert page.count(NO_DATA) == len(charts) - len(with_data)
    assert re.findall(r'(?:src|href)="(?!data:image/png;base64,)', page) == []
    assert "<script" not in page
    assert 'id="no-data"' not in page


def test_an_empty_bucket_gives_a_clear_page(rig: PostCallRig, tmp_path: Path) -> None:
    assert download_documents(rig.client("s3"), rig.table("AnalyticsBucket"), tmp_path) == 0
    empty = DuckDbEngine(tmp_path, rig.template)
    out = tmp_path / "report.html"
    charts = write_report(empty, *WHOLE_RANGE, out)
    empty.close()
    page = out.read_text(encoding="utf-8")
    assert all(c.data.empty and not c.rows for c in charts)
    assert page.count(NO_DATA) == len(CHARTS)
    assert 'id="no-data"' in page
    assert "<img " not in page


def test_documents_with_missing_fields_still_give_a_page(template: Template, tmp_path: Path) -> None:
    folder = tmp_path / "calls" / "dt=2026-11-21"
    folder.mkdir(parents=True)
    sparse = {"contact_id": "c-1", "outcome": None, "phrases": None, "sentiment": {"Sentiment": None}}
    (folder / "c-1.json").write_text(json.dumps(sparse) + "\n")
    duck = DuckDbEngine(tmp_path, template)
    charts = write_report(duck, *WHOLE_RANGE, tmp_path / "report.html")
    duck.close()
    outcome = next(c for c in charts if c.chart.key == "contacts_by_outcome")
    assert outcome.data.x == ("(unknown)",)
    assert next(c for c in charts if c.chart.key == "key_phrases").data.empty


def test_the_command_writes_the_page_for_a_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs" / "calls").mkdir(parents=True)
    out = tmp_path / "out" / "report.html"
    args = [
        "--documents",
        str(tmp_path / "docs"),
        "--calls",
        "0",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-07",
    ]
    assert report_main([*args, "--out", str(out)]) == 0
    assert "2026-11-01 to 2026-11-07" in out.read_text(encoding="utf-8")
    assert "0 of 9 charts with data" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        report_main(["--from", "2026-11-08", "--to", "2026-11-07", "--calls", "0"])


# ---------------------------------------------------------------------------------- the Athena path
def _athena_client() -> Any:
    import boto3

    return boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _results(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> dict[str, Any]:
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    body = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    return {
        "ResultSet": {
            "Rows": [header, *body],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": n, "Type": t} for n, t in columns]},
        }
    }


def test_athena_runs_the_chart_sql_with_quoted_date_parameters_and_types_the_answer() -> None:
    client = _athena_client()
    chart = CHARTS_BY_KEY["contacts_by_outcome"]
    naps: list[float] = []
    with Stubber(client) as stub:
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q-1"},
            {
                "QueryString": chart.sql,
                "QueryExecutionContext": {"Database": "connect_zendesk"},
                "WorkGroup": "connect-zendesk-analytics",
                "ExecutionParameters": ["'2026-11-01'", "'2026-11-30'"],
            },
        )
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}})
        stub.add_response(
            "get_query_results",
            _results(
                [("outcome", "varchar"), ("contacts", "bigint")], [["escalated", "7"], ["abandoned", "2"]]
            ),
            {"QueryExecutionId": "q-1"},
        )
        athena = AthenaEngine(
            client, workgroup="connect-zendesk-analytics", database="connect_zendesk", sleep=naps.append
        )
        rows = athena.run(chart.sql, list(WHOLE_RANGE))
    assert rows == [{"outcome": "escalated", "contacts": 7}, {"outcome": "abandoned", "contacts": 2}]
    assert naps == [1.0]
    assert chart_data(chart, rows).series[0].values == (7.0, 2.0)


def test_a_failed_athena_query_says_why() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
        stub.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: phrase_view"}
                }
            },
        )
        athena = AthenaEngine(client, workgroup="wg", database="db", sleep=lambda _: None)
        with pytest.raises(AthenaQueryFailed, match="TABLE_NOT_FOUND"):
            athena.run("SELECT 1", [])


def test_athena_nulls_and_doubles_come_back_typed() -> None:
    client = _athena_client()
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-3"})
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}})
        stub.add_response(
            "get_query_results",
            _results(
                [("dt", "varchar"), ("automated_resolution_rate", "double"), ("containment_rate", "double")],
                [["2026-11-20", None, "0.25"]],
            ),
        )
        rows = AthenaEngine(client, workgroup="wg", database="db", sleep=lambda _: None).run("SELECT 1", [])
    assert rows == [{"dt": "2026-11-20", "automated_resolution_rate": None, "containment_rate": 0.25}]


def test_the_command_with_athena_runs_every_chart_query_in_the_workgroup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "athena.html"
    with mock_aws():
        athena = _athena_client()
        athena.create_work_group(Name="connect-zendesk-analytics")
        args = ["--athena", "connect-zendesk-analytics", "--region", "us-east-1", "--out", str(out)]
        assert report_main([*args, "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
        executions = [
            athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            for execution_id in athena.list_query_executions()["QueryExecutionIds"]
        ]
    # moto answers every query with canned (empty) results: the plumbing is what is tested here
    assert sorted(e["Query"] for e in executions) == sorted(chart.sql for chart in CHARTS)
    assert {e["WorkGroup"] for e in executions} == {"connect-zendesk-analytics"}
    assert {e["QueryExecutionContext"]["Database"] for e in executions} == {"connect_zendesk"}
    assert "source: Athena (workgroup connect-zendesk-analytics" in out.read_text(encoding="utf-8")


def test_an_athena_query_that_never_finishes_is_given_up_after_the_timeout() -> None:
    client = _athena_client()
    naps: list[float] = []
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-4"})
        for _ in range(3):
            stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "QUEUED"}}})
        athena = AthenaEngine(
            client, workgroup="wg", database="db", poll_seconds=2, timeout_seconds=4, sleep=naps.append
        )
        with pytest.raises(AthenaQueryFailed, match="still QUEUED after 4 s"):
            athena.run("SELECT 1", [])
    assert naps == [2, 2]
