"""Time budgets for synchronous callers (Connect allows 8 s including its own retries)."""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Read through the module so a test can put a fake clock here (time.monotonic itself is shared).
monotonic_clock: Callable[[], float] = time.monotonic


class BudgetExceeded(TimeoutError):
    """The invocation's time budget ran out before the work finished."""


@dataclass(frozen=True)
class Deadline:
    expires_at: float  # time.monotonic() value

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(monotonic_clock() + max(seconds, 0.0))

    @classmethod
    def for_invocation(cls, budget_seconds: float, context: Any, safety_margin: float = 0.5) -> Deadline:
        """The configured budget, shortened when the Lambda itself has less time left.

        Call it first thing in the handler: whatever runs before it (decorators, the Tracer loading
        the X-Ray SDK on the first call) would otherwise be time the caller waits outside the budget.
        """
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining_ms):
            budget_seconds = min(budget_seconds, remaining_ms() / 1000 - safety_margin)
        return cls.after(budget_seconds)

    def remaining(self) -> float:
        return max(self.expires_at - monotonic_clock(), 0.0)

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


def budget_from_entry(budget_seconds: float, handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """`handler` (with its decorators) under a deadline that starts when Lambda calls it.

    The outermost wrapper of a synchronous handler: the decorators' work on a fresh environment's first
    call (Tracer, logger, metrics) then counts against the budget instead of adding to the caller's wait.
    The handler reads the deadline with `current_deadline()`.
    """

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> R:
        with deadline_scope(Deadline.for_invocation(budget_seconds, context)):
            return handler(event, context)

    return entry


def invocation_deadline(budget_seconds: float, context: Any) -> Deadline:
    """The deadline `budget_from_entry` started, or one starting now for a handler called without it."""
    return current_deadline() or Deadline.for_invocation(budget_seconds, context)


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
