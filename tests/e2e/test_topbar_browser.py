"""The Zendesk app's top bar (the Amazon Connect softphone) in headless Chromium.

The app's real files (panel/assets, built by `make app` from panel/src) run in a host page standing
in for the Zendesk agent workspace, with two iframes as Zendesk would load them: the top bar and the
ticket sidebar. Zendesk's ZAF SDK and the amazon-connect-streams bundle are replaced, through
playwright route interception, by test doubles of the part of their API the app uses
(local/connect_zendesk_local/desk/, which `make panel` serves too); the sidebar's WebSocket is
answered by playwright. Driven: an incoming call pops the ticket or the user; the sidebar receives
its contact and opens its socket at once; a number clicked in Zendesk is dialled in E.164 and linked
to the ticket; recording pauses and resumes; a reload mid-call finds the call again.

Chromium is Debian's package; playwright never downloads a browser. Without /usr/bin/chromium, node
or npm the test is skipped with a message.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "panel"
ASSETS = PANEL / "assets"
DOUBLES = ROOT / "local" / "connect_zendesk_local" / "desk"
IMAGES = ROOT / "docs" / "images"
PHONE_TABLE = ROOT / "tests" / "data" / "phone_numbers.json"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HOST = "https://zendesk.test"
ZAF_SDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
WAIT_MS = 15000

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
    ),
    pytest.mark.skipif(shutil.which("npm") is None, reason="node and npm build the app (make app)"),
]

SETTINGS = {
    "tokenEndpoint": "https://api.test/panel-token",
    "shared_secret": "never-in-the-browser",
    "contactIdField": 360001,
    "ccpUrl": "https://example.my.connect.aws/ccp-v2/",
    "connectRegion": "us-west-2",
    "ssoLoginUrl": "https://idp.example.com/sso/connect",
    "serverSidePop": False,
    "defaultPhoneRegion": "US",
}
TOKEN = {"token": "panel-token", "websocketUrl": "wss://ws.test/live"}


@pytest.fixture(scope="module")
def built_app() -> Path:
    """`make app`: node_modules from the lock file, then the bundles into panel/assets/."""
    make = shutil.which("make")
    assert make, "make builds the app"
    subprocess.run([make, "--no-print-directory", "app"], cwd=ROOT, check=True, capture_output=True)
    assert (ASSETS / "topbar.js").is_file()
    assert (ASSETS / "vendor" / "connect-streams.js").is_file()
    return ASSETS


class Workspace:
    """The host page, its two app frames and the hub the doubles report to."""

    def __init__(self, page: Any, sockets: list[dict[str, Any]]) -> None:
        self.page = page
        self.sockets = sockets

    def open(self, settings: dict[str, Any] | None = None, sidebar: bool = True, ticket_id: int = 42) -> None:
        self.page.goto(f"{HOST}/host.html")
        self.page.wait_for_function("window.__hub !== undefined && window.__start !== undefined")
        merged = {**SETTINGS, **(settings or {})}
        self.page.evaluate(
            """([settings, ticketId, token, sidebar]) => {
                const hub = window.__hub;
                hub.settings = settings;
                hub.data["topbar-guid"] = {"currentUser.id": 9001, "currentUser.locale": "en-US"};
                hub.data["sidebar-guid"] = {"currentUser.id": 9001, "currentUser.locale": "en-US",
                    "ticket.id": ticketId, "ticket.customField:custom_field_360001": ""};
                hub.responses["/panel-token"] = [{status: 200, body: token}];
                hub.responses["/outbound-link"] = [{status: 200, body: {linked: true}}];
                window.__start(sidebar);
            }""",
            [merged, ticket_id, TOKEN, sidebar],
        )
        self.wait("window.__hub.ccp.length >= 1 && window.__hub.streams !== null")
        self.topbar.locator('#status[data-status="ready"]').wait_for(timeout=WAIT_MS)

    @property
    def topbar(self) -> Any:
        return self.page.frame_locator("#topbar")

    @property
    def sidebar(self) -> Any:
        return self.page.frame_locator("#sidebar")

    def hub(self, expression: str) -> Any:
        return self.page.evaluate(f"() => window.__hub.clone({expression})")

    def wait(self, condition: str) -> None:
        self.page.wait_for_function(
            f"() => {{ try {{ return Boolean({condition}); }} catch (e) {{ return false; }} }}",
            timeout=WAIT_MS,
        )

    def streams(self, call: str) -> None:
        self.page.evaluate(f"() => window.__hub.streams.{call}")

    def invocations(self, name: str) -> list[list[Any]]:
        return [item["args"] for item in self.hub("window.__hub.invocations") if item["name"] == name]

    def requests(self, suffix: str) -> list[dict[str, Any]]:
        return [item for item in self.hub("window.__hub.requests") if item["url"].endswith(suffix)]

    def screenshot(self, name: str) -> None:
        """The README's screenshots: written when missing or with UPDATE_SCREENSHOTS=1 (PNG bytes vary
        from run to run, so a plain test run leaves the committed ones alone)."""
        image = self.page.screenshot()
        assert image.startswith(b"\x89PNG")
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not (IMAGES / name).exists():
            IMAGES.mkdir(parents=True, exist_ok=True)
            (IMAGES / name).write_bytes(image)


def _serve(route: Any) -> None:
    url = route.request.url.split("?", 1)[0]
    path = url[len(HOST) :]
    if path in {"/host.html", "/hub.js", "/host.js"}:
        file = DOUBLES / path.lstrip("/")
    elif path == "/assets/vendor/connect-streams.js":
        file = DOUBLES / "streams.js"  # the Streams double in place of the bundled library
    elif path.startswith("/assets/"):
        file = (ASSETS / path[len("/assets/") :]).resolve()
        if ASSETS.resolve() not in file.parents:
            route.fulfill(status=404, body="")
            return
    else:
        route.fulfill(status=404, body="")
        return
    if not file.is_file():
        route.fulfill(status=404, body="")
        return
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    route.fulfill(status=200, body=file.read_bytes(), headers={"content-type": kind})


@pytest.fixture
def workspace(built_app: Path) -> Iterator[Workspace]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    sockets: list[dict[str, Any]] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 700}, ignore_https_errors=True)
            page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
            page.route(f"{HOST}/**", _serve)
            page.route(
                ZAF_SDK,
                lambda route: route.fulfill(
                    status=200,
                    body=(DOUBLES / "zaf_client.js").read_bytes(),
                    headers={"content-type": "text/javascript"},
                ),
            )

            def socket(ws: Any) -> None:
                record: dict[str, Any] = {"url": ws.url, "received": []}
                sockets.append(record)

                def message(text: str | bytes) -> None:
                    record["received"].append(text)
                    contact = ws.url.split("contactId=", 1)[1].split("&", 1)[0]
                    if json.loads(text).get("action") == "sync":
                        ws.send(json.dumps({"contactId": contact, "messages": [SEGMENT]}))

                ws.on_message(message)

            page.route_web_socket("wss://ws.test/**", socket)
            yield Workspace(page, sockets)
        finally:
            browser.close()


SEGMENT = {
    "type": "segment",
    "segmentId": "s-1",
    "speaker": "CUSTOMER",
    "text": "My printer shows offline since this morning.",
    "beginOffsetMs": 1200,
    "sentiment": "NEGATIVE",
}
INJECTED = '<img src=x onerror="window.__pwned=1">Jane'


def test_an_incoming_call_pops_its_ticket_and_the_sidebar_opens_on_the_contact_at_once(
    workspace: Workspace,
) -> None:
    workspace.open()
    # The CCP is embedded with the app's settings: CCP URL, region, the SSO login URL, framed softphone
    ccp = workspace.hub("window.__hub.ccp")[0]
    assert ccp["ccpUrl"] == SETTINGS["ccpUrl"]
    assert ccp["region"] == "us-west-2"
    assert ccp["loginUrl"] == SETTINGS["ssoLoginUrl"]
    assert ccp["softphone"]["allowFramedSoftphone"] is True

    # When a call rings with the attributes the flows set
    workspace.streams(
        'ring("c-inbound-1", {zendeskTicketId: "42", zendeskUserId: "7001", customerName: '
        + json.dumps(INJECTED)
        + "})"
    )
    # Then the top bar opens, shows the caller (as text) and, the server-side pop being off, opens ticket 42
    workspace.topbar.locator('#status[data-status="incoming"]').wait_for(timeout=WAIT_MS)
    assert ["show"] in workspace.invocations("popover")
    assert workspace.invocations("routeTo") == [["ticket", "42"]]
    assert workspace.topbar.locator("#caller").inner_text() == INJECTED
    assert workspace.page.evaluate("() => document.getElementById('topbar').contentWindow.__pwned") is None

    # And when the agent answers, the sidebar of ticket 42 gets the contact and opens its socket at once
    workspace.streams('answer("c-inbound-1")')
    workspace.topbar.locator('#status[data-status="onCall"]').wait_for(timeout=WAIT_MS)
    workspace.sidebar.locator('#connection[data-state="open"]').wait_for(timeout=WAIT_MS)
    told = [t for t in workspace.hub("window.__hub.triggers") if t["name"] == "connect-zendesk.contact"]
    assert told[-1] == {
        "from": "topbar-guid",
        "to": "sidebar-guid",
        "name": "connect-zendesk.contact",
        "data": {"contactId": "c-inbound-1", "ticketId": "42", "userId": "7001"},
    }
    token_requests = workspace.requests("/panel-token")
    assert token_requests[-1]["body"] == {"contactId": "c-inbound-1"}
    assert token_requests[-1]["secure"] is True
    assert workspace.sockets[-1]["url"].startswith(
        "wss://ws.test/live?contactId=c-inbound-1&token=panel-token"
    )
    workspace.sidebar.locator('#transcript li[data-key="s-1"]').wait_for(timeout=WAIT_MS)
    assert workspace.sidebar.locator("#call-status").inner_text() == ""


@pytest.mark.parametrize(
    ("attributes", "settings", "routed"),
    [
        ({"offeredTicketId": "77", "zendeskUserId": "7001"}, {}, [["ticket", "77"]]),
        ({"zendeskUserId": "7001"}, {}, [["user", "7001"]]),
        ({"zendeskTicketId": "42; drop", "zendeskUserId": "x7"}, {}, []),
        ({"zendeskTicketId": "42", "zendeskUserId": "7001"}, {"serverSidePop": True}, []),
    ],
    ids=["offered-ticket", "user-without-ticket", "junk-ids-ignored", "server-side-pop-on"],
)
def test_the_pop_opens_the_ticket_else_the_user_and_only_when_the_stack_does_not(
    workspace: Workspace, attributes: dict[str, str], settings: dict[str, Any], routed: list[list[str]]
) -> None:
    workspace.open(settings=settings, sidebar=False)
    workspace.streams(f'ring("c-pop", {json.dumps(attributes)})')
    workspace.topbar.locator('#status[data-status="incoming"]').wait_for(timeout=WAIT_MS)
    workspace.wait("window.__hub.invocations.some(i => i.name === 'popover')")
    assert workspace.invocations("routeTo") == routed


def test_a_number_clicked_on_a_ticket_is_dialled_in_e164_and_linked_to_that_ticket(
    workspace: Workspace,
) -> None:
    workspace.open(ticket_id=77)
    # The sidebar of ticket 77 told the top bar it is on screen
    workspace.wait(
        "window.__hub.triggers.some(t => t.name === 'connect-zendesk.hello' && t.data.ticketId === '77')"
    )

    # When the agent clicks junk, nothing is dialled and the top bar says why
    workspace.page.evaluate(
        "() => window.__hub.fire('topbar-guid', 'voice.dialout', {number: '1-800-FLOWERS'})"
    )
    workspace.topbar.locator("#error:not([hidden])").wait_for(timeout=WAIT_MS)
    assert "1-800-FLOWERS" in workspace.topbar.locator("#error").inner_text()
    assert workspace.hub("window.__hub.dials") == []

    # When the agent clicks a national number on the ticket (Zendesk fires voice.dialout)
    workspace.page.evaluate(
        "() => window.__hub.fire('topbar-guid', 'voice.dialout', {number: '(415) 555-2671'})"
    )
    # Then the CCP dials it in E.164 and the outbound contact is linked to ticket 77, signed by Zendesk
    workspace.wait("window.__hub.requests.some(r => r.url.endsWith('/outbound-link'))")
    assert workspace.hub("window.__hub.dials") == [{"type": "phone_number", "phoneNumber": "+14155552671"}]
    link = workspace.requests("/outbound-link")[-1]
    assert link["url"] == "https://api.test/outbound-link"
    assert link["body"] == {"contactId": "outbound-1", "ticketId": "77"}
    assert link["secure"] is True
    assert link["authorization"] == "Bearer {{jwt.token}}"
    assert link["jwt"]["secret_key"] == "{{setting.shared_secret}}"
    assert link["jwt"]["claims"]["sub"] == "9001"
    assert link["jwt"]["claims"]["contact_id"] == "outbound-1"
    assert workspace.topbar.locator("#error").is_hidden()
    assert "never-in-the-browser" not in json.dumps(workspace.hub("window.__hub.requests"))

    # And when the stack refuses the link, the agent is told
    workspace.page.evaluate("() => { window.__hub.responses['/outbound-link'] = [{status: 403, body: {}}]; }")
    workspace.page.evaluate(
        "() => window.__hub.fire('topbar-guid', 'voice.dialout', {number: '+44 20 7946 0958'})"
    )
    workspace.topbar.locator("#error:not([hidden])").wait_for(timeout=WAIT_MS)
    assert workspace.hub("window.__hub.dials")[-1]["phoneNumber"] == "+442079460958"
    assert "403" in workspace.topbar.locator("#error").inner_text()


def test_recording_pauses_and_resumes_and_the_button_follows_the_answer(workspace: Workspace) -> None:
    workspace.open(sidebar=False)
    button = workspace.topbar.locator("#recording")
    assert button.is_disabled()  # no call, nothing to pause
    workspace.streams('ring("c-rec", {zendeskTicketId: "42"})')
    workspace.streams('answer("c-rec")')
    workspace.topbar.locator('#status[data-status="onCall"]').wait_for(timeout=WAIT_MS)
    assert button.get_attribute("aria-pressed") == "false"

    # When the stack refuses (403), the button stays as it was and the error is shown
    workspace.page.evaluate(
        """() => { window.__hub.responses['/recording'] = [
            {status: 403, body: {}},
            {status: 200, body: {recording: 'suspended'}},
            {status: 200, body: {recording: 'active'}}]; }"""
    )
    button.click()
    workspace.topbar.locator("#error:not([hidden])").wait_for(timeout=WAIT_MS)
    assert "403" in workspace.topbar.locator("#error").inner_text()
    workspace.topbar.locator('#recording[data-recording="on"]:not([disabled])').wait_for(timeout=WAIT_MS)

    # When the agent pauses, the stack is asked to suspend and the button turns to "Resume"
    button.click()
    workspace.topbar.locator('#recording[data-recording="paused"]:not([disabled])').wait_for(timeout=WAIT_MS)
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text() == "Resume recording"
    assert workspace.topbar.locator("#recording-state").inner_text() == "Recording paused"
    assert workspace.topbar.locator("#error").is_hidden()
    workspace.screenshot("topbar-recording-paused.png")

    # And resuming asks to resume
    button.click()
    workspace.topbar.locator('#recording[data-recording="on"]:not([disabled])').wait_for(timeout=WAIT_MS)
    bodies = [r["body"] for r in workspace.requests("/recording")]
    assert bodies == [
        {"contactId": "c-rec", "action": "suspend"},
        {"contactId": "c-rec", "action": "suspend"},
        {"contactId": "c-rec", "action": "resume"},
    ]
    assert all(
        r["url"] == "https://api.test/recording" and r["secure"] for r in workspace.requests("/recording")
    )


def test_a_reload_mid_call_finds_the_call_again_and_tells_the_sidebar_again(workspace: Workspace) -> None:
    workspace.open()
    workspace.streams('ring("c-reload", {zendeskTicketId: "42", customerName: "Jane Customer"})')
    workspace.streams('answer("c-reload")')
    workspace.sidebar.locator('#transcript li[data-key="s-1"]').wait_for(timeout=WAIT_MS)
    workspace.screenshot("topbar-call-and-sidebar.png")
    told_before = workspace.hub(
        "window.__hub.triggers.filter(t => t.name === 'connect-zendesk.contact').length"
    )

    # When the top bar page reloads during the call (the CCP keeps the call)
    workspace.page.evaluate(
        """() => { window.__hub.streams = null;
            document.getElementById('topbar').contentWindow.location.reload(); }"""
    )
    workspace.wait("window.__hub.streams !== null && window.__hub.ccp.length >= 2")

    # Then the call is found through agent.getContacts(): on call, the caller shown, recording controls live
    workspace.topbar.locator('#status[data-status="onCall"]').wait_for(timeout=WAIT_MS)
    assert workspace.topbar.locator("#caller").inner_text() == "Jane Customer"
    assert workspace.topbar.locator("#recording").is_enabled()
    # And the sidebar is told again, without a second pop
    workspace.wait(
        f"window.__hub.triggers.filter(t => t.name === 'connect-zendesk.contact').length > {told_before}"
    )
    assert workspace.invocations("routeTo") == [["ticket", "42"]]

    # And the call still ends normally
    workspace.streams('hangUp("c-reload")')
    workspace.topbar.locator('#status[data-status="ended"]').wait_for(timeout=WAIT_MS)
    assert workspace.topbar.locator("#recording").is_disabled()


def test_the_top_bar_normalises_numbers_exactly_as_caller_lookup_does(workspace: Workspace) -> None:
    cases = json.loads(PHONE_TABLE.read_text(encoding="utf-8"))["cases"]
    workspace.open(sidebar=False)
    answers = workspace.page.evaluate(
        """(cases) => {
            const normalise = document.getElementById('topbar').contentWindow.connectZendeskTopBar.normalise;
            return cases.map(c => normalise(c.raw, c.defaultRegion)); }""",
        cases,
    )
    mismatches = [
        (case["raw"], case.get("e164") or case.get("reason"), answer)
        for case, answer in zip(cases, answers, strict=True)
        if (answer.get("e164"), answer.get("region") if case["e164"] else answer.get("reason"))
        != (case["e164"], case.get("region") if case["e164"] else case["reason"])
    ]
    assert mismatches == []


def test_make_panel_shows_the_top_bar_and_the_sidebar_together_during_a_simulated_call(
    built_app: Path, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from connect_zendesk_local.contact_lens_events import call_records
    from connect_zendesk_local.panel_client import put_records
    from connect_zendesk_local.panel_server import PanelServer
    from connect_zendesk_local.stack import LocalStack, function_output_to

    contact_id = str(uuid.uuid4())
    with (
        (tmp_path / "functions.log").open("w") as log,
        function_output_to(log),
        LocalStack() as stack,
        sync_api.sync_playwright() as playwright,
    ):
        server = PanelServer(stack).start()
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 700})
            # Given the desk of `make panel` (the Streams double rings, then answers the contact)
            page.goto(server.desk_url(contact_id))
            topbar = page.frame_locator("#topbar")
            sidebar = page.frame_locator("#sidebar")
            topbar.locator('#status[data-status="onCall"]').wait_for(timeout=20000)
            # Then the sidebar got the contact from the top bar and its token from the real panel_token
            sidebar.locator('#connection[data-state="open"]').wait_for(timeout=20000)
            # And the scripted call the local stack plays shows in the sidebar beside the top bar
            assert stack.event_sources is not None
            put_records(stack, list(call_records(contact_id)))
            stack.event_sources.drain()
            sidebar.locator('#call-status[data-status="COMPLETED"]').wait_for(timeout=20000)
            assert "How can I help you today?" in sidebar.locator("#transcript").inner_text()
            assert topbar.locator("#caller").inner_text() == "Jane Customer"
        finally:
            browser.close()
            server.stop()
