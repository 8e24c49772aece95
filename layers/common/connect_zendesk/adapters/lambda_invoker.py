"""Asynchronous Lambda invocation (InvocationType Event): queue the call and return at once."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import Profile, aws_client
from connect_zendesk.errors import ServiceError


class InvokeFailed(ServiceError):
    error_type = "InvokeFailed"


class LambdaInvoker:
    """The AsyncInvoker port; `profile` picks the client's latency profile (contact flows wait)."""

    def __init__(self, profile: Profile = "batch") -> None:
        self._profile = profile

    def invoke_async(self, function: str, payload: dict[str, Any]) -> None:
        try:
            answer = aws_client("lambda", self._profile).invoke(
                FunctionName=function,
                InvocationType="Event",
                Payload=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
            )
        except ClientError as exc:
            raise InvokeFailed(
                f"Invoke failed: {exc.response.get('Error', {}).get('Code', 'Unknown')}"
            ) from None
        except BotoCoreError as exc:
            raise InvokeFailed(f"Invoke failed: {type(exc).__name__}") from None
        if answer.get("StatusCode") != 202:
            raise InvokeFailed(f"Invoke answered {answer.get('StatusCode')} instead of 202")
