"""Writes a step makes for later steps, which must not cost the caller their answer."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import StorageError
from connect_zendesk.observability import logger, metrics


def record_best_effort(what: str, write: Callable[[], None]) -> None:
    try:
        write()
    except StorageError as exc:
        logger.warning(f"{what} not recorded", extra={"reason": str(exc)})
        metrics.add_metric(name="ContactWriteFailed", unit=MetricUnit.Count, value=1)
