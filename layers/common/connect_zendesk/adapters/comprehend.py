"""Amazon Comprehend's batch APIs (sentiment, key phrases, entities), 25 documents a request.

Documents over Comprehend's 5,000-byte limit are cut at a character boundary. A document Comprehend
rejects (its ErrorList) gets no result; a throttled or failed request raises AnalysisUnavailable so
the stream records are retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.errors import ServiceError

BATCH_LIMIT = 25
MAX_DOCUMENT_BYTES = 4900  # Comprehend's limit is 5,000 UTF-8 bytes per document


class AnalysisUnavailable(ServiceError):
    error_type = "AnalysisUnavailable"


def fit(text: str, limit: int = MAX_DOCUMENT_BYTES) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


class ComprehendClient:
    def _call(self, operation: str, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        results: dict[int, dict[str, Any]] = {}
        client = aws_client("comprehend", "batch")
        for start in range(0, len(texts), BATCH_LIMIT):
            chunk = [fit(text) for text in texts[start : start + BATCH_LIMIT]]
            try:
                answer = getattr(client, operation)(TextList=chunk, LanguageCode=language)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                raise AnalysisUnavailable(f"Comprehend {operation} failed: {code}") from None
            except BotoCoreError as exc:
                raise AnalysisUnavailable(f"Comprehend {operation} failed: {type(exc).__name__}") from None
            for result in answer.get("ResultList", []):
                results[start + int(result["Index"])] = result
        return results

    def sentiment(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_sentiment", texts, language)

    def key_phrases(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_key_phrases", texts, language)

    def entities(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_entities", texts, language)
