"""Doubles for the real-time tests: a recording WebSocket gateway, a scripted analyser, an SNS topic."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from connect_zendesk.adapters.panel_gateway import ConnectionGone, PushFailed
from connect_zendesk.realtime.analysis import Analysis, Document


class FakeGateway:
    """@connections stand-in: records frames per connection; some connections are gone or failing."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.failing: set[str] = set()
        self.closed: list[str] = []  # @connections DELETE
        self._lock = threading.Lock()

    def close(self, connection_id: str) -> None:
        with self._lock:
            self.closed.append(connection_id)

    def post(self, connection_id: str, data: bytes) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        if connection_id in self.failing:
            raise PushFailed("throttled")
        with self._lock:
            self.frames.setdefault(connection_id, []).append(json.loads(data))

    def messages(self, connection_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        found = [m for frame in self.frames.get(connection_id, []) for m in frame["messages"]]
        return [m for m in found if kind is None or m["type"] == kind]


class ScriptedAnalyser:
    """Answers by keyword: 'angry' NEGATIVE, 'thanks' POSITIVE, else NEUTRAL; records every call."""

    name = "local"

    def __init__(self) -> None:
        self.calls: list[list[Document]] = []
        self.fail_with: Exception | None = None

    def analyse(self, documents: Sequence[Document]) -> list[Analysis]:
        self.calls.append(list(documents))
        if self.fail_with is not None:
            raise self.fail_with
        results = []
        for document in documents:
            label = (
                "NEGATIVE"
                if "angry" in document.text
                else "POSITIVE"
                if "thanks" in document.text
                else "NEUTRAL"
            )
            scores = {
                "Positive": 0.9 if label == "POSITIVE" else 0.05,
                "Negative": 0.9 if label == "NEGATIVE" else 0.05,
            }
            phrases = tuple((word, 0.5) for word in document.text.split()[:2])
            if document.want_sentiment:
                results.append(
                    Analysis(
                        sentiment=label, scores={**scores, "Neutral": 0.05, "Mixed": 0.0}, key_phrases=phrases
                    )
                )
            else:
                results.append(Analysis(key_phrases=phrases))
        return results


class FakeAlertTopic:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, subject: str, message: Any) -> None:
        self.published.append((subject, dict(message)))
