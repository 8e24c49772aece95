"""Kinesis Video Streams GetMedia: the data endpoint from GetDataEndpoint, then the media stream.

GetMedia holds the connection open on a live stream and sends fragments as Connect writes them;
the read timeout is therefore set above the transcriber's idle timeout.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.kvs.errors import KvsPathError, MediaAccessDenied, MediaNotFound, MediaUnavailable

_NOT_FOUND: Final = frozenset(
    {"ResourceNotFoundException", "InvalidArgumentException", "InvalidEndpointException"}
)
_DENIED: Final = frozenset({"NotAuthorizedException", "AccessDeniedException", "AccessDenied"})


class KvsMediaSource:
    """The MediaSource port: GetDataEndpoint(GET_MEDIA) then GetMedia from a fragment number."""

    def __init__(self, read_timeout_seconds: float = 45.0) -> None:
        self._read_timeout = read_timeout_seconds

    def open(self, stream_arn: str, start_fragment_number: str) -> KvsMediaStream:
        try:
            endpoint = aws_client("kinesisvideo", "batch").get_data_endpoint(
                StreamARN=stream_arn, APIName="GET_MEDIA"
            )["DataEndpoint"]
            answer = _media_client(endpoint, self._read_timeout).get_media(
                StreamARN=stream_arn,
                StartSelector={
                    "StartSelectorType": "FRAGMENT_NUMBER",
                    "AfterFragmentNumber": start_fragment_number,
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise media_error(exc) from None
        return KvsMediaStream(answer["Payload"])


class KvsMediaStream:
    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int) -> bytes:
        try:
            return self._body.read(size)  # type: ignore[no-any-return]
        except (ClientError, BotoCoreError) as exc:
            raise media_error(exc) from None

    def close(self) -> None:
        self._body.close()


@functools.cache
def _media_client(endpoint: str, read_timeout: float) -> Any:
    config = Config(
        connect_timeout=3, read_timeout=read_timeout, retries={"max_attempts": 3, "mode": "standard"}
    )
    return boto3.session.Session().client("kinesis-video-media", endpoint_url=endpoint, config=config)


def media_error(exc: Exception) -> KvsPathError:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        if code in _NOT_FOUND:
            return MediaNotFound(code)
        if code in _DENIED:
            return MediaAccessDenied(code)
        return MediaUnavailable(code)
    return MediaUnavailable(type(exc).__name__)


def reset_media_clients() -> None:
    _media_client.cache_clear()
