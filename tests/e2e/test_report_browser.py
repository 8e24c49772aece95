"""The report page in headless Chromium: generated past calls and an empty bucket both open with no
console error, no request leaving the page, and every picture decoded. Without /usr/bin/chromium the
test is skipped with a message (.ci/run installs it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.history import generate_history
from connect_zendesk_local.report.browser import chromium_path, visit
from connect_zendesk_local.report.browser import main as browser_main
from connect_zendesk_local.report.build import write_report
from connect_zendesk_local.report.charts import CHARTS
from connect_zendesk_local.report.engines import DuckDbEngine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
    ),
]


def _report(documents: Path, template: Template, out: Path) -> int:
    today = datetime.now(UTC).date()
    engine = DuckDbEngine(documents, template)
    try:
        charts = write_report(engine, (today - timedelta(days=14)).isoformat(), today.isoformat(), out)
    finally:
        engine.close()
    return sum(not rendered.data.empty for rendered in charts)


def test_the_report_of_generated_calls_opens_cleanly_in_chromium(tmp_path: Path, template: Template) -> None:
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    generate_history(calls=40, destination=tmp_path / "documents", days=12, seed=11)
    page = tmp_path / "report.html"
    assert _report(tmp_path / "documents", template, page) == len(CHARTS)

    result = visit(page, screenshot=tmp_path / "report.png")

    assert result.console_errors == []
    assert result.outside_requests == []
    assert result.images == len(CHARTS)
    assert result.broken_images == 0
    assert result.empty_notes == 0
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")


def test_an_empty_report_opens_cleanly_and_says_so(tmp_path: Path, template: Template) -> None:
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    (tmp_path / "documents" / "calls").mkdir(parents=True)
    page = tmp_path / "report.html"
    assert _report(tmp_path / "documents", template, page) == 0

    result = visit(page)

    assert result.console_errors == []
    assert result.images == 0
    assert result.empty_notes == len(CHARTS)
    assert browser_main([str(page), str(tmp_path / "empty.png")]) == 0  # the documented command
    assert (tmp_path / "empty.png").exists()
