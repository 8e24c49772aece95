"""The agent side panel in headless Chromium against the local stack: a call plays, the page shows
the transcript (partials replaced by finals), the customer's sentiment and the alert; text from the
call, even a <script>, is only ever text; a dropped connection comes back by itself.

Chromium is Debian's package (.ci/run installs it); playwright only drives it and never downloads a
browser. Without /usr/bin/chromium the test is skipped with a message.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.realtime.agent_notes import notes_key
from connect_zendesk_local.contact_lens_events import call_records, lens_record, transcript
from connect_zendesk_local.panel_client import put_records
from connect_zendesk_local.panel_server import PanelServer
from connect_zendesk_local.stack import LocalStack, function_output_to

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INJECTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>'

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
    ),
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 400, "height": 1000})
            yield page
        finally:
            browser.close()


@pytest.fixture
def panel_stack(tmp_path: Path) -> Iterator[tuple[LocalStack, PanelServer]]:
    with (tmp_path / "functions.log").open("w") as log, function_output_to(log), LocalStack() as stack:
        server = PanelServer(stack).start()
        try:
            yield stack, server
        finally:
            server.stop()


def test_the_panel_shows_a_live_call_with_sentiment_and_escapes_everything(
    browser_page: Any, panel_stack: tuple[LocalStack, PanelServer]
) -> None:
    stack, server = panel_stack
    assert stack.event_sources is not None
    assert stack.gateway is not None
    page = browser_page
    contact_id = str(uuid.uuid4())

    # Given the agent's panel open on the contact
    page.goto(server.url(contact_id))
    page.wait_for_selector('#connection[data-state="open"]', timeout=20000)

    # When the first turn's partials arrive, they show before the final
    records = list(call_records(contact_id))
    put_records(stack, records[:3])  # STARTED and two partial utterances of the agent's first turn
    page.wait_for_selector("#transcript li.partial", timeout=20000)
    assert "Thanks for calling" in page.inner_text("#transcript li.partial")

    # And when the rest of the call and a segment carrying markup arrive
    put_records(stack, records[3:])
    hostile = lens_record(
        contact_id,
        "SEGMENTS",
        [transcript("hostile-1", "CUSTOMER", INJECTED, 999000, 999500, sentiment=None)],
    )
    put_records(stack, [hostile])
    stack.event_sources.drain()
    page.wait_for_selector('#call-status[data-status="COMPLETED"]', timeout=20000)
    page.wait_for_selector("#alert:not([hidden])", timeout=20000)

    # Then every final replaced its partials, in call order, with speaker labels
    lines = page.locator("#transcript li")
    texts = lines.all_inner_texts()
    assert page.locator("#transcript li.partial").count() == 0
    assert texts[0].startswith("Agent")
    assert "How can I help you today?" in texts[0]
    assert any(t.startswith("Customer") and "terrible service" in t for t in texts)
    # And the customer's sentiment, its trend, key phrases, categories and the alert are shown
    assert page.get_attribute("#sentiment", "data-sentiment") in {"NEGATIVE", "NEUTRAL", "POSITIVE"}
    assert page.locator("#trend span").count() >= 5
    assert page.locator('#transcript li[data-sentiment="NEGATIVE"]').count() >= 3
    assert "terrible service" in page.inner_text("#phrases")
    assert "PrinterIssue" in page.inner_text("#categories")
    assert "negative" in page.inner_text("#alert")
    # And the injected markup is text: no script ran, no element was created from it
    hostile_line = page.locator('#transcript li[data-key="hostile-1"] .text')
    assert hostile_line.inner_text() == INJECTED
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#transcript img, #transcript script, #transcript b").count() == 0


def test_the_panel_reconnects_after_a_dropped_connection_and_saves_notes_once(
    browser_page: Any, panel_stack: tuple[LocalStack, PanelServer]
) -> None:
    stack, server = panel_stack
    assert stack.gateway is not None
    assert stack.event_sources is not None
    page = browser_page
    contact_id = str(uuid.uuid4())
    page.goto(server.url(contact_id))
    page.wait_for_selector('#connection[data-state="open"]', timeout=20000)

    # When API Gateway drops the connection (here: @connections DELETE)
    import boto3

    boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.gateway.management_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).delete_connection(ConnectionId=stack.gateway.connection_ids()[0])
    page.wait_for_selector('#connection[data-state="retrying"]', timeout=10000)

    # Then it reconnects with a fresh token and catches up with what was said meanwhile
    put_records(
        stack,
        [
            lens_record(
                contact_id,
                "SEGMENTS",
                [transcript("t-late", "CUSTOMER", "said while away", 1000, 2000, sentiment="NEUTRAL")],
            )
        ],
    )
    page.wait_for_selector('#connection[data-state="open"]', timeout=20000)
    page.wait_for_selector('#transcript li[data-key="t-late"]', timeout=20000)

    # And a note saved from the panel is stored once and shown as saved
    page.fill("#note-text", "Call the customer back <tomorrow>")
    page.click("#save-note")
    page.wait_for_selector("#notes li.saved", timeout=20000)
    assert page.inner_text("#notes li.saved") == "Call the customer back <tomorrow>"
    deadline = time.monotonic() + 5
    notes: list[Any] = []
    while time.monotonic() < deadline and not notes:
        item = (
            stack.client("dynamodb")
            .get_item(
                TableName=stack.template.physical["ContactsTable"].ref,
                Key={"contactId": {"S": notes_key(contact_id)}},
            )
            .get("Item", {})
        )
        notes = [value["M"] for name, value in item.items() if name.startswith("note:")]
    assert len(notes) == 1
