"""Failures a step can report to its caller; `error_type` is what a contact flow branches on."""

from __future__ import annotations


class ServiceError(Exception):
    error_type = "InternalError"


class InvalidInput(ServiceError):
    error_type = "InvalidInput"


class NotConfigured(ServiceError):
    error_type = "ConfigurationError"


class StorageError(ServiceError):
    """DynamoDB (or another AWS store) failed or timed out."""

    error_type = "StorageError"


class ZendeskError(ServiceError):
    error_type = "ZendeskError"


class ZendeskTimeout(ZendeskError):
    error_type = "Timeout"


class ZendeskRateLimited(ZendeskError):
    error_type = "RateLimited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ZendeskUnavailable(ZendeskError):
    """5xx answers and connection failures: worth retrying later."""

    error_type = "ZendeskUnavailable"


class ZendeskAuthFailed(ZendeskError):
    error_type = "ZendeskAuthError"


class ZendeskNotFound(ZendeskError):
    error_type = "ZendeskNotFound"


class ZendeskRejected(ZendeskError):
    """A 4xx other than 401/403/404/429: the request itself is wrong and retrying will not help."""

    error_type = "ZendeskRejected"


class ZendeskConflict(ZendeskError):
    """409: the ticket changed since the stamp a safe update carried, or a request with the same
    Idempotency-Key is still in progress. Not a verdict on the request: look again and retry."""

    error_type = "ZendeskConflict"


class ZendeskIdempotencyMismatch(ZendeskConflict):
    """400 IdempotentRequestError: this Idempotency-Key was used with other parameters. The first
    request with the key may have landed (or may still land): find what it made before anything else."""

    error_type = "ZendeskIdempotencyMismatch"


class ZendeskBadResponse(ZendeskError):
    """A 2xx whose body is not what the API documents (truncated JSON, missing fields)."""

    error_type = "ZendeskBadResponse"


class AnalysisUnavailable(ServiceError):
    """Text analysis (Comprehend) failed or timed out: worth retrying later."""

    error_type = "AnalysisUnavailable"
