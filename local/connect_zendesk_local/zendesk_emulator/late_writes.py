"""Late commits: writes Zendesk accepts, holds past the client's timeout, and applies later.

A client whose time budget ran out does not know whether its write happened; Zendesk may still apply
it seconds or minutes later. Armed with ``LateWriteConfig`` (``POST /__emulator/late-writes``), the
emulator takes the next matching writes in, answers nothing for ``hold_seconds`` and then drops the
connection (the client sees its timeout, or a dropped connection if its timeout is longer), and
queues each write to be applied ``late_seconds`` after it arrived, in emulator time. Nothing applies
by itself: ``POST /__emulator/late-writes/apply`` (or ``ZendeskEmulator.apply_late_writes()``)
advances the emulator's clock to each write's time and applies it through the normal API code, so a
test decides exactly where in a retry the late write lands, without waiting two minutes.
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connect_zendesk_local.zendesk_emulator.api import ApiRequest

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
MAX_LATE_SECONDS = 120.0  # "up to two minutes late"


@dataclass(frozen=True)
class LateWriteConfig:
    """The next ``count`` writes (POST/PUT/DELETE) whose path matches ``path_pattern`` are late."""

    path_pattern: str = r"^/api/v2/tickets"
    count: int = 1
    hold_seconds: float = 0.2
    late_seconds: float = MAX_LATE_SECONDS

    def __post_init__(self) -> None:
        re.compile(self.path_pattern)
        if self.count < 0 or self.hold_seconds < 0 or not 0 <= self.late_seconds <= MAX_LATE_SECONDS:
            raise ValueError(f"count and hold_seconds >= 0, late_seconds in [0, {MAX_LATE_SECONDS:g}]")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LateWriteConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown late-write fields: {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass
class LateWrite:
    request: ApiRequest
    arrived_at: datetime
    apply_at: datetime
    hold_seconds: float
    status: int | None = None  # the answer Zendesk gave nobody, once applied

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.request.method,
            "path": self.request.path,
            "arrived_at": self.arrived_at.isoformat(),
            "apply_at": self.apply_at.isoformat(),
            "status": self.status,
        }


@dataclass
class LateWrites:
    config: LateWriteConfig = field(default_factory=lambda: LateWriteConfig(count=0))
    queued: list[LateWrite] = field(default_factory=list)
    applied: list[LateWrite] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, config: LateWriteConfig) -> None:
        with self._lock:
            self.config = config

    def take(self, request: ApiRequest, now: datetime) -> LateWrite | None:
        """The request as a late write if it is one of the armed writes (counted), else None."""
        with self._lock:
            armed = self.config
            if armed.count <= 0 or request.method not in WRITE_METHODS:
                return None
            if not re.search(armed.path_pattern, request.path):
                return None
            self.config = LateWriteConfig(**{**asdict(armed), "count": armed.count - 1})
            late = LateWrite(request, now, now + timedelta(seconds=armed.late_seconds), armed.hold_seconds)
            self.queued.append(late)
            return late

    def due(self) -> list[LateWrite]:
        with self._lock:
            due, self.queued = sorted(self.queued, key=lambda late: late.apply_at), []
            return due

    def record_applied(self, late: LateWrite) -> None:
        with self._lock:
            self.applied.append(late)

    def clear(self) -> None:
        with self._lock:
            self.config = LateWriteConfig(count=0)
            self.queued.clear()
            self.applied.clear()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "armed": asdict(self.config),
                "queued": [late.to_dict() for late in self.queued],
                "applied": [late.to_dict() for late in self.applied],
            }
