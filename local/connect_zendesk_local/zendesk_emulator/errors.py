"""Zendesk's error bodies, raised as exceptions by the API handlers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer with Zendesk's JSON error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('error')}")
        self.status = status
        self.body = body


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid_endpoint() -> ApiError:
    return ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})


def unauthenticated() -> ApiError:
    return ApiError(401, {"error": "Couldn't authenticate you"})


def bad_request(description: str) -> ApiError:
    return ApiError(400, {"error": "BadRequest", "description": description})


def too_many_values(description: str) -> ApiError:
    return ApiError(400, {"error": "TooManyValues", "description": description})


def record_invalid(field: str, description: str, error: str = "InvalidValue") -> ApiError:
    """422 as Zendesk words it: the field, a sentence, and a machine-readable reason."""
    details = {field: [{"description": description, "error": error}]}
    return ApiError(
        422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details}
    )


def update_conflict() -> ApiError:
    """409 to a safe update whose ``updated_stamp`` is older than the ticket's last update."""
    return ApiError(
        409,
        {
            "error": "UpdateConflict",
            "description": "Safe Update prevented the update due to outdated ticket data. "
            "Please fetch the latest ticket data and try again.",
        },
    )


def idempotency_mismatch() -> ApiError:
    """400 to an Idempotency-Key used before with other request parameters."""
    return ApiError(
        400,
        {
            "error": "IdempotentRequestError",
            "description": "Request parameters don't match the given idempotency key",
        },
    )


def idempotency_in_progress() -> ApiError:
    """409 to an Idempotency-Key whose first request is still being processed.

    Zendesk does not document this case; the emulator answers what such services commonly answer.
    """
    return ApiError(
        409,
        {
            "error": "IdempotentRequestInProgress",
            "description": "A request with this idempotency key is still being processed",
        },
    )
