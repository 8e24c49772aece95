"""Powertools idempotency on DynamoDB: a unit of work runs once per key.

The first attempt stores an INPROGRESS record; success replaces it with the result (kept for
`expires_after_seconds`), an exception deletes it so a retry runs again. A crash (timeout, out of
memory) leaves INPROGRESS, which expires when the crashed invocation would have timed out: that is
why the Lambda context is registered on every invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.errors import StorageError
from connect_zendesk.sqs.retry import RetryLater

IN_PROGRESS_RETRY_SECONDS = 30
DEFAULT_IN_PROGRESS_MS = 15 * 60 * 1000  # Lambda's longest timeout, when no context is registered


class _NoContext:
    def get_remaining_time_in_millis(self) -> int:
        return DEFAULT_IN_PROGRESS_MS


def _mark_replayed(response: Any, idempotent_data: Any) -> Any:
    """A stored result handed back for a repeat: say so, the caller counts duplicates."""
    return {**(response if isinstance(response, dict) else {}), "replayed": True}


class PowertoolsIdempotency:
    def __init__(self, table_name: str, *, key_prefix: str, expires_after_seconds: int) -> None:
        self._table = table_name
        self._key_prefix = key_prefix
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
            lambda_context=_NoContext(),  # type: ignore[arg-type]
            response_hook=_mark_replayed,
        )
        self._store: DynamoDBPersistenceLayer | None = None

    def register_lambda_context(self, context: Any) -> None:
        if callable(getattr(context, "get_remaining_time_in_millis", None)):
            self._config.register_lambda_context(context)

    def run(self, key: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`work()`'s result; a repeat gets the first run's result with `"replayed": True`."""
        if self._store is None:
            self._store = DynamoDBPersistenceLayer(self._table, boto3_client=aws_client("dynamodb", "batch"))

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request",
            persistence_store=self._store,
            config=self._config,
            key_prefix=self._key_prefix,
        )
        def once(request: dict[str, str]) -> dict[str, Any]:
            return work()

        try:
            result: dict[str, Any] = once(request={"key": key})
        except IdempotencyAlreadyInProgressError:
            raise RetryLater(
                "another attempt for this contact is in progress", IN_PROGRESS_RETRY_SECONDS, "InProgress"
            ) from None
        except IdempotencyPersistenceLayerError as exc:
            raise StorageError(
                f"idempotency table {self._table} failed: {type(exc.__cause__).__name__}"
            ) from None
        return result
