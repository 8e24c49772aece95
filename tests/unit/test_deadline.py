"""Time budgets for synchronous callers: Deadline, deadline_scope and run_within."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from connect_zendesk.deadline import (
    BudgetExceeded,
    Deadline,
    current_deadline,
    deadline_scope,
    run_within,
)


@dataclass
class FixedContext:
    """A Lambda context whose remaining time does not move."""

    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event blocked work waits on; always set afterwards so no worker thread is left hanging."""
    event = threading.Event()
    yield event
    event.set()


# ----------------------------------------------------------------------------- Deadline


def test_after_expires_that_many_seconds_from_now() -> None:
    before = time.monotonic()
    deadline = Deadline.after(2.0)
    after = time.monotonic()

    assert before + 2.0 <= deadline.expires_at <= after + 2.0
    assert 1.5 < deadline.remaining() <= 2.0
    assert not deadline.expired


@pytest.mark.parametrize("seconds", [0.0, -5.0])
def test_after_zero_or_negative_is_already_expired(seconds: float) -> None:
    deadline = Deadline.after(seconds)

    assert deadline.remaining() == 0.0
    assert deadline.expired


def test_remaining_never_goes_negative() -> None:
    deadline = Deadline(expires_at=time.monotonic() - 10)

    assert deadline.remaining() == 0.0
    assert deadline.expired


def test_remaining_shrinks_with_time() -> None:
    deadline = Deadline.after(1.0)
    first = deadline.remaining()
    time.sleep(0.02)

    assert deadline.remaining() < first


def test_for_invocation_keeps_the_budget_when_lambda_has_more_time() -> None:
    deadline = Deadline.for_invocation(3.0, FixedContext(remaining_ms=8000))

    assert 2.5 < deadline.remaining() <= 3.0


def test_for_invocation_shortens_the_budget_to_lambdas_remaining_time_minus_margin() -> None:
    deadline = Deadline.for_invocation(3.0, FixedContext(remaining_ms=2000), safety_margin=0.5)

    assert 1.0 < deadline.remaining() <= 1.5


def test_for_invocation_with_no_lambda_time_left_is_expired() -> None:
    deadline = Deadline.for_invocation(3.0, FixedContext(remaining_ms=300), safety_margin=0.5)

    assert deadline.expired


def test_for_invocation_with_the_local_lambda_context(lambda_context: object) -> None:
    deadline = Deadline.for_invocation(30.0, lambda_context)  # the context allows 8 s

    assert 6.5 < deadline.remaining() <= 7.5


@pytest.mark.parametrize("context", [None, object(), "not a context"])
def test_for_invocation_without_a_usable_context_uses_the_budget(context: object) -> None:
    deadline = Deadline.for_invocation(3.0, context)

    assert 2.5 < deadline.remaining() <= 3.0


def test_deadline_is_immutable() -> None:
    deadline = Deadline.after(1.0)

    with pytest.raises(AttributeError):
        deadline.expires_at = 0.0  # type: ignore[misc]


def test_budget_exceeded_is_a_timeout_error() -> None:
    assert issubclass(BudgetExceeded, TimeoutError)


# ----------------------------------------------------------------------------- deadline_scope


def test_current_deadline_is_none_outside_any_scope() -> None:
    assert current_deadline() is None


def test_deadline_scope_sets_and_restores_the_current_deadline() -> None:
    outer, inner = Deadline.after(5.0), Deadline.after(1.0)

    with deadline_scope(outer) as entered:
        assert entered is outer
        assert current_deadline() is outer
        with deadline_scope(inner):
            assert current_deadline() is inner
        assert current_deadline() is outer
    assert current_deadline() is None


def test_deadline_scope_is_restored_when_the_body_raises() -> None:
    deadline = Deadline.after(1.0)

    with pytest.raises(RuntimeError), deadline_scope(deadline):
        raise RuntimeError("boom")

    assert current_deadline() is None


# ----------------------------------------------------------------------------- run_within


def test_run_within_returns_the_works_value() -> None:
    assert run_within(Deadline.after(1.0), lambda: 42) == 42


def test_run_within_returns_none_values_too() -> None:
    assert run_within(Deadline.after(1.0), lambda: None) is None


def test_run_within_runs_the_work_in_another_thread_with_the_deadline_current() -> None:
    deadline = Deadline.after(1.0)
    seen: dict[str, object] = {}

    def work() -> str:
        seen["deadline"] = current_deadline()
        seen["thread"] = threading.current_thread().name
        return "done"

    assert run_within(deadline, work) == "done"
    assert seen["deadline"] is deadline
    assert seen["thread"] == "budgeted-work"
    assert current_deadline() is None  # the caller's context is untouched


def test_run_within_reraises_the_works_exception() -> None:
    class LookupBroke(Exception):
        pass

    def work() -> None:
        raise LookupBroke("zendesk said no")

    with pytest.raises(LookupBroke, match="zendesk said no"):
        run_within(Deadline.after(1.0), work)


def test_run_within_raises_budget_exceeded_when_work_outlasts_the_deadline(release: threading.Event) -> None:
    finished = threading.Event()

    def work() -> str:
        release.wait(5)
        finished.set()
        return "too late"

    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="time budget exhausted"):
        run_within(Deadline.after(0.1), work)
    waited = time.monotonic() - started

    assert 0.09 <= waited < 1.0  # generous bound: the work itself would take 5 s
    assert not finished.is_set()  # the caller did not wait for the work
    release.set()
    assert finished.wait(1)  # and the worker thread ends once released


def test_run_within_an_expired_deadline_gives_up_at_once(release: threading.Event) -> None:
    started = time.monotonic()

    with pytest.raises(BudgetExceeded):
        run_within(Deadline.after(0), lambda: release.wait(5))

    assert time.monotonic() - started < 1.0


def test_run_within_inside_a_scope_gives_the_worker_its_own_deadline() -> None:
    outer, inner = Deadline.after(5.0), Deadline.after(1.0)

    with deadline_scope(outer):
        seen = run_within(inner, current_deadline)
        assert current_deadline() is outer

    assert seen is inner
