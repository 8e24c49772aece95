"""Time budgets for synchronous callers (Connect allows 8 s including its own retries)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class BudgetExceeded(TimeoutError):
    """The invocation's time budget ran out before the work finished."""


@dataclass(frozen=True)
class Deadline:
    expires_at: float  # time.monotonic() value

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + max(seconds, 0.0))

    @classmethod
    def for_invocation(cls, budget_seconds: float, context: Any, safety_margin: float = 0.5) -> Deadline:
        """The configured budget, shortened when the Lambda itself has less time left."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining_ms):
            budget_seconds = min(budget_seconds, remaining_ms() / 1000 - safety_margin)
        return cls.after(budget_seconds)

    def remaining(self) -> float:
        return max(self.expires_at - time.monotonic(), 0.0)

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("deadline", default=None)


def current_deadline() -> Deadline | None:
    return _current.get()


@contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[Deadline]:
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def run_within(deadline: Deadline, work: Callable[[], T]) -> T:
    """Run `work` in a worker thread and give up waiting when the deadline passes.

    Adapters already bound every network call by the deadline; this guard also covers what they
    cannot (DNS, a stalled TLS handshake, a bug), so a caller waiting on the answer always gets one.
    """
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def target() -> None:
        with deadline_scope(deadline):
            try:
                outcome["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting thread
                outcome["error"] = exc
            finally:
                finished.set()

    threading.Thread(target=target, name="budgeted-work", daemon=True).start()
    if not finished.wait(deadline.remaining()):
        raise BudgetExceeded("time budget exhausted")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
