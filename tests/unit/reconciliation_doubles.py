"""In-memory stand-ins for the reconciliation sweep's ports: Connect, the pending index, the queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connect_zendesk.reconciliation.ports import (
    ConnectContact,
    ConnectThrottled,
    ContactNotFound,
    Cursor,
    PendingContact,
)


class FakeConnect:
    """DescribeContact over a dict; `throttle_on` names contacts whose description is throttled once."""

    def __init__(self) -> None:
        self.contacts: dict[str, ConnectContact] = {}
        self.described: list[tuple[str, str]] = []
        self.throttle_on: set[str] = set()

    def describe(self, instance_arn: str, contact_id: str) -> ConnectContact:
        self.described.append((instance_arn, contact_id))
        if contact_id in self.throttle_on:
            self.throttle_on.discard(contact_id)
            raise ConnectThrottled("throttled")
        if contact_id not in self.contacts:
            raise ContactNotFound("unknown")
        return self.contacts[contact_id]


class FakePendingContacts:
    """The sparse index as a sorted list; closing takes an entry out, a send moves it to `now`."""

    def __init__(self, now: str = "") -> None:
        self.entries: dict[str, PendingContact] = {}
        self.saved = Cursor()
        self.closed: dict[str, str] = {}
        self.now = now
        self.queries = 0

    def add(self, contact_id: str, updated_at: str, **fields: Any) -> None:
        self.entries[contact_id] = PendingContact(contact_id, updated_at, **fields)

    def pending(self, after: Cursor, until: str, limit: int) -> list[PendingContact]:
        self.queries += 1
        ordered = sorted(self.entries.values(), key=lambda e: (e.updated_at, e.contact_id))
        return [e for e in ordered if after.updated_at <= e.updated_at <= until][:limit]

    def cursor(self) -> Cursor:
        return self.saved

    def save_cursor(self, cursor: Cursor) -> None:
        self.saved = cursor

    def mark_sent(self, contact_id: str, resends: int) -> None:
        entry = self.entries[contact_id]
        self.entries[contact_id] = dataclasses.replace(entry, resends=resends, updated_at=self.now)

    def close(self, contact_id: str, reason: str) -> None:
        self.entries.pop(contact_id, None)
        self.closed[contact_id] = reason


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Mapping[str, Any]] = []

    def send(self, event: Mapping[str, Any]) -> None:
        self.sent.append(event)


def ended_contact(
    contact_id: str, *, started: datetime, ended: datetime | None, **fields: Any
) -> ConnectContact:
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "channel": "VOICE",
        "initiation_method": "INBOUND",
        "initiated_at": started,
        "disconnected_at": ended,
        **fields,
    }
    return ConnectContact(**values)
