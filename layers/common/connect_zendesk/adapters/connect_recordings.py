"""Call recordings Amazon Connect archives in its own bucket (read for the post-call note).

Connect stores a voice recording as `<prefix>/YYYY/MM/DD/<contactId>_<timestamp>.wav` (prefix like
`connect/<instance-alias>/CallRecordings`), dated by the call's UTC day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import storage_errors
from connect_zendesk.domain.post_call_ports import Recording


class ConnectRecordingArchive:
    def __init__(self, bucket: str, prefix: str) -> None:
        self._bucket = bucket
        self._prefix = prefix.strip("/")

    def find(self, contact_id: str, days: Sequence[datetime]) -> Recording | None:
        if not self._bucket:
            return None
        for day in dict.fromkeys(d.strftime("%Y/%m/%d") for d in days):
            prefix = "/".join(part for part in (self._prefix, day, f"{contact_id}_") if part)
            with storage_errors(self._bucket, "ListObjectsV2"):
                listed = aws_client("s3", "batch").list_objects_v2(
                    Bucket=self._bucket, Prefix=prefix, MaxKeys=10
                )
            objects = sorted(listed.get("Contents", []), key=lambda o: str(o["Key"]))
            if objects:
                return Recording(key=str(objects[0]["Key"]), size=int(objects[0]["Size"]))
        return None

    def read(self, recording: Recording) -> bytes:
        with storage_errors(self._bucket, "GetObject"):
            body: bytes = (
                aws_client("s3", "batch").get_object(Bucket=self._bucket, Key=recording.key)["Body"].read()
            )
        return body
