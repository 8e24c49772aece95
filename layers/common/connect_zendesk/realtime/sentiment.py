"""The sentiment step: analyse new transcript segments, keep each contact's aggregate, raise alerts.

Input is a batch from the Transcripts table's stream (NEW_IMAGE). For every inserted or replaced
segment not yet analysed, the configured analyser gives key phrases and entities, and sentiment too
unless the segment already carries the Contact Lens sentiment (never re-analysed). The results are
written back on the segments (a batch write; the write-back carries `analyzedAt`, by which the
function recognises its own stream records and skips them). Each contact touched is then
re-aggregated from all its stored segments — per-speaker counts, mean score and the trend of the last
utterances, top key phrases — so replays and out-of-order batches always give the same aggregate.
When N customer utterances in a row are NEGATIVE (a batch may hold a whole stretch of the call, so
the latest such run is found anywhere, not only at the end), one alert per run goes to the panel (and
the supervisors' SNS topic when configured); the streak is claimed on the Contacts record first, so a
retried batch does not alert twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import ServiceError, StorageError
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.analysis import Analyser, Analysis, Document
from connect_zendesk.realtime.segments import SENTIMENTS, Segment, TranscriptWriter
from connect_zendesk.realtime.stream_records import TableStreamRecord

TREND_LENGTH = 10
TOP_PHRASES = 10
SPEAKERS = ("CUSTOMER", "AGENT")
LABEL_SCORE = {"POSITIVE": 1.0, "NEGATIVE": -1.0, "NEUTRAL": 0.0, "MIXED": 0.0}
AGGREGATE_ATTRIBUTES = ("speaker", "sentiment", "sentimentScore", "keyPhrases", "segmentId")


class SegmentReader(Protocol):
    def contact_segments(self, contact_id: str, attributes: Sequence[str] = ()) -> list[dict[str, Any]]: ...


class SentimentContacts(Protocol):
    def record_sentiment(
        self, contact_id: str, sentiment: Mapping[str, Any], key_phrases: list[Mapping[str, Any]]
    ) -> None: ...

    def claim_sentiment_alert(self, contact_id: str, streak_start: str, length: int) -> bool: ...


class Pusher(Protocol):
    def push(self, messages_by_contact: dict[str, list[dict[str, Any]]]) -> Any: ...


class AlertTopic(Protocol):
    def publish(self, subject: str, message: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class Aggregate:
    speakers: dict[str, dict[str, Any]]
    key_phrases: list[dict[str, Any]]
    negative_runs: list[tuple[str, int]]  # the customer's NEGATIVE runs: (first position, length), in order
    analysed: int
    ends_negative: bool = False  # the customer's last analysed utterance is NEGATIVE

    @property
    def negative_streak(self) -> int:
        """Length of the run the call currently ends with (0 when the last customer turn was not NEGATIVE)."""
        return self.negative_runs[-1][1] if self.negative_runs and self.ends_negative else 0

    def latest_run(self, at_least: int) -> tuple[str, int] | None:
        """The most recent run of at least `at_least` NEGATIVE customer utterances (a batch may hold a
        whole stretch of the call, so the run need not be the one the call currently ends with)."""
        runs = [run for run in self.negative_runs if run[1] >= at_least]
        return runs[-1] if runs else None


def segment_score(sentiment: str | None, scores: Mapping[str, Any] | None) -> float | None:
    """-1..1: Positive minus Negative when scores are known, else the label's value."""
    if scores and "Positive" in scores and "Negative" in scores:
        return round(float(scores["Positive"]) - float(scores["Negative"]), 4)
    if sentiment in LABEL_SCORE:
        return LABEL_SCORE[sentiment]
    return None


def aggregate(items: Sequence[Mapping[str, Any]]) -> Aggregate:
    """The contact's sentiment picture from its stored segments, in call order."""
    counts: dict[str, Counter[str]] = {speaker: Counter() for speaker in SPEAKERS}
    trends: dict[str, list[float]] = {speaker: [] for speaker in SPEAKERS}
    phrases: dict[str, dict[str, Any]] = {}
    runs: list[tuple[str, int]] = []
    in_run, analysed = False, 0
    for item in items:
        speaker = str(item.get("speaker", "")).upper()
        label = str(item.get("sentiment", "")).upper() or None
        score = segment_score(label, item.get("sentimentScore"))
        if speaker in counts and label in SENTIMENTS and score is not None:
            analysed += 1
            counts[speaker][label] += 1
            trends[speaker].append(score)
            if speaker == "CUSTOMER":
                if label == "NEGATIVE" and in_run:
                    runs[-1] = (runs[-1][0], runs[-1][1] + 1)
                elif label == "NEGATIVE":
                    runs.append((str(item.get("position", "")), 1))
                in_run = label == "NEGATIVE"
        for phrase in item.get("keyPhrases") or []:
            text = str(phrase.get("text", "")).strip() if isinstance(phrase, Mapping) else ""
            if not text:
                continue
            entry = phrases.setdefault(text.lower(), {"text": text, "score": 0.0, "count": 0})
            entry["count"] += 1
            entry["score"] = max(entry["score"], float(phrase.get("score", 0)))
    speakers = {
        speaker: {
            "counts": {label: counts[speaker][label] for label in SENTIMENTS},
            "score": round(sum(trends[speaker]) / len(trends[speaker]), 4) if trends[speaker] else 0.0,
            "trend": [round(value, 4) for value in trends[speaker][-TREND_LENGTH:]],
        }
        for speaker in SPEAKERS
    }
    top = sorted(phrases.values(), key=lambda p: (-p["count"], -p["score"], p["text"].lower()))[:TOP_PHRASES]
    return Aggregate(
        speakers, [{**p, "score": round(p["score"], 4)} for p in top], runs, analysed, ends_negative=in_run
    )


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


class SentimentStep:
    def __init__(
        self,
        *,
        analyser: Analyser,
        writer: TranscriptWriter,
        segments: SegmentReader,
        contacts: SentimentContacts,
        pusher: Pusher,
        alert_after: int,
        alert_topic: AlertTopic | None = None,
        clock: Callable[[], float],
    ) -> None:
        self._analyser = analyser
        self._writer = writer
        self._segments = segments
        self._contacts = contacts
        self._pusher = pusher
        self._alert_after = alert_after
        self._alert_topic = alert_topic
        self._clock = clock

    def process(self, records: Sequence[TableStreamRecord]) -> list[str]:
        failed: set[str] = set()
        pending: list[tuple[TableStreamRecord, Segment]] = []
        touched: dict[str, set[str]] = defaultdict(set)
        for record in records:
            if record.broken:
                logger.error(
                    "stream record without a readable image",
                    extra={"sequence_number": record.sequence_number},
                )
                failed.add(record.sequence_number)
                continue
            if record.event_name not in {"INSERT", "MODIFY"} or record.new_image is None:
                continue  # REMOVE (TTL expiry) needs nothing
            if "analyzedAt" in record.new_image:
                continue  # this function's own write-back: already aggregated when it was written
            try:
                segment = Segment.from_item(record.new_image)
            except (KeyError, TypeError, ValueError) as exc:
                logger.error(
                    "not a transcript segment",
                    extra={"reason": str(exc), "sequence_number": record.sequence_number},
                )
                failed.add(record.sequence_number)
                continue
            pending.append((record, segment))
            touched[segment.contact_id].add(record.sequence_number)

        panel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if pending:
            failed.update(self._analyse_and_store(pending, panel))
        for contact_id, sequence_numbers in touched.items():
            if sequence_numbers <= failed:
                continue
            try:
                self._refresh_contact(contact_id, panel[contact_id])
            except (StorageError, ServiceError) as exc:
                logger.error("sentiment aggregate not updated", extra={"reason": str(exc)})
                failed.update(sequence_numbers)
        self._pusher.push({contact: messages for contact, messages in panel.items() if messages})
        return sorted(failed)

    def _analyse_and_store(
        self, pending: list[tuple[TableStreamRecord, Segment]], panel: dict[str, list[dict[str, Any]]]
    ) -> set[str]:
        documents = [Document(s.text, s.language, want_sentiment=not s.sentiment) for _, s in pending]
        try:
            results = self._analyser.analyse(documents)
        except ServiceError as exc:
            logger.error("analysis unavailable", extra={"reason": str(exc), "backend": self._analyser.name})
            metrics.add_metric(name="AnalysisFailed", unit=MetricUnit.Count, value=len(pending))
            return {record.sequence_number for record, _ in pending}
        analysed = [
            self._annotated(segment, result) for (_, segment), result in zip(pending, results, strict=True)
        ]
        unsupported = sum(1 for r in results if r.note)
        if unsupported:
            metrics.add_metric(name="SegmentsNotAnalysed", unit=MetricUnit.Count, value=unsupported)
        metrics.add_metric(name="SegmentsAnalysed", unit=MetricUnit.Count, value=len(results) - unsupported)
        failed_keys = self._writer.write(analysed)
        failed: set[str] = set()
        for (record, segment), annotated in zip(pending, analysed, strict=True):
            if (segment.contact_id, segment.position) in failed_keys:
                failed.add(record.sequence_number)
            elif annotated.sentiment and annotated.sentiment_source == self._analyser.name:
                panel[segment.contact_id].append(
                    {
                        "type": "segmentSentiment",
                        "segmentId": segment.segment_id,
                        "sentiment": annotated.sentiment,
                        "sentimentSource": annotated.sentiment_source,
                    }
                )
        return failed

    def _annotated(self, segment: Segment, result: Analysis) -> Segment:
        analysis: dict[str, Any] = {
            "analyzedAt": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds"),
            "analysisBackend": self._analyser.name,
            "keyPhrases": [{"text": t, "score": Decimal(str(round(s, 4)))} for t, s in result.key_phrases],
        }
        if result.entities:
            analysis["entities"] = [{"text": t, "type": kind} for t, kind in result.entities]
        if result.note:
            analysis["analysisNote"] = result.note
        fields: dict[str, Any] = {}
        if not segment.sentiment and result.sentiment:
            fields = {
                "sentiment": result.sentiment,
                "sentiment_source": self._analyser.name,
                "sentiment_score": result.scores,
            }
        return Segment(
            **{
                **{name: getattr(segment, name) for name in segment.__dataclass_fields__},
                **fields,
                "analysis": {**segment.analysis, **analysis},
            }
        )

    def _refresh_contact(self, contact_id: str, messages: list[dict[str, Any]]) -> None:
        items = self._segments.contact_segments(contact_id, AGGREGATE_ATTRIBUTES)
        result = aggregate(items)
        self._contacts.record_sentiment(contact_id, _decimals(result.speakers), _decimals(result.key_phrases))
        messages.append({"type": "sentiment", "speakers": result.speakers, "keyPhrases": result.key_phrases})
        run = result.latest_run(self._alert_after)
        if run is not None and self._contacts.claim_sentiment_alert(contact_id, run[0], run[1]):
            messages.append({"type": "alert", "kind": "negativeSentiment", "streak": run[1], "since": run[0]})
            metrics.add_metric(name="NegativeSentimentAlerts", unit=MetricUnit.Count, value=1)
            logger.info("negative sentiment alert", extra={"contact_id": contact_id, "streak": run[1]})
            self._notify_supervisors(contact_id, result, run[1])

    def _notify_supervisors(self, contact_id: str, result: Aggregate, streak: int) -> None:
        if self._alert_topic is None:
            return
        try:
            self._alert_topic.publish(
                "Customer sentiment turned negative",
                {
                    "contactId": contact_id,
                    "negativeUtterancesInARow": streak,
                    "customerScore": result.speakers["CUSTOMER"]["score"],
                    "keyPhrases": ", ".join(p["text"] for p in result.key_phrases[:5]),
                },
            )
        except StorageError as exc:  # the panel already has the alert; SNS is a copy for supervisors
            logger.warning("supervisor alert not published", extra={"reason": str(exc)})
            metrics.add_metric(name="AlertPublishFailed", unit=MetricUnit.Count, value=1)
