"""Failures of the KVS audio path, split by whether trying again can help."""

from __future__ import annotations


class KvsPathError(Exception):
    """Base: `reason` names the failure in logs and in the TranscriptionFailed metric."""

    reason = "Internal"
    retryable = False


class MediaNotFound(KvsPathError):
    """The stream or the start fragment does not exist (or is past the stream's retention)."""

    reason = "StreamNotFound"


class MediaAccessDenied(KvsPathError):
    reason = "MediaAccessDenied"


class MediaUnavailable(KvsPathError):
    """Throttling, connection limits, 5xx or a dropped connection: worth retrying with backoff."""

    reason = "MediaUnavailable"
    retryable = True


class TranscribeRejected(KvsPathError):
    """Transcribe refused the session (bad language, unknown vocabulary, redaction not offered)."""

    reason = "TranscribeRejected"


class TranscribeUnavailable(KvsPathError):
    """Transcribe limits (LimitExceededException), throttling or a 5xx: worth retrying."""

    reason = "TranscribeUnavailable"
    retryable = True


class SinkUnavailable(KvsPathError):
    """Final segments could not be stored; a retry transcribes again from the last checkpoint."""

    reason = "TranscriptWriteFailed"
    retryable = True


class ContinuationFailed(KvsPathError):
    reason = "ContinuationFailed"
    retryable = True


class TransientFailure(RuntimeError):
    """Raised out of the handler so Lambda retries the invocation (then its OnFailure queue)."""

    def __init__(self, cause: KvsPathError) -> None:
        super().__init__(f"{cause.reason}: {cause}")
        self.cause = cause
