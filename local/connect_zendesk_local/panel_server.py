"""`make panel`: the agent side panel against the local stack, with a scripted call to watch live.

    python -m connect_zendesk_local.panel_server [--port 8088] [--pace 1.0] [--delay 5] [--no-call]

Starts the local stack (moto, Zendesk emulator, the WebSocket gateway, the stream pollers), serves
panel/ on http://127.0.0.1:<port>/, and prints the panel's URL for a new contact, and the desk's
(/desk: the top bar on a Streams double that rings and answers that contact, beside the sidebar).
The page runs in its development mode: it gets its token from /dev/panel-token, which signs the
request as Zendesk's proxy would (HS256 with the stack's app shared secret) and calls the real
panel_token function.
After --delay seconds the scripted call plays: Contact Lens records go onto the Kinesis stream at a
speaking pace (--pace scales it) and flow through transcription_consumer and sentiment to the page.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from connect_zendesk.realtime.signed_tokens import CONTACT_ID

from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_agents import answer_call
from connect_zendesk_local.contact_lens_events import call_records
from connect_zendesk_local.panel_client import contact_has_agent, put_records
from connect_zendesk_local.stack import LocalStack, function_output_to
from connect_zendesk_local.zendesk_app import signed_token_request

PANEL_DIR = PROJECT_ROOT / "panel"
DESK_DIR = Path(__file__).resolve().parent / "desk"  # the ZAF and Streams doubles, shared with the e2e test


def panel_app(stack: LocalStack, panel_dir: Path = PANEL_DIR) -> web.Application:
    def issue(contact_id: str) -> dict[str, Any]:
        # Tokens go only to the agent on the contact: the sample agent answers first, as on a real call
        # (CONNECTED_TO_AGENT through agent_connected), unless someone already did.
        if CONTACT_ID.fullmatch(contact_id) and not contact_has_agent(stack, contact_id):
            answer_call(stack, contact_id)
        answer: dict[str, Any] = stack.invoke(
            "panel_token", signed_token_request(stack.template, stack.client, contact_id)
        )
        return answer

    async def token(request: web.Request) -> web.Response:
        contact_id = request.query.get("contactId", "")
        answer = await asyncio.get_running_loop().run_in_executor(None, issue, contact_id)
        return web.Response(
            status=int(answer["statusCode"]), text=answer["body"], content_type="application/json"
        )

    async def index(request: web.Request) -> web.Response:
        raise web.HTTPFound("/assets/iframe.html?dev=1&contactId=" + request.query.get("contactId", ""))

    async def desk(request: web.Request) -> web.StreamResponse:
        """The agent's desk: the top bar (on the Streams double) and the sidebar during the call."""
        if "local" not in request.query:
            raise web.HTTPFound("/desk/?local=1&contactId=" + request.query.get("contactId", ""))
        return web.FileResponse(DESK_DIR / "host.html")

    async def desk_assets(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "vendor/connect-streams.js":
            return web.FileResponse(DESK_DIR / "streams.js")  # the Streams double drives the call
        assets = (panel_dir / "assets").resolve()
        file = (assets / name).resolve()
        if assets not in file.parents or not file.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(file)

    app = web.Application()
    app.router.add_get("/dev/panel-token", token)
    app.router.add_get("/", index)
    app.router.add_get("/desk", desk)
    app.router.add_get("/desk/", desk)
    app.router.add_get("/desk/assets/{name:.+}", desk_assets)
    for double in ("hub.js", "host.js", "zaf_client.js"):
        app.router.add_get(f"/desk/{double}", _file(DESK_DIR / double))
    app.router.add_static("/assets/", panel_dir / "assets")
    app.router.add_static("/translations/", panel_dir / "translations")
    return app


def _file(path: Path) -> Any:
    async def serve(_: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    return serve


class PanelServer:
    """Serves the panel from a background thread (the e2e test and the bench use it too)."""

    def __init__(self, stack: LocalStack, port: int = 0, host: str = "127.0.0.1") -> None:
        self._stack = stack
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="panel-server", daemon=True)
        self.port = 0

    def start(self) -> PanelServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the panel server did not start")
        return self

    def url(self, contact_id: str) -> str:
        return f"http://{self._host}:{self.port}/assets/iframe.html?dev=1&contactId={contact_id}"

    def desk_url(self, contact_id: str) -> str:
        return f"http://{self._host}:{self.port}/desk/?local=1&contactId={contact_id}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(panel_app(self._stack), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self._host, self._port)
        self._loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        self._ready.set()
        self._loop.run_forever()


def play_call(stack: LocalStack, contact_id: str, pace: float = 1.0) -> None:
    """The scripted call at a speaking pace: partials 0.6 s apart, a turn's final 0.9 s after."""
    for record in call_records(contact_id):
        segments = record.get("Segments") or [{}]
        put_records(stack, [record])
        time.sleep((0.9 if "Transcript" in segments[0] else 0.6) * pace)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server as Ctrl-C does, cleaning up the stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8088, help="port of the panel page (default 8088)")
    parser.add_argument("--pace", type=float, default=1.0, help="speaking pace: 2 is twice as slow")
    parser.add_argument("--delay", type=float, default=5.0, help="seconds before the call starts")
    parser.add_argument("--no-call", action="store_true", help="serve the panel without playing a call")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    function_log = (
        io.StringIO() if args.no_call else (PROJECT_ROOT / ".local-stack" / "panel-function-logs.jsonl")
    )
    log: Any = function_log
    if isinstance(function_log, Path):
        function_log.parent.mkdir(exist_ok=True)
        log = function_log.open("w", encoding="utf-8")
    with LocalStack() as stack, function_output_to(log):
        server = PanelServer(stack, port=args.port).start()
        contact_id = str(uuid.uuid4())
        print(
            f"Agent side panel for contact {contact_id}:\n\n    {server.url(contact_id)}\n\n"
            "The top bar and the sidebar together (Streams and ZAF doubles; the top bar rings, answers):"
            f"\n\n    {server.desk_url(contact_id)}\n",
            file=sys.stderr,
        )
        print(
            f"WebSocket gateway {stack.gateway.url if stack.gateway else '-'}; Ctrl-C stops.", file=sys.stderr
        )
        try:
            if not args.no_call:
                print(f"The call starts in {args.delay:.0f} s ...", file=sys.stderr)
                time.sleep(args.delay)
                play_call(stack, contact_id, args.pace)
                print("The call has ended; the panel keeps its transcript. Ctrl-C stops.", file=sys.stderr)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    print(json.dumps({"stopped": True}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
