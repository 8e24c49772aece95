"""The Connect emulator's HTTP server, route table, contact store and request log."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

CONTROL_PREFIX = "/__emulator/"
_TIMESTAMP_KEYS = re.compile(r"Timestamp$")


class ConnectApiError(Exception):
    """An error answer in Connect's REST-JSON shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class ConnectFaults:
    """Injected failures: the next `throttle_count` API requests answer ThrottlingException (429)."""

    throttle_count: int = 0


@dataclass
class RecordedRequest:
    method: str
    path: str
    operation: str
    params: dict[str, str]
    status: int
    error: str = ""
    at: float = field(default_factory=time.time)


Handler = Callable[["ConnectEmulator", Mapping[str, str], Any], dict[str, Any]]


def describe_contact(emulator: ConnectEmulator, params: Mapping[str, str], _body: Any) -> dict[str, Any]:
    instance_id, contact_id = params["InstanceId"], params["ContactId"]
    if not 1 <= len(instance_id) <= 100 or not 1 <= len(contact_id) <= 256:
        raise ConnectApiError(400, "InvalidParameterException", "1 validation error detected")
    contact = emulator.contact(instance_id, contact_id)
    if contact is None:
        raise ConnectApiError(404, "ResourceNotFoundException", "Contact not found")
    return {"Contact": contact}


# (method, path pattern with named URI parameters, operation name, handler)
ROUTES: tuple[tuple[str, re.Pattern[str], str, Handler], ...] = (
    (
        "GET",
        re.compile(r"^/contacts/(?P<InstanceId>[^/]+)/(?P<ContactId>[^/]+)$"),
        "DescribeContact",
        describe_contact,
    ),
)


class ConnectEmulator:
    def __init__(self, port: int = 0, faults: ConnectFaults | None = None) -> None:
        self._port = port
        self.faults = faults or ConnectFaults()
        self._lock = threading.Lock()
        self._contacts: dict[tuple[str, str], dict[str, Any]] = {}
        self._requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ConnectEmulator:
        emulator = self

        class _Handler(_RequestHandler):
            owner = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="connect-emulator", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ConnectEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def environment(self) -> dict[str, str]:
        """What a function process needs to reach it (botocore's per-service endpoint variable)."""
        return {"AWS_ENDPOINT_URL_CONNECT": self.url}

    # ------------------------------------------------------------------ state
    def put_contact(self, instance_id: str, contact: Mapping[str, Any]) -> None:
        """Seed (or replace) a contact, in DescribeContact's `Contact` shape; datetimes become epochs."""
        stored = _wire(dict(contact))
        with self._lock:
            self._contacts[(instance_id, str(stored["Id"]))] = stored

    def update_contact(self, instance_id: str, contact_id: str, **changes: Any) -> None:
        with self._lock:
            self._contacts[(instance_id, contact_id)].update(_wire(changes))

    def forget_contact(self, instance_id: str, contact_id: str) -> None:
        with self._lock:
            self._contacts.pop((instance_id, contact_id), None)

    def contact(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._contacts.get((instance_id, contact_id))
            return json.loads(json.dumps(found)) if found is not None else None

    def requests_log(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests_log(self) -> None:
        with self._lock:
            self._requests.clear()

    def reset(self) -> None:
        with self._lock:
            self._contacts.clear()
            self._requests.clear()
            self.faults = ConnectFaults()

    # ------------------------------------------------------------------ requests
    def handle_api(
        self, method: str, path: str, body: Any, authorization: str
    ) -> tuple[int, dict[str, Any], str]:
        """(status, JSON body, error code) for one API request, recorded in the log."""
        route = _route(method, path)
        if route is None:
            return self._record(method, path, error=ConnectApiError(404, "UnknownOperationException", path))
        operation, handler, params = route
        record = functools.partial(self._record, method, path, operation=operation, params=params)
        if not authorization.startswith("AWS4-HMAC-SHA256"):
            denied = ConnectApiError(403, "AccessDeniedException", "Missing Authentication Token")
            return record(error=denied)
        with self._lock:
            throttled = self.faults.throttle_count > 0
            if throttled:
                self.faults.throttle_count -= 1
        if throttled:
            return record(error=ConnectApiError(429, "ThrottlingException", "Rate exceeded"))
        try:
            answer = handler(self, params, body)
        except ConnectApiError as error:
            return record(error=error)
        return record(answer=answer)

    def _record(
        self,
        method: str,
        path: str,
        *,
        operation: str = "",
        params: dict[str, str] | None = None,
        error: ConnectApiError | None = None,
        answer: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any], str]:
        status = error.status if error else 200
        entry = RecordedRequest(method, path, operation, params or {}, status, error.code if error else "")
        with self._lock:
            self._requests.append(entry)
        if error is not None:
            return status, {"Message": error.message}, error.code
        return status, answer or {}, ""

    def handle_control(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        controls: dict[tuple[str, str], Callable[[Any], dict[str, Any]]] = {
            ("GET", "health"): lambda _b: {"status": "ok", "contacts": len(self._contacts)},
            ("GET", "requests"): lambda _b: {"requests": [asdict(e) for e in self.requests_log()]},
            ("DELETE", "requests"): self._clear_log,
            ("POST", "contacts"): self._seed,
            ("GET", "faults"): lambda _b: asdict(self.faults),
            ("POST", "faults"): self._set_faults,
            ("POST", "reset"): self._reset,
        }
        control = controls.get((method, path[len(CONTROL_PREFIX) :].strip("/")))
        if control is None:
            return 404, {"Message": f"no control endpoint {method} {path}"}
        return 200, control(body)

    def _clear_log(self, _body: Any) -> dict[str, Any]:
        self.clear_requests_log()
        return {"requests": []}

    def _reset(self, _body: Any) -> dict[str, Any]:
        self.reset()
        return {"status": "reset"}

    def _seed(self, body: Any) -> dict[str, Any]:
        self.put_contact(str(body["instanceId"]), body["contact"])
        return {"stored": body["contact"]["Id"]}

    def _set_faults(self, body: Any) -> dict[str, Any]:
        self.faults = ConnectFaults(throttle_count=int(body.get("throttle_count", 0)))
        return asdict(self.faults)


def _route(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
    for route_method, pattern, operation, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return operation, handler, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


class _RequestHandler(BaseHTTPRequestHandler):
    owner: ConnectEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        path = urlsplit(self.path).path
        headers: dict[str, str] = {}
        if path.startswith(CONTROL_PREFIX):
            status, answer = self.owner.handle_control(self.command, path, body)
        else:
            status, answer, code = self.owner.handle_api(
                self.command, path, body, self.headers.get("Authorization", "")
            )
            if code:
                headers["x-amzn-ErrorType"] = code
        data = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", f"local-{time.monotonic_ns()}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


def _wire(values: dict[str, Any]) -> dict[str, Any]:
    """Datetimes anywhere in a contact become epoch seconds (REST-JSON's default timestamp format)."""
    wired: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime):
            wired[key] = value.timestamp()
        elif isinstance(value, Mapping):
            wired[key] = _wire(dict(value))
        else:
            wired[key] = value
    return wired
