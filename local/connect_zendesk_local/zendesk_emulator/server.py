"""The HTTP side: a ThreadingHTTPServer in a daemon thread, API-token auth, faults, the request log,
and the ``/__emulator/*`` control endpoints."""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from connect_zendesk_local.zendesk_emulator import api
from connect_zendesk_local.zendesk_emulator.api import ApiRequest, ApiResponse, json_response
from connect_zendesk_local.zendesk_emulator.dataset import load_demo_dataset
from connect_zendesk_local.zendesk_emulator.errors import invalid_endpoint, unauthenticated
from connect_zendesk_local.zendesk_emulator.faults import (
    RATE_LIMIT_TEXT,
    FaultConfig,
    FaultDecision,
    FaultState,
    server_error_body,
    truncate_json,
)
from connect_zendesk_local.zendesk_emulator.late_writes import LateWriteConfig, LateWrites
from connect_zendesk_local.zendesk_emulator.store import ZendeskStore

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/__emulator/"
API_PREFIX = "/api/v2/"
ATTACHMENT_CONTENT_PREFIX = "/attachments/token/"
RATE_LIMIT_PER_MINUTE = 700
SHUTDOWN_POLL_SECONDS = 0.01  # how soon stop() is noticed by the serve loop
DEFAULT_EMAIL = "agent@example.com"
DEFAULT_API_TOKEN = "local-demo-token"


@dataclass
class RecordedRequest:
    """One request the emulator received (control endpoints are not recorded).

    ``status`` is None while a request is in flight and for requests answered by dropping the
    connection (hang). ``body`` is the request body when it is UTF-8 text (uploads of binary data: None).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None
    started: float
    ended: float | None = None
    fault: str | None = None
    body: str | None = None

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else self.ended - self.started

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": self.duration}


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def start(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> RecordedRequest:
        entry = RecordedRequest(method, path, query, status=None, started=time.monotonic(), body=_text(body))
        with self._lock:
            self._entries.append(entry)
        return entry

    def finish(self, entry: RecordedRequest, status: int | None) -> None:
        with self._lock:
            entry.status = status
            entry.ended = time.monotonic()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return copy.deepcopy(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ZendeskEmulator:
    """A Zendesk Support API emulator on loopback; see the package docstring for the endpoints."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        dataset: dict[str, Any] | None = None,
        faults: FaultConfig | None = None,
        email: str = DEFAULT_EMAIL,
        api_token: str = DEFAULT_API_TOKEN,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._dataset = dataset if dataset is not None else load_demo_dataset()
        self._email = email
        self._api_token = api_token
        self._fault_state = FaultState(faults or FaultConfig())
        self._log = RequestLog()
        self._store = ZendeskStore(self._dataset, api_email=email)
        self._stopping = threading.Event()
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._late_writes = LateWrites()
        self._rate_window = (0, 0)  # (minute, requests in it)
        self._rate_lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the Zendesk emulator is already running")
        self._stopping.clear()
        server = _EmulatorHTTPServer((self.host, self._requested_port), _Handler)
        server.emulator = self
        self._server = server
        self._store.renderer.base_url = self.url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name=f"zendesk-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("zendesk emulator listening on %s", self.url)

    def stop(self) -> None:
        """Stop serving; requests that hang or sleep are released and their connections dropped."""
        self._stopping.set()
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> ZendeskEmulator:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- addresses
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Zendesk emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def netloc(self) -> str:
        """``host:port``, the value zenpy's ZENPY_FORCE_NETLOC takes."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"

    # ----------------------------------------------------------------- state
    @property
    def faults(self) -> FaultConfig:
        return self._fault_state.config

    @faults.setter
    def faults(self, config: FaultConfig) -> None:
        self._fault_state.config = config

    @property
    def store(self) -> ZendeskStore:
        """Read access for assertions: get_user, get_ticket, get_comments, get_upload, list_*..."""
        return self._store

    @property
    def email(self) -> str:
        return self._email

    @property
    def api_token(self) -> str:
        return self._api_token

    def reset(self, dataset: dict[str, Any] | None = None) -> None:
        """Reload ``dataset`` (default: the one given at construction) and clear the request log.

        Faults are left as they are.
        """
        self._store.reload(dataset if dataset is not None else self._dataset)
        self._late_writes.clear()
        self._log.clear()

    def requests_log(self) -> list[RecordedRequest]:
        return self._log.snapshot()

    def clear_requests_log(self) -> None:
        self._log.clear()

    # ----------------------------------------------------------------- late commits (late_writes.py)
    def arm_late_writes(self, config: LateWriteConfig) -> None:
        self._late_writes.arm(config)

    def clear_late_writes(self) -> None:
        """Disarm, and forget held writes without applying them."""
        self._late_writes.clear()

    def late_writes(self) -> dict[str, Any]:
        return self._late_writes.to_dict()

    def apply_late_writes(self) -> list[int | None]:
        """Apply every held write now, each at its own time (the emulator's clock moves forward to it);
        returns the status Zendesk answered each (to nobody): 200/201 applied, 409 refused, ..."""
        statuses: list[int | None] = []
        for late in self._late_writes.due():
            with self._store.lock:
                behind = (late.apply_at - self._store.moment()).total_seconds()
                self._store.advance_clock(behind)
                api.release_idempotency_key(self._store, late.request)
                late.request.actor_id = self._store.api_user_id
                late.status = api.dispatch(self._store, late.request).status
            self._late_writes.record_applied(late)
            statuses.append(late.status)
        return statuses

    # ----------------------------------------------------------------- serving (called by _Handler)
    def handle_api(self, request: ApiRequest) -> ApiResponse | None:
        """Answer one recorded request; None means "drop the connection without an answer"."""
        entry = self._log.start(request.method, request.path, dict(request.query), request.body)
        response: ApiResponse | None = None
        try:
            if self._authenticated(request.headers.get("authorization", "")):
                late = self._late_writes.take(request, self._store.moment())
                if late is not None:
                    entry.fault = "late_write"
                    with self._store.lock:
                        api.reserve_idempotency_key(self._store, request)
                    self._stopping.wait(late.hold_seconds)
                    return None  # the client hears nothing; the write is applied later
            decision = self._fault_state.decide(request.path)
            entry.fault = None if decision.mode == "none" else decision.mode
            response = self._answer(request, decision)
            return response
        finally:
            self._log.finish(entry, response.status if response is not None else None)

    def _answer(self, request: ApiRequest, decision: FaultDecision) -> ApiResponse | None:
        if decision.latency_seconds and self._stopping.wait(decision.latency_seconds):
            return None
        if decision.mode == "hang":
            self._stopping.wait(decision.hang_seconds)
            return None
        if decision.mode == "rate_limit":
            return self._rate_limited(decision.retry_after)
        if decision.mode == "server_error":
            return ApiResponse(decision.error_status, server_error_body(decision.error_status))
        response = self._route(request)
        if decision.mode == "malformed":
            status = response.status if response.status in (200, 201) else 200
            body = truncate_json(response.body)
            return replace(response, status=status, body=body, content_type=api.JSON_CONTENT_TYPE)
        return response

    def _route(self, request: ApiRequest) -> ApiResponse:
        if request.path.startswith(ATTACHMENT_CONTENT_PREFIX):
            with self._store.lock:
                return api.attachment_content(
                    self._store, request.path.removeprefix(ATTACHMENT_CONTENT_PREFIX).strip("/")
                )
        if not request.path.startswith(API_PREFIX):
            error = invalid_endpoint()
            return json_response(error.status, error.body)
        if not self._authenticated(request.headers.get("authorization", "")):
            error = unauthenticated()
            return json_response(error.status, error.body, {"WWW-Authenticate": 'Basic realm="Web Password"'})
        with self._store.lock:
            request.actor_id = self._store.api_user_id
            response = api.dispatch(self._store, request)
        response.headers.update(self._rate_headers())
        return response

    def _authenticated(self, header: str) -> bool:
        """HTTP Basic with ``{email}/token`` and the API token, as Zendesk API tokens work."""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # compare_digest takes str only when ASCII; bytes always work.
        user_ok = hmac.compare_digest(username.lower().encode(), f"{self._email}/token".lower().encode())
        token_ok = hmac.compare_digest(password.encode(), self._api_token.encode())
        return user_ok and token_ok

    def _rate_headers(self) -> dict[str, str]:
        minute = int(time.time() // 60)
        with self._rate_lock:
            current, used = self._rate_window
            used = used + 1 if current == minute else 1
            self._rate_window = (minute, used)
        remaining = max(0, RATE_LIMIT_PER_MINUTE - used)
        return {
            "x-rate-limit": str(RATE_LIMIT_PER_MINUTE),
            "x-rate-limit-remaining": str(remaining),
            "x-request-id": uuid.uuid4().hex[:16],
            "x-zendesk-api-version": "v2",
        }

    @staticmethod
    def _rate_limited(retry_after: int | None) -> ApiResponse:
        headers = {
            "x-rate-limit": str(RATE_LIMIT_PER_MINUTE),
            "x-rate-limit-remaining": "0",
            "ratelimit-limit": str(RATE_LIMIT_PER_MINUTE),
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(retry_after if retry_after is not None else 60),
        }
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return ApiResponse(429, RATE_LIMIT_TEXT.encode(), content_type="text/plain", headers=headers)

    # ----------------------------------------------------------------- control endpoints
    def handle_control(self, method: str, path: str, body: bytes) -> ApiResponse:
        actions: dict[tuple[str, str], Callable[[bytes], ApiResponse]] = {
            ("GET", "health"): lambda _body: json_response(200, self._health()),
            ("GET", "requests"): lambda _body: self._requests_json(),
            ("DELETE", "requests"): self._clear_requests,
            ("GET", "faults"): lambda _body: json_response(200, {"faults": self.faults.to_dict()}),
            ("POST", "faults"): self._set_faults,
            ("POST", "reset"): self._reset_from_control,
            ("GET", "late-writes"): lambda _body: json_response(200, self.late_writes()),
            ("POST", "late-writes"): self._arm_late_writes,
            ("DELETE", "late-writes"): self._clear_late_writes,
            ("POST", "late-writes/apply"): lambda _body: self._apply_late_writes_json(),
        }
        action = actions.get((method, path.removeprefix(CONTROL_PREFIX).rstrip("/")))
        if action is None:
            return json_response(
                404, {"error": "InvalidEndpoint", "description": f"No control endpoint {path}"}
            )
        return action(body)

    def _requests_json(self) -> ApiResponse:
        return json_response(200, {"requests": [entry.to_dict() for entry in self.requests_log()]})

    def _clear_requests(self, _body: bytes) -> ApiResponse:
        self.clear_requests_log()
        return json_response(200, {"requests": []})

    def _health(self) -> dict[str, Any]:
        with self._store.lock:
            counts = {"users": len(self._store.users), "tickets": len(self._store.tickets)}
        return {"status": "ok", "url": self.url, "faults": self.faults.to_dict(), **counts}

    def _set_faults(self, body: bytes) -> ApiResponse:
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object of FaultConfig fields")
            self.faults = FaultConfig.from_dict(data)
        except ValueError as exc:
            return json_response(400, {"error": "InvalidFaultConfig", "description": str(exc)})
        return json_response(200, {"faults": self.faults.to_dict()})

    def _arm_late_writes(self, body: bytes) -> ApiResponse:
        try:
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object of LateWriteConfig fields")
            self.arm_late_writes(LateWriteConfig.from_dict(data))
        except (ValueError, TypeError, re.error) as exc:
            return json_response(400, {"error": "InvalidLateWriteConfig", "description": str(exc)})
        return json_response(200, self.late_writes())

    def _clear_late_writes(self, _body: bytes) -> ApiResponse:
        self.clear_late_writes()
        return json_response(200, self.late_writes())

    def _apply_late_writes_json(self) -> ApiResponse:
        statuses = self.apply_late_writes()
        return json_response(200, {**self.late_writes(), "statuses": statuses})

    def _reset_from_control(self, body: bytes) -> ApiResponse:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return json_response(400, {"error": "BadRequest", "description": "body is not JSON"})
        dataset = data.get("dataset") if isinstance(data, dict) else None
        self.reset(dataset)
        return json_response(200, {**self._health(), "status": "reset"})


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    emulator: ZendeskEmulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Zendesk; requests' sessions reuse connections
    server_version = "ZendeskEmulator/1.0"
    # Headers and body are separate writes; without TCP_NODELAY each keep-alive answer stalls ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("zendesk emulator: " + format, *args)

    @property
    def emulator(self) -> ZendeskEmulator:
        return cast(_EmulatorHTTPServer, self.server).emulator

    def _serve(self) -> None:
        split = urlsplit(self.path)
        body = self._read_body()
        if split.path.startswith(CONTROL_PREFIX):
            self._send(self.emulator.handle_control(self.command, split.path, body))
            return
        request = ApiRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        response = self.emulator.handle_api(request)
        if response is None:
            self.close_connection = True
            return
        self._send(response)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Skip optional trailers up to the blank line that ends the body.
                while self.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _send(self, response: ApiResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout fired during injected latency); nothing left to tell it.
            self.close_connection = True


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8") if body else None
    except UnicodeDecodeError:
        return None
