"""The optional SNS topic where supervisors receive negative-sentiment alerts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors


class SnsAlertTopic:
    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: Mapping[str, Any]) -> None:
        with storage_errors(self._topic_arn.rsplit(":", 1)[-1], "Publish"):
            aws_client("sns", "batch").publish(
                TopicArn=self._topic_arn,
                Subject=subject[:100],
                Message=json.dumps({"default": json.dumps(message), **_email(message)}),
                MessageStructure="json",
            )


def _email(message: Mapping[str, Any]) -> dict[str, str]:
    lines = [f"{key}: {value}" for key, value in message.items()]
    return {"email": "\n".join(lines)}
