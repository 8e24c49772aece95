"""Pushes messages to the panels open on a contact, over the WebSocket API's @connections endpoint.

Messages for one contact are packed into as few frames as fit the WebSocket frame limit, and every
open connection of the contact receives them in order; different connections are served at the same
time. A connection that API Gateway reports gone (410) is removed from the Connections table. A push
is best effort: a panel that missed something asks for a snapshot (`sync`) when it reconnects, so a
failed push is counted and logged, never a reason to fail the records that produced it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.adapters.connections_table import PanelConnection
from connect_zendesk.adapters.panel_gateway import ConnectionGone, PushFailed
from connect_zendesk.errors import StorageError
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.io_pool import map_io

_REPORT_LOCK = threading.Lock()
FRAME_LIMIT_BYTES = 32 * 1024  # API Gateway WebSocket frame size; a frame this size needs no fragmenting
PROTOCOL_VERSION = 1


class ConnectionDirectory(Protocol):
    def for_contact(
        self, contact_id: str, now: float, expired: list[PanelConnection] | None = None
    ) -> list[PanelConnection]:
        """Open connections; expired ones are appended to `expired` (to be closed)."""
        ...

    def remove(self, connection_id: str) -> None: ...


class PanelGateway(Protocol):
    def post(self, connection_id: str, data: bytes) -> None: ...

    def close(self, connection_id: str) -> None:
        """@connections DELETE."""
        ...


@dataclass
class PushReport:
    frames_sent: int = 0
    gone: int = 0
    failed: int = 0

    def add(self, other: PushReport) -> None:
        with _REPORT_LOCK:
            self.frames_sent += other.frames_sent
            self.gone += other.gone
            self.failed += other.failed


def frames_for(contact_id: str, messages: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """JSON frames `{"v", "contactId", "messages": [...]}`, each within the frame limit."""
    frames: list[bytes] = []
    batch: list[str] = []
    head = json.dumps({"v": PROTOCOL_VERSION, "contactId": contact_id}, ensure_ascii=False)[:-1]
    size = len(head.encode()) + 16

    def flush() -> None:
        if batch:
            frames.append(f'{head},"messages":[{",".join(batch)}]}}'.encode())

    for message in messages:
        encoded = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        length = len(encoded.encode()) + 1
        if batch and size + length > FRAME_LIMIT_BYTES:
            flush()
            batch, size = [], len(head.encode()) + 16
        batch.append(encoded)
        size += length
    flush()
    return frames


class PanelPusher:
    def __init__(
        self,
        connections: ConnectionDirectory,
        gateway: PanelGateway,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connections = connections
        self._gateway = gateway
        self._clock = clock

    def push(self, messages_by_contact: Mapping[str, Sequence[Mapping[str, Any]]]) -> PushReport:
        report = PushReport()
        wanted = [(contact, messages) for contact, messages in messages_by_contact.items() if messages]
        if not wanted:
            return report
        now = self._clock()

        def lookup(
            item: tuple[str, Sequence[Mapping[str, Any]]],
        ) -> list[tuple[PanelConnection, list[bytes]]]:
            contact_id, messages = item
            expired: list[PanelConnection] = []
            try:
                open_connections = self._connections.for_contact(contact_id, now, expired)
                self._close_expired(expired)
            except StorageError as exc:
                logger.warning("panel connections unreadable", extra={"reason": str(exc)})
                report.add(PushReport(failed=1))
                return []
            frames = frames_for(contact_id, messages) if open_connections else []
            return [(connection, frames) for connection in open_connections]

        deliveries = [delivery for found in map_io(lookup, wanted) for delivery in found]
        outcomes = map_io(lambda delivery: self._deliver(*delivery), deliveries)
        for outcome in outcomes:
            report.add(outcome)
        if report.frames_sent:
            metrics.add_metric(name="PanelFramesSent", unit=MetricUnit.Count, value=report.frames_sent)
        if report.gone:
            metrics.add_metric(name="PanelConnectionsGone", unit=MetricUnit.Count, value=report.gone)
        if report.failed:
            metrics.add_metric(name="PanelPushFailed", unit=MetricUnit.Count, value=report.failed)
        return report

    def send(self, connection_id: str, contact_id: str, messages: Sequence[Mapping[str, Any]]) -> PushReport:
        """Send to one connection (a reply to that panel), with the same 410 handling."""
        connection = PanelConnection(connection_id, contact_id, "", 0)
        return self._deliver(connection, frames_for(contact_id, messages))

    def _deliver(self, connection: PanelConnection, frames: list[bytes]) -> PushReport:
        # Frames of one connection go one after the other so the panel sees them in order.
        outcome = PushReport()
        for frame in frames:
            try:
                self._gateway.post(connection.connection_id, frame)
            except ConnectionGone:
                outcome.gone += 1
                self._forget(connection.connection_id)
                break
            except PushFailed as exc:
                outcome.failed += 1
                logger.warning("panel push failed", extra={"reason": str(exc)})
                break
            outcome.frames_sent += 1
        return outcome

    def _close_expired(self, expired: Sequence[PanelConnection]) -> None:
        """A connection whose token expired without a re-authentication is closed (@connections DELETE)."""
        for connection in expired:
            try:
                self._gateway.close(connection.connection_id)
            except PushFailed as exc:
                logger.warning("expired connection not closed", extra={"reason": str(exc)})
                continue
            self._forget(connection.connection_id)
            metrics.add_metric(name="PanelConnectionsExpired", unit=MetricUnit.Count, value=1)

    def _forget(self, connection_id: str) -> None:
        try:
            self._connections.remove(connection_id)
        except StorageError as exc:  # TTL removes it later anyway
            logger.warning("gone connection not removed", extra={"reason": str(exc)})
