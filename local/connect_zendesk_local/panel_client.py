"""A panel's WebSocket client for the demo, tests and benchmarks: token, connection, messages.

It does what panel/assets/panel.js does: asks for a token (through the Zendesk-signed request the
app would make), connects to the gateway with `contactId` and `token`, sends `sync`, and collects
every message of every frame in a queue, with the time it arrived.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from connect_zendesk_local.connect_agents import answer_call
from connect_zendesk_local.zendesk_app import signed_token_request


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() when the frame arrived
    message: dict[str, Any]


def panel_grant(stack: Any, contact_id: str) -> dict[str, Any]:
    """A panel token for the contact, issued by the panel_token function to a Zendesk-signed request.

    Tokens go only to the agent on the contact: unless agent_connected already recorded one, the
    sample agent answers the call first (CONNECTED_TO_AGENT through the stack)."""
    if not contact_has_agent(stack, contact_id):
        answer_call(stack, contact_id)
    answer = stack.invoke("panel_token", signed_token_request(stack.template, stack.client, contact_id))
    if answer.get("statusCode") != 200:
        raise RuntimeError(f"panel token refused: {answer.get('statusCode')} {answer.get('body')}")
    grant: dict[str, Any] = json.loads(answer["body"])
    return grant


def contact_has_agent(stack: Any, contact_id: str) -> bool:
    item = stack.client("dynamodb").get_item(
        TableName=stack.template.physical["ContactsTable"].ref,
        Key={"contactId": {"S": contact_id}},
        ProjectionExpression="agentLeg",
        ConsistentRead=True,
    )
    return "agentLeg" in (item.get("Item") or {})


class PanelClient:
    def __init__(self, websocket_url: str, contact_id: str, token: str) -> None:
        self.url = f"{websocket_url}?{urlencode({'contactId': contact_id, 'token': token})}"
        self.messages: queue.Queue[Received] = queue.Queue()  # consumed by drain()
        self.history: list[Received] = []  # every message, for wait_for()
        self._arrived = threading.Condition()
        self.status: int | None = None  # the handshake's HTTP status when refused
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closing: asyncio.Event | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._thread = threading.Thread(target=self._run, name="panel-client", daemon=True)

    @classmethod
    def for_contact(cls, stack: Any, contact_id: str) -> PanelClient:
        grant = panel_grant(stack, contact_id)
        return cls(grant["websocketUrl"], contact_id, grant["token"])

    def connect(self, timeout: float = 10) -> PanelClient:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("panel WebSocket did not open")
        if self.status is not None:
            raise ConnectionRefusedError(f"panel WebSocket refused: HTTP {self.status}")
        return self

    def send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message))

    def send_text(self, text: str) -> None:
        """One frame as it is (hostile-payload tests send frames that are not JSON objects)."""
        socket = self._socket
        assert socket is not None
        asyncio.run_coroutine_threadsafe(socket.send_str(text), self._loop).result(5)

    def close(self) -> None:
        if self._closing is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._closing.set)
        self._thread.join(10)

    def wait_for(self, predicate: Any, timeout: float = 30) -> Received:
        """The first message received so far (or until the timeout) for which predicate(message) holds.

        Messages are not consumed: waiting for one never hides another that arrived before it.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for received in self.history:
                    if predicate(received.message):
                        return received
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the panel did not receive the expected message")
                self._arrived.wait(remaining)

    def drain(self) -> list[Received]:
        found: list[Received] = []
        while True:
            try:
                found.append(self.messages.get_nowait())
            except queue.Empty:
                return found

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._session())
        self._loop.close()

    async def _session(self) -> None:
        self._closing = asyncio.Event()
        async with aiohttp.ClientSession() as session:
            try:
                socket = await session.ws_connect(self.url)
            except aiohttp.WSServerHandshakeError as exc:
                self.status = exc.status
                self._ready.set()
                return
            self._socket = socket
            await socket.send_str(json.dumps({"action": "sync"}))
            self._ready.set()
            reader = asyncio.ensure_future(self._read(socket))
            await self._closing.wait()
            await socket.close()
            await reader

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            arrived = time.monotonic()
            for message in json.loads(frame.data).get("messages", []):
                received = Received(arrived, message)
                self.messages.put(received)
                with self._arrived:
                    self.history.append(received)
                    self._arrived.notify_all()


def put_records(stack: Any, records: list[dict[str, Any]], pause: float = 0.0) -> list[float]:
    """Put Contact Lens records on the transcript stream (partition key: the contact); send times."""
    kinesis = stack.client("kinesis")
    stream = stack.template.physical["TranscriptStream"].ref
    sent: list[float] = []
    for record in records:
        sent.append(time.monotonic())
        kinesis.put_record(
            StreamName=stream, Data=json.dumps(record).encode(), PartitionKey=str(record["ContactId"])
        )
        if pause:
            time.sleep(pause)
    return sent
