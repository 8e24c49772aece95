"""Sentiment of each speaker over the call, in the shape Comprehend uses, with a trend.

Preferred source: the per-speaker aggregate the sentiment step stores on the contact (score, counts,
trend). Without it, the labels Contact Lens (or the sentiment step) put on each transcript segment.
Without either, nothing is known and nothing is made up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connect_zendesk.domain.call_record import SENTIMENTS, ContactRecord, TranscriptSegment

TREND_POINTS = 10
TREND_THRESHOLD = 0.2  # change of the mean score between the call's halves that counts as a trend
_VALUE = {"POSITIVE": 1.0, "NEGATIVE": -1.0, "NEUTRAL": 0.0, "MIXED": 0.0}
_SCORE_KEYS = {"POSITIVE": "Positive", "NEGATIVE": "Negative", "NEUTRAL": "Neutral", "MIXED": "Mixed"}


@dataclass(frozen=True)
class SpeakerMood:
    label: str = ""  # POSITIVE, NEGATIVE, NEUTRAL, MIXED; "" when unknown
    scores: Mapping[str, float] | None = None  # {Positive, Negative, Neutral, Mixed}
    score: float | None = None  # -1..1
    trend: tuple[float, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.label)

    @property
    def direction(self) -> str:
        """improving, worsening, steady ("" with fewer than two points)."""
        if len(self.trend) < 2:
            return ""
        half = len(self.trend) // 2
        first = sum(self.trend[:half]) / half
        last = sum(self.trend[half:]) / (len(self.trend) - half)
        if last - first > TREND_THRESHOLD:
            return "improving"
        if first - last > TREND_THRESHOLD:
            return "worsening"
        return "steady"

    def comprehend_shape(self) -> dict[str, object]:
        return {"Sentiment": self.label or None, "SentimentScore": dict(self.scores) if self.scores else None}


def speaker_mood(speaker: str, contact: ContactRecord, segments: Sequence[TranscriptSegment]) -> SpeakerMood:
    own = [s for s in segments if s.speaker == speaker]
    labelled = [s for s in own if s.sentiment]
    stored = contact.sentiment.get(speaker)
    if stored is not None and (stored.counts or stored.score is not None):
        counts = Counter({k: v for k, v in stored.counts.items() if k in SENTIMENTS})
        scores = _mean_scores(labelled) or _shares(counts)
        trend = stored.trend[-TREND_POINTS:]
        score = stored.score
    elif labelled:
        counts = Counter(s.sentiment for s in labelled)
        scores = _mean_scores(labelled) or _shares(counts)
        values = [_VALUE[s.sentiment] for s in labelled]
        trend = tuple(values[-TREND_POINTS:])
        score = sum(values) / len(values)
    else:
        return SpeakerMood()
    if not scores:
        return SpeakerMood(score=score, trend=trend)
    label = max(SENTIMENTS, key=lambda name: (scores.get(_SCORE_KEYS[name], 0.0), name == "NEUTRAL"))
    return SpeakerMood(label=label, scores=scores, score=score, trend=trend)


def _mean_scores(segments: Sequence[TranscriptSegment]) -> dict[str, float] | None:
    scored = [s.sentiment_score for s in segments if s.sentiment_score]
    if not scored:
        return None
    return {
        name: round(sum(float(score.get(name, 0.0)) for score in scored) / len(scored), 4)
        for name in _SCORE_KEYS.values()
    }


def _shares(counts: Counter[str]) -> dict[str, float] | None:
    total = sum(counts.values())
    if total == 0:
        return None
    return {_SCORE_KEYS[name]: round(counts.get(name, 0) / total, 4) for name in SENTIMENTS}
