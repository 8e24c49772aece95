"""One place for observability: the Powertools Logger, Metrics and Tracer every function uses.

The Tracer is created on the first invocation rather than at import: it loads the X-Ray SDK, which
would otherwise more than double a contact-flow function's cold init (see bench/cold_init.py).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

from connect_zendesk.pii import scrub

Handler = TypeVar("Handler", bound=Callable[..., Any])


class PiiScrubbingFormatter(LambdaPowertoolsFormatter):
    """Masks phone numbers and emails anywhere in a record before it is written."""

    def serialize(self, log: LogRecord) -> str:
        return super().serialize(scrub(log))


SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "connect-zendesk"
# A missing namespace would make every metrics flush raise, outside any handler's error handling.
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "ConnectZendesk"

logger = Logger(service=SERVICE, logger_formatter=PiiScrubbingFormatter(), utc=True)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)


@functools.cache
def tracer() -> Tracer:
    # Responses and errors can carry caller names: never attach them to traces.
    return Tracer()


def traced(handler: Handler) -> Handler:
    """Trace a Lambda handler with the Tracer, created lazily on the first call."""
    wrapped: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        nonlocal wrapped
        if wrapped is None:
            wrapped = tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False)
        return wrapped(event, context)

    return wrapper  # type: ignore[return-value]
