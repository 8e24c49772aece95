"""The local stack's part of the KVS audio path: Lambda's Invoke API and Kinesis Video Streams media.

moto implements neither asynchronous invocation of our handlers nor GetMedia, so two small HTTP
servers on loopback play them, speaking the real protocols to boto3:

- `LocalLambda` answers `POST /2015-03-31/functions/{name}/invocations`: InvocationType Event gets
  202 and runs the function's handler (loaded from template.yaml) in a background thread, as Lambda
  would; RequestResponse runs it and answers its result. Functions reach it through
  AWS_ENDPOINT_URL_LAMBDA.
- `LocalKvsMedia` answers `POST /getDataEndpoint` (its own address) and `POST /getMedia`, streaming
  the fragments of a registered stream from the requested fragment number on (inclusive), then
  closing the stream as GetMedia does when a call's audio ends. Functions reach it through
  AWS_ENDPOINT_URL_KINESIS_VIDEO.

The demo call's stream (speech by espeak-ng, muxed by ffmpeg into Connect's fragment layout) is
registered under DEMO_STREAM_ARN when first requested; without those tools GetMedia answers
ResourceNotFoundException and the transcriber logs it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.kvs_fixtures import (
    DEMO_SCRIPT,
    CallMedia,
    StreamFragment,
    build_call,
    missing_media_tools,
)

DEMO_STREAM_ARN = (
    "arn:aws:kinesisvideo:us-east-1:123456789012:stream/"
    "connect-zendesk-demo-contact-5ca32fbd-8f92-46af-92a5-6b0f970f0efe/1700000000000"
)
KVS_DIR = PROJECT_ROOT / ".local-stack" / "kvs"
_INVOCATIONS = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations")
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- HTTP plumbing
class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=handler.__name__, daemon=True)
    thread.start()
    return server, thread


class _JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the functions' own logs tell the story

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return json.loads(body) if body else {}

    def answer(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status: int, code: str, message: str) -> None:
        self.answer(status, {"__type": code, "message": message}, {"x-amzn-ErrorType": code})


# ---------------------------------------------------------------------------- Lambda
Dispatch = Callable[[str, Any], Any]


@dataclass
class AsyncRun:
    function: str
    event: Any
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    result: Any = None
    error: str = ""


class LocalLambda:
    """Lambda's Invoke API on loopback, running handlers through `dispatch(function name, event)`."""

    def __init__(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch
        self.runs: list[AsyncRun] = []
        self._lock = threading.Condition()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> LocalLambda:
        owner = self

        class Handler(_JsonHandler):
            def do_POST(self) -> None:
                match = _INVOCATIONS.match(self.path)
                if match is None:
                    self.error(404, "ResourceNotFoundException", f"no route {self.path}")
                    return
                # boto3 sends the name or ARN percent-encoded; a qualifier (":$LATEST") is ignored
                name = unquote(match.group(1)).rsplit(":function:", 1)[-1].split(":", 1)[0]
                try:
                    event = self.read_json()
                except ValueError:
                    self.error(400, "InvalidRequestContentException", "the payload is not JSON")
                    return
                kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                if kind == "Event":
                    owner.run_async(name, event)
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    result = owner._dispatch(name, event)
                except KeyError as exc:
                    self.error(404, "ResourceNotFoundException", str(exc))
                    return
                except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports a function error
                    self.answer(
                        200,
                        {"errorMessage": str(exc), "errorType": type(exc).__name__},
                        {"X-Amz-Function-Error": "Unhandled"},
                    )
                    return
                self.answer(200, result)

        self._server, _ = _serve(Handler)
        return self

    def run_async(self, name: str, event: Any) -> AsyncRun:
        run = AsyncRun(name, event)
        with self._lock:
            self.runs.append(run)

        def work() -> None:
            try:
                run.result = self._dispatch(name, event)
            except Exception as exc:  # noqa: BLE001 - an async failure is recorded, as Lambda logs it
                run.error = f"{type(exc).__name__}: {exc}"
                log.debug("async invocation failed: %s", traceback.format_exc())
            finally:
                with self._lock:
                    run.ended = time.monotonic()
                    self._lock.notify_all()

        threading.Thread(target=work, name=f"lambda-{name}", daemon=True).start()
        return run

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every asynchronous invocation (continuations included) has finished."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(run.ended is None for run in self.runs):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# ---------------------------------------------------------------------------- Kinesis Video Streams
class LocalKvsMedia:
    """GetDataEndpoint and GetMedia on loopback, serving registered streams of fragments."""

    def __init__(self, pace_seconds_per_fragment: float = 0.0) -> None:
        self.streams: dict[str, list[StreamFragment]] = {}
        self.builders: dict[str, Callable[[], list[StreamFragment] | None]] = {}
        self.requests: list[dict[str, Any]] = []
        self.pace = pace_seconds_per_fragment
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def add_stream(self, arn: str, fragments: list[StreamFragment]) -> None:
        with self._lock:
            self.streams[arn] = list(fragments)

    def add_lazy_stream(self, arn: str, build: Callable[[], list[StreamFragment] | None]) -> None:
        """A stream made on first request (None from `build`: the stream does not exist)."""
        with self._lock:
            self.builders[arn] = build

    def fragments(self, arn: str) -> list[StreamFragment] | None:
        with self._lock:
            if arn not in self.streams and arn in self.builders:
                built = self.builders.pop(arn)()
                if built is not None:
                    self.streams[arn] = built
            return self.streams.get(arn)

    def start(self) -> LocalKvsMedia:
        owner = self

        class Handler(_JsonHandler):
            def do_POST(self) -> None:
                try:
                    body = self.read_json()
                except ValueError:
                    self.error(400, "InvalidArgumentException", "the body is not JSON")
                    return
                owner.requests.append({"path": self.path, **body})
                arn = str(body.get("StreamARN", ""))
                if self.path == "/getDataEndpoint":
                    if owner.fragments(arn) is None:
                        self.error(404, "ResourceNotFoundException", f"stream {arn} not found")
                        return
                    self.answer(200, {"DataEndpoint": owner.url})
                elif self.path == "/getMedia":
                    self._get_media(arn, body.get("StartSelector") or {})
                else:
                    self.error(404, "InvalidArgumentException", f"no route {self.path}")

            def _get_media(self, arn: str, selector: Mapping[str, Any]) -> None:
                fragments = owner.fragments(arn)
                if fragments is None:
                    self.error(404, "ResourceNotFoundException", f"stream {arn} not found")
                    return
                start = str(selector.get("AfterFragmentNumber", ""))
                numbers = [fragment.number for fragment in fragments]
                if selector.get("StartSelectorType") != "FRAGMENT_NUMBER" or start not in numbers:
                    self.error(400, "InvalidArgumentException", f"fragment {start} not in stream")
                    return
                chosen = fragments[numbers.index(start) :]
                self.send_response(200)
                self.send_header("Content-Type", "video/webm")
                self.send_header("Content-Length", str(sum(len(f.data) for f in chosen)))
                self.end_headers()
                try:
                    for fragment in chosen:
                        self.wfile.write(fragment.data)
                        self.wfile.flush()
                        if owner.pace:
                            time.sleep(owner.pace)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the reader stopped at a seam: as GetMedia, nothing more to do

        self._server, _ = _serve(Handler)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# ---------------------------------------------------------------------------- both, for the stack
class LocalKvs:
    def __init__(self, dispatch: Dispatch, directory: Path = KVS_DIR) -> None:
        self.directory = directory
        self.lambda_api = LocalLambda(dispatch)
        self.media = LocalKvsMedia()
        self.demo: CallMedia | None = None

    def start(self) -> LocalKvs:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "demo-call.json").write_text(DEMO_SCRIPT.to_json(), encoding="utf-8")
        self.lambda_api.start()
        self.media.start()
        self.media.add_lazy_stream(DEMO_STREAM_ARN, self._demo_fragments)
        return self

    def _demo_fragments(self) -> list[StreamFragment] | None:
        missing = missing_media_tools()
        if missing:
            log.warning("the demo call's audio needs %s (Debian packages)", ", ".join(missing))
            return None
        self.demo = build_call(DEMO_SCRIPT)
        return list(self.demo.fragments)

    @property
    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_LAMBDA": self.lambda_api.url,
            "AWS_ENDPOINT_URL_KINESIS_VIDEO": self.media.url,
            "TRANSCRIBE_BACKEND": "scripted",
            "TRANSCRIBE_SCRIPT": str(self.directory / "demo-call.json"),
        }

    def stop(self) -> None:
        self.lambda_api.stop()
        self.media.stop()
