"""Zendesk records as the domain sees them: only the fields the steps use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

OPEN_STATUSES = ("new", "open", "pending", "hold")


@dataclass(frozen=True)
class ZendeskUser:
    id: int
    name: str
    phone: str = ""
    role: str = "end-user"
    shared_phone_number: bool = False
    active: bool = True
    locale: str = ""

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "phone": self.phone,
            "role": self.role,
            "shared_phone_number": self.shared_phone_number,
            "active": self.active,
            "locale": self.locale,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> ZendeskUser:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            phone=str(data.get("phone", "")),
            role=str(data.get("role", "end-user")),
            shared_phone_number=bool(data.get("shared_phone_number", False)),
            active=bool(data.get("active", True)),
            locale=str(data.get("locale", "")),
        )


@dataclass(frozen=True)
class TicketSummary:
    id: int
    subject: str
    status: str
    requester_id: int
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_cache(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "status": self.status,
            "requester_id": self.requester_id,
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> TicketSummary:
        return cls(
            id=int(data["id"]),
            subject=str(data.get("subject", "")),
            status=str(data.get("status", "")),
            requester_id=int(data.get("requester_id", 0)),
            updated_at=datetime.fromisoformat(str(data["updated_at"])),
        )
