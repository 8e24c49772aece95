"""One thread pool per container for the real-time functions' I/O calls (DynamoDB, @connections).

Reused across invocations, as a Lambda container reuses its module state, so no invocation pays for
starting threads. Only leaf calls run here (a task never waits for another task of this pool), so
the pool cannot deadlock however the callers nest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_WORKERS = 16  # matches the @connections client's connection pool


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="realtime-io")


@functools.cache
def stage_pool() -> ThreadPoolExecutor:
    """For steps that run side by side and themselves use map_io (a different pool: no deadlock)."""
    return ThreadPoolExecutor(4, thread_name_prefix="realtime-stage")


def map_io(function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """function(item) for every item, concurrently; results in the items' order."""
    work = list(items)
    if len(work) <= 1:
        return [function(item) for item in work]
    return list(_pool().map(function, work))
