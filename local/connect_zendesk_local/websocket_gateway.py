"""API Gateway's part for the agent panel's WebSocket API, on loopback: a real WebSocket server.

Read from template.yaml: the WEBSOCKET API, its stage, its routes and their Lambda integrations, the
$connect REQUEST authorizer and its identity sources. A client connects to ws://127.0.0.1:<port>/<stage>;
the gateway runs the authorizer (a Deny or an error refuses the handshake with 401/403), then $connect
(a non-2xx answer refuses it), routes every text message by the route selection expression
(`$request.body.action`, else `$default`), and runs $disconnect when the socket closes. The
authorizer's context reaches every route in `requestContext.authorizer`, as in AWS.

The same port serves the @connections management API (POST/GET/DELETE /<stage>/@connections/<id>),
so `boto3.client("apigatewaymanagementapi", endpoint_url="http://127.0.0.1:<port>/<stage>")` posts
to a panel exactly as in AWS, and a closed connection answers 410 GoneException.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from connect_zendesk_local.cfn_template import Template

Invoke = Callable[[str, dict[str, Any]], Any]
_FUNCTION_IN_URI = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")


@dataclass
class SocketApiSpec:
    logical_id: str
    stage: str
    selection_key: str  # "action" for $request.body.action
    routes: dict[str, str]  # route key -> function logical id
    authorizer: str | None  # function logical id of the $connect authorizer
    identity_sources: list[str] = field(default_factory=list)


def _function_of(uri: Any) -> str | None:
    text = uri.get("Fn::Sub") if isinstance(uri, dict) else uri
    text = text[0] if isinstance(text, list) else text
    match = _FUNCTION_IN_URI.search(str(text))
    return match.group(1) if match else None


def _ref(value: Any) -> str:
    return str(value.get("Ref")) if isinstance(value, dict) else str(value)


def socket_api_from_template(template: Template) -> SocketApiSpec | None:
    """The template's WEBSOCKET API with its routes, integrations, authorizer and stage."""
    resources = template.resources
    apis = [
        logical_id
        for logical_id, body in template.resources_of_type("AWS::ApiGatewayV2::Api").items()
        if body.get("Properties", {}).get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        return None
    api = apis[0]
    props = resources[api]["Properties"]
    selection = str(props.get("RouteSelectionExpression", "$request.body.action"))
    integrations = {
        logical_id: _function_of(body["Properties"].get("IntegrationUri"))
        for logical_id, body in template.resources_of_type("AWS::ApiGatewayV2::Integration").items()
        if _ref(body["Properties"].get("ApiId")) == api
    }
    authorizers = {
        logical_id: body["Properties"]
        for logical_id, body in template.resources_of_type("AWS::ApiGatewayV2::Authorizer").items()
        if _ref(body["Properties"].get("ApiId")) == api
    }
    routes: dict[str, str] = {}
    authorizer: str | None = None
    identity: list[str] = []
    for body in template.resources_of_type("AWS::ApiGatewayV2::Route").values():
        route = body["Properties"]
        if _ref(route.get("ApiId")) != api:
            continue
        target = route.get("Target")
        target_text = target.get("Fn::Sub") if isinstance(target, dict) else target
        integration = re.sub(r"^integrations/\$\{([A-Za-z0-9]+)\}$", r"\1", str(target_text))
        function = integrations.get(integration)
        if function:
            routes[str(route["RouteKey"])] = function
        if route["RouteKey"] == "$connect" and route.get("AuthorizationType") == "CUSTOM":
            spec = authorizers[_ref(route["AuthorizerId"])]
            authorizer = _function_of(spec.get("AuthorizerUri"))
            identity = [str(source) for source in spec.get("IdentitySource", [])]
    stages = [
        str(body["Properties"]["StageName"])
        for body in template.resources_of_type("AWS::ApiGatewayV2::Stage").values()
        if _ref(body["Properties"].get("ApiId")) == api
    ]
    return SocketApiSpec(
        logical_id=api,
        stage=stages[0] if stages else "$default",
        selection_key=selection.rsplit(".", 1)[-1],
        routes=routes,
        authorizer=authorizer,
        identity_sources=identity,
    )


@dataclass
class _Connection:
    connection_id: str
    socket: web.WebSocketResponse
    authorizer: dict[str, Any]
    connected_at: int
    source_ip: str
    user_agent: str
    last_active: float = field(default_factory=time.time)


class WebSocketGateway:
    def __init__(
        self,
        spec: SocketApiSpec,
        invoke: Invoke,
        *,
        api_id: str = "localws0001",
        region: str = "us-east-1",
        account_id: str = "123456789012",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.spec = spec
        self._invoke = invoke
        self.api_id = api_id
        self._region = region
        self._account_id = account_id
        self._host = host
        self._port = port
        self._connections: dict[str, _Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0
        self.events: list[tuple[str, str]] = []  # (route key, connection id), for tests and the demo

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint(self) -> str:
        """What AWS calls the API's ApiEndpoint (wss://...), here ws://127.0.0.1:<port>."""
        return f"ws://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.endpoint}/{self.spec.stage}"

    @property
    def management_url(self) -> str:
        return f"http://{self._host}:{self.port}/{self.spec.stage}"

    def start(self) -> WebSocketGateway:
        self._thread = threading.Thread(target=self._serve, name="websocket-gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the WebSocket gateway did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def connection_ids(self) -> list[str]:
        return list(self._connections)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        app = web.Application()
        stage = re.escape(self.spec.stage)
        app.router.add_get(f"/{{stage:{stage}}}", self._handshake)
        app.router.add_route("*", f"/{{stage:{stage}}}/@connections/{{connection_id}}", self._management)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self._host, self._port)
        loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _shutdown(self) -> None:
        for connection in list(self._connections.values()):
            await connection.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ events
    def _request_context(
        self, route: str, event_type: str, connection_id: str, **extra: Any
    ) -> dict[str, Any]:
        now = time.time()
        return {
            "routeKey": route,
            "eventType": event_type,
            "messageDirection": "IN",
            "stage": self.spec.stage,
            "connectionId": connection_id,
            "requestId": uuid.uuid4().hex[:16],
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "domainName": f"{self._host}:{self.port}",
            "apiId": self.api_id,
            **extra,
        }

    async def _call(self, function: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._invoke, function, event)

    def _method_arn(self, route: str) -> str:
        return (
            f"arn:aws:execute-api:{self._region}:{self._account_id}:{self.api_id}/{self.spec.stage}/{route}"
        )

    async def _authorize(self, request: web.Request, event: dict[str, Any]) -> dict[str, Any] | web.Response:
        if self.spec.authorizer is None:
            return {}
        query = dict(request.query)
        for source in self.spec.identity_sources:  # a missing identity source is a 401 before any Lambda
            kind, _, name = source.removeprefix("route.request.").partition(".")
            present = query.get(name) if kind == "querystring" else request.headers.get(name)
            if not present:
                return web.Response(status=401, text="Unauthorized")
        answer = await self._call(
            self.spec.authorizer, {**event, "type": "REQUEST", "methodArn": self._method_arn("$connect")}
        )
        statements = (
            (answer or {}).get("policyDocument", {}).get("Statement", []) if isinstance(answer, dict) else []
        )
        allowed = any(
            s.get("Effect") == "Allow"
            and s.get("Resource") in (self._method_arn("$connect"), "*", self._method_arn("*"))
            for s in statements
        ) and not any(s.get("Effect") == "Deny" for s in statements)
        if not allowed:
            return web.Response(status=403, text="Forbidden")
        return {**(answer.get("context") or {}), "principalId": answer.get("principalId", "")}

    async def _handshake(self, request: web.Request) -> web.StreamResponse:
        connection_id = base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("=")
        source_ip = request.remote or "127.0.0.1"
        user_agent = request.headers.get("User-Agent", "")
        identity = {"sourceIp": source_ip, "userAgent": user_agent}
        connect_event: dict[str, Any] = {
            "headers": dict(request.headers),
            "multiValueHeaders": {k: request.headers.getall(k) for k in request.headers},
            "queryStringParameters": dict(request.query) or None,
            "requestContext": self._request_context("$connect", "CONNECT", connection_id, identity=identity),
            "isBase64Encoded": False,
        }
        authorizer = await self._authorize(request, connect_event)
        if isinstance(authorizer, web.Response):
            return authorizer
        connect_event["requestContext"]["authorizer"] = authorizer
        if "$connect" in self.spec.routes:
            answer = await self._call(self.spec.routes["$connect"], connect_event)
            status = int((answer or {}).get("statusCode", 200)) if isinstance(answer, dict) else 200
            if not 200 <= status < 300:
                return web.Response(status=403 if status in (401, 403) else 500, text="Forbidden")
        socket = web.WebSocketResponse(autoping=True, heartbeat=None)
        await socket.prepare(request)
        connection = _Connection(
            connection_id, socket, authorizer, int(time.time() * 1000), source_ip, user_agent
        )
        self._connections[connection_id] = connection
        self.events.append(("$connect", connection_id))
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    connection.last_active = time.time()
                    await self._route(connection, str(message.data))
        finally:
            self._connections.pop(connection_id, None)
            self.events.append(("$disconnect", connection_id))
            if "$disconnect" in self.spec.routes:
                event = {
                    "requestContext": self._request_context(
                        "$disconnect",
                        "DISCONNECT",
                        connection_id,
                        authorizer=authorizer,
                        identity=identity,
                        disconnectStatusCode=socket.close_code or 1005,
                        disconnectReason="",
                    ),
                    "isBase64Encoded": False,
                }
                await self._call(self.spec.routes["$disconnect"], event)
        return socket

    async def _route(self, connection: _Connection, text: str) -> None:
        route = "$default"
        try:
            body = json.loads(text)
            selected = body.get(self.spec.selection_key) if isinstance(body, dict) else None
            if isinstance(selected, str) and selected in self.spec.routes:
                route = selected
        except (ValueError, RecursionError):
            pass  # API Gateway routes a body it cannot read to $default; so does the emulator
        if route not in self.spec.routes:
            await connection.socket.send_str(
                json.dumps({"message": "Forbidden", "connectionId": connection.connection_id})
            )
            return
        self.events.append((route, connection.connection_id))
        event = {
            "requestContext": self._request_context(
                route,
                "MESSAGE",
                connection.connection_id,
                messageId=uuid.uuid4().hex[:16],
                authorizer=connection.authorizer,
                identity={"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                connectedAt=connection.connected_at,
            ),
            "body": text,
            "isBase64Encoded": False,
        }
        await self._call(self.spec.routes[route], event)

    # ------------------------------------------------------------------ @connections
    async def _management(self, request: web.Request) -> web.Response:
        connection = self._connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return web.json_response(
                {"message": "Gone"}, status=410, headers={"x-amzn-ErrorType": "GoneException"}
            )
        if request.method == "POST":
            data = await request.read()
            if len(data) > 128 * 1024:
                return web.json_response(
                    {"message": "Payload too large"},
                    status=413,
                    headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
                )
            try:
                await connection.socket.send_str(data.decode("utf-8"))
            except UnicodeDecodeError:
                await connection.socket.send_bytes(data)
            return web.Response(status=200)
        if request.method == "GET":
            return web.json_response(
                {
                    "connectedAt": datetime.fromtimestamp(connection.connected_at / 1000, UTC).isoformat(),
                    "lastActiveAt": datetime.fromtimestamp(connection.last_active, UTC).isoformat(),
                    "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                }
            )
        if request.method == "DELETE":
            await connection.socket.close()
            return web.Response(status=204)
        return web.json_response({"message": "Method not allowed"}, status=405)
