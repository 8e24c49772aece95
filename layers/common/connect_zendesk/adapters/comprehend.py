"""Amazon Comprehend: PII spans (for redaction) and entities (for analytics) in call text.

Texts are sent in chunks under Comprehend's 100 KB limit, cut at line ends so no entity is split;
offsets come back relative to the whole text. moto does not implement these APIs: locally the
features stay off, and tests fake this adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.domain.call_text import comprehend_language
from connect_zendesk.domain.post_call_ports import AnalysisUnavailable, TextSpan, UnsupportedLanguage

MAX_CHUNK_BYTES = 90_000  # DetectPiiEntities and DetectEntities accept 100 KB of UTF-8
PII_LANGUAGES = frozenset({"en", "es"})
ENTITY_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})


class ComprehendAnalyzer:
    def detect_pii(self, text: str, language: str) -> list[TextSpan]:
        code = comprehend_language(language)
        if code not in PII_LANGUAGES:
            raise UnsupportedLanguage(f"Comprehend PII detection does not support {code}")
        spans = []
        for offset, chunk in _chunks(text):
            response = _call("DetectPiiEntities", Text=chunk, LanguageCode=code)
            for entity in response.get("Entities", []):
                spans.append(
                    TextSpan(
                        type=str(entity["Type"]),
                        score=float(entity.get("Score", 0.0)),
                        begin=offset + int(entity["BeginOffset"]),
                        end=offset + int(entity["EndOffset"]),
                    )
                )
        return spans

    def detect_entities(self, text: str, language: str) -> list[tuple[TextSpan, str]]:
        code = comprehend_language(language)
        if code not in ENTITY_LANGUAGES:
            return []
        found = []
        for offset, chunk in _chunks(text):
            response = _call("DetectEntities", Text=chunk, LanguageCode=code)
            for entity in response.get("Entities", []):
                span = TextSpan(
                    type=str(entity["Type"]),
                    score=float(entity.get("Score", 0.0)),
                    begin=offset + int(entity["BeginOffset"]),
                    end=offset + int(entity["EndOffset"]),
                )
                found.append((span, str(entity.get("Text", chunk[span.begin - offset : span.end - offset]))))
        return found


def _call(operation: str, **request: str) -> dict[str, Any]:
    client = aws_client("comprehend", "batch")
    method = getattr(client, "detect_pii_entities" if operation == "DetectPiiEntities" else "detect_entities")
    try:
        response: dict[str, Any] = method(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise AnalysisUnavailable(f"Comprehend {operation} failed: {code}") from None
    except BotoCoreError as exc:
        raise AnalysisUnavailable(f"Comprehend {operation} failed: {type(exc).__name__}") from None
    return response


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
