"""Amazon Comprehend: batch sentiment, key phrases and entities for live segments (25 documents a
request), and PII spans and entities in a whole call's text for the post-call note and analytics.

Batch documents over the 5,000-byte limit are cut at a character boundary; a document Comprehend
rejects (its ErrorList) gets no result. Whole-call texts are sent in chunks under the 100 KB limit,
cut at line ends so no entity is split, and offsets come back relative to the whole text. A
throttled or failed request raises AnalysisUnavailable, so the caller retries later. moto does not
implement the PII and entity APIs: locally those features stay off, and tests fake this adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.domain.call_text import comprehend_language
from connect_zendesk.domain.post_call_ports import TextSpan, UnsupportedLanguage
from connect_zendesk.errors import AnalysisUnavailable

BATCH_LIMIT = 25
MAX_DOCUMENT_BYTES = 4900  # the batch APIs take 5,000 UTF-8 bytes per document
MAX_CHUNK_BYTES = 90_000  # DetectPiiEntities and DetectEntities accept 100 KB of UTF-8
PII_LANGUAGES = frozenset({"en", "es"})
ENTITY_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})

__all__ = ["AnalysisUnavailable", "ComprehendAnalyzer", "ComprehendClient", "fit"]


def fit(text: str, limit: int = MAX_DOCUMENT_BYTES) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def _request(operation: str, call: Callable[..., dict[str, Any]], **request: Any) -> dict[str, Any]:
    try:
        return call(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise AnalysisUnavailable(f"Comprehend {operation} failed: {code}") from None
    except BotoCoreError as exc:
        raise AnalysisUnavailable(f"Comprehend {operation} failed: {type(exc).__name__}") from None


# ---------------------------------------------------------------------------- live segments (batch)
class ComprehendClient:
    def _call(self, operation: str, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        results: dict[int, dict[str, Any]] = {}
        client = aws_client("comprehend", "batch")
        for start in range(0, len(texts), BATCH_LIMIT):
            chunk = [fit(text) for text in texts[start : start + BATCH_LIMIT]]
            answer = _request(operation, getattr(client, operation), TextList=chunk, LanguageCode=language)
            for result in answer.get("ResultList", []):
                results[start + int(result["Index"])] = result
        return results

    def sentiment(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_sentiment", texts, language)

    def key_phrases(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_key_phrases", texts, language)

    def entities(self, texts: Sequence[str], language: str) -> dict[int, dict[str, Any]]:
        return self._call("batch_detect_entities", texts, language)


# ---------------------------------------------------------------------------- a whole call's text
class ComprehendAnalyzer:
    def detect_pii(self, text: str, language: str) -> list[TextSpan]:
        code = comprehend_language(language)
        if code not in PII_LANGUAGES:
            raise UnsupportedLanguage(f"Comprehend PII detection does not support {code}")
        return [span for span, _ in self._detect("DetectPiiEntities", text, code)]

    def detect_entities(self, text: str, language: str) -> list[tuple[TextSpan, str]]:
        code = comprehend_language(language)
        if code not in ENTITY_LANGUAGES:
            return []
        return self._detect("DetectEntities", text, code)

    @staticmethod
    def _detect(operation: str, text: str, code: str) -> list[tuple[TextSpan, str]]:
        client = aws_client("comprehend", "batch")
        method = client.detect_pii_entities if operation == "DetectPiiEntities" else client.detect_entities
        found = []
        for offset, chunk in _chunks(text):
            response = _request(operation, method, Text=chunk, LanguageCode=code)
            for entity in response.get("Entities", []):
                span = TextSpan(
                    type=str(entity["Type"]),
                    score=float(entity.get("Score", 0.0)),
                    begin=offset + int(entity["BeginOffset"]),
                    end=offset + int(entity["EndOffset"]),
                )
                found.append((span, str(entity.get("Text", chunk[span.begin - offset : span.end - offset]))))
        return found


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """(character offset, chunk) pieces of `text`, each under MAX_CHUNK_BYTES, cut after a newline."""
    start = 0
    while start < len(text):
        end = start
        size = 0
        while end < len(text):
            line_end = text.find("\n", end)
            line_end = len(text) if line_end < 0 else line_end + 1
            line_size = len(text[end:line_end].encode())
            if size + line_size > MAX_CHUNK_BYTES:
                break
            size += line_size
            end = line_end
        if end == start:  # one line longer than a chunk: cut it by characters
            end = start + _prefix_chars(text[start:], MAX_CHUNK_BYTES)
        yield start, text[start:end]
        start = end


def _prefix_chars(text: str, max_bytes: int) -> int:
    used = 0
    for index, char in enumerate(text):
        used += len(char.encode())
        if used > max_bytes:
            return max(index, 1)
    return len(text)
