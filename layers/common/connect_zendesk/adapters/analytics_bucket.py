"""The analytics bucket: one JSON document per call, read by Athena through the Glue table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors
from connect_zendesk.untrusted import Limits, UntrustedInput, decode_json

ANALYTICS_OBJECT = Limits(max_bytes=16 * 1024 * 1024)  # a long call's transcript and sentiment, with room


class S3AnalyticsStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def put(self, key: str, document: Mapping[str, Any]) -> None:
        # One line of JSON per object: the OpenX JSON SerDe reads one record per line.
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        with storage_errors(self._bucket, "PutObject"):
            aws_client("s3", "batch").put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType="application/json"
            )

    def get(self, key: str) -> dict[str, Any] | None:
        with storage_errors(self._bucket, "GetObject"):
            try:
                response = aws_client("s3", "batch").get_object(Bucket=self._bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            body = response["Body"].read()
        try:
            # Our own writes, but read back from a bucket others may write to: bounded like any body.
            document = decode_json(body, ANALYTICS_OBJECT)
        except UntrustedInput:
            return None
        return document if isinstance(document, dict) else None
