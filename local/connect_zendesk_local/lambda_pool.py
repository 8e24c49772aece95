"""Lambda's concurrency on the local stack: a pool of function processes, each one execution environment.

`LocalStack` runs invocations in its own process one at a time, which is right for the demo and the
tests but cannot show what many calls at once do. Here each worker is a fresh interpreter (spawned,
never forked from the threaded stack) bound to the running stack through `LocalStack.state()`: it
imports the functions on first use (a cold start), keeps their clients and caches (warm starts), and
serves one invocation at a time, as a Lambda execution environment does. Optional AWS faults
(`aws_faults`) are installed in each worker before any client exists; the functions' JSON logs go to
one file per worker.

    with LambdaPool(stack, workers=6, aws_faults=AwsFaultConfig(dynamodb_throttle_ratio=0.1)) as pool:
        stack.invoker = pool.invoke       # pollers, SQS runners and direct calls all use the pool
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connect_zendesk_local.aws_faults import AwsFaultConfig, AwsFaults
from connect_zendesk_local.functions import load_handler
from connect_zendesk_local.stack import LocalStack, bind_to_state, function_output_to, invoke_function


class FunctionError(RuntimeError):
    """The handler raised: Lambda reports an invocation error to its caller (Unhandled)."""


@dataclass(frozen=True)
class Invocation:
    """What one invocation returned, and how long the handler took inside its environment."""

    function: str
    response: Any
    seconds: float  # the handler's own time
    error: str | None = None  # the traceback when the handler raised
    worker: int = 0  # the environment's process id
    fault_counts: dict[str, Any] | None = None  # that environment's AWS fault counts so far
    init_seconds: float = 0.0  # the cold start (importing the function) when this call paid for it
    first_call: bool = False  # the environment's first call of this function: it makes the clients


class LambdaPool:
    def __init__(
        self,
        stack: LocalStack,
        *,
        workers: int = 4,
        aws_faults: AwsFaultConfig | None = None,
        log_dir: Path | None = None,
        prewarm: tuple[str, ...] = (),
    ) -> None:
        self._stack = stack
        self._prewarm = prewarm  # functions every environment imports before the first call
        self._workers = workers
        self._aws_faults = aws_faults or AwsFaultConfig()
        self._log_dir = log_dir
        self._executor: ProcessPoolExecutor | None = None
        self.invocations: list[Invocation] = []  # every invocation, in completion order

    def start(self) -> LambdaPool:
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
        self._executor = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_environment,
            initargs=(self._stack.state(), self._aws_faults, str(self._log_dir or ""), self._prewarm),
        )
        # Start every environment now (imports, hooks), so the run measures warm work.
        list(self._executor.map(_ready, range(self._workers * 2)))
        return self

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> LambdaPool:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def run(self, function: str, event: Any) -> Invocation:
        """Invoke and return the whole record (response, handler time, error)."""
        assert self._executor is not None, "start() the pool first"
        invocation: Invocation = self._executor.submit(_invoke, function, event).result()
        self.invocations.append(invocation)
        return invocation

    def invoke(self, function: str, event: Any) -> Any:
        """`LocalStack.invoker`: the response, or FunctionError when the handler raised."""
        invocation = self.run(function, event)
        if invocation.error is not None:
            raise FunctionError(f"{function} raised:\n{invocation.error}")
        return invocation.response

    def fault_counts(self) -> dict[str, Any]:
        """The AWS hooks' counts summed over the environments (each one's latest report)."""
        latest: dict[int, dict[str, Any]] = {}
        for invocation in self.invocations:
            if invocation.fault_counts is not None:
                latest[invocation.worker] = invocation.fault_counts
        total: dict[str, Any] = {"dynamodb_attempts": {}, "dynamodb_throttled": {}, "visibility_capped": 0}
        for counts in latest.values():
            for key in ("dynamodb_attempts", "dynamodb_throttled"):
                for operation, count in counts[key].items():
                    total[key][operation] = total[key].get(operation, 0) + count
            total["visibility_capped"] += counts["visibility_capped"]
        return total


# ---------------------------------------------------------------------------- inside a worker
_environment: dict[str, Any] = {}


def _start_environment(
    state: dict[str, Any], aws_faults: AwsFaultConfig, log_dir: str, prewarm: tuple[str, ...]
) -> None:
    seed = None if aws_faults.seed is None else aws_faults.seed * 1000 + os.getpid()
    faults = AwsFaults(
        AwsFaultConfig(aws_faults.dynamodb_throttle_ratio, aws_faults.max_visibility_seconds, seed)
    )
    faults.install()  # before the first client: the hooks must be in every session
    template = bind_to_state(state)
    # The functions' JSON logs: one file per environment, open as long as the process lives.
    path = Path(log_dir) / f"functions-{os.getpid()}.jsonl" if log_dir else Path(os.devnull)
    output = path.open("a", encoding="utf-8")
    logs = contextlib.ExitStack()
    logs.enter_context(function_output_to(output))
    _environment.update(template=template, faults=faults, logs=logs)
    for function in prewarm:  # their imports now, not inside the first call (cold starts: make bench)
        spec = template.function(function)
        os.environ.update(spec.environment)
        load_handler(spec)


def _ready(_index: int) -> int:
    time.sleep(0.05)  # keep this worker busy briefly so the others take the next ones
    return os.getpid()


def _invoke(function: str, event: Any) -> Invocation:
    faults: AwsFaults = _environment["faults"]
    template = _environment["template"]
    error: str | None = None
    response: Any = None
    init = 0.0
    started = time.perf_counter()
    try:
        # The init phase apart: a first call imports the function (Lambda's cold start), then the
        # handler runs; the handler's time is what its budget bounds.
        spec = template.function(function)
        os.environ.update(spec.environment)
        load_handler(spec)
        init = time.perf_counter() - started
        started += init
        response = invoke_function(template, function, event)
    except Exception:  # noqa: BLE001 - reported to the caller, as Lambda reports a function error
        error = traceback.format_exc()
    seconds = time.perf_counter() - started
    called: set[str] = _environment.setdefault("called", set())
    first = function not in called
    called.add(function)
    return Invocation(function, response, seconds, error, os.getpid(), faults.counts(), init, first)
