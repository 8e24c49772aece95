"""Sentiment and key-phrase analysis backends, chosen by configuration (SENTIMENT_BACKEND).

- `comprehend`: Amazon Comprehend's batch APIs in the segment's language (en, es, fr, de, it, pt,
  ar, hi, ja, ko, zh, zh-TW). Segments in other languages get no sentiment (`UnsupportedLanguage`).
- `local`: offline, for the local stack (moto's Comprehend answers canned values) or deployments
  without Comprehend. English only: VADER (vaderSentiment, a lexicon bundled with the package) for
  sentiment and a RAKE-style extractor for key phrases. Segments in any other language are marked
  `UnsupportedLanguage` and get no sentiment rather than a made-up NEUTRAL; no entities are extracted.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connect_zendesk.adapters.comprehend import ComprehendClient

UNSUPPORTED_LANGUAGE = "UnsupportedLanguage"
REJECTED = "Rejected"
COMPREHEND_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"})
MAX_PHRASES_PER_SEGMENT = 5


@dataclass(frozen=True)
class Document:
    text: str
    language: str  # BCP 47, e.g. en-US
    want_sentiment: bool  # False when the segment already carries the Contact Lens sentiment


@dataclass(frozen=True)
class Analysis:
    sentiment: str | None = None
    scores: dict[str, float] | None = None
    key_phrases: tuple[tuple[str, float], ...] = ()
    entities: tuple[tuple[str, str], ...] = ()
    note: str = ""  # why there is no sentiment: UnsupportedLanguage, Rejected


class Analyser(Protocol):
    name: str

    def analyse(self, documents: Sequence[Document]) -> list[Analysis]: ...


def comprehend_language(language: str) -> str | None:
    """en-US -> en, zh-TW/zh-HK -> zh-TW, zh-CN -> zh; None when Comprehend does not read it."""
    parts = language.replace("_", "-").split("-")
    primary = parts[0].lower()
    if primary == "zh" and len(parts) > 1 and parts[1].upper() in {"TW", "HK", "MO", "HANT"}:
        return "zh-TW"
    return primary if primary in COMPREHEND_LANGUAGES else None


class ComprehendAnalyser:
    name = "comprehend"

    def __init__(self, client: ComprehendClient | None = None) -> None:
        self._client = client or ComprehendClient()

    def analyse(self, documents: Sequence[Document]) -> list[Analysis]:
        results = [Analysis(note=UNSUPPORTED_LANGUAGE) for _ in documents]
        by_language: dict[str, list[int]] = defaultdict(list)
        for index, document in enumerate(documents):
            code = comprehend_language(document.language)
            if code is not None:
                by_language[code].append(index)
        for code, indexes in by_language.items():
            texts = [documents[i].text for i in indexes]
            wanting = [n for n, i in enumerate(indexes) if documents[i].want_sentiment]
            sentiments = self._client.sentiment([texts[n] for n in wanting], code) if wanting else {}
            phrases = self._client.key_phrases(texts, code)
            entities = self._client.entities(texts, code)
            sentiment_of = {wanting[k]: v for k, v in sentiments.items()}
            for n, index in enumerate(indexes):
                results[index] = _from_comprehend(
                    sentiment_of.get(n), phrases.get(n), entities.get(n), documents[index].want_sentiment
                )
        return results


def _from_comprehend(
    sentiment: dict[str, Any] | None,
    phrases: dict[str, Any] | None,
    entities: dict[str, Any] | None,
    wanted: bool,
) -> Analysis:
    key_phrases = tuple(
        (str(p["Text"]), float(p.get("Score", 0)))
        for p in sorted((phrases or {}).get("KeyPhrases", []), key=lambda p: -float(p.get("Score", 0)))
        if p.get("Text")
    )[:MAX_PHRASES_PER_SEGMENT]
    found = tuple(
        dict.fromkeys(
            (str(e["Text"]), str(e.get("Type", "OTHER")))
            for e in (entities or {}).get("Entities", [])
            if e.get("Text")
        )
    )
    if not wanted:
        return Analysis(key_phrases=key_phrases, entities=found)
    if sentiment is None:
        return Analysis(key_phrases=key_phrases, entities=found, note=REJECTED)
    scores = {str(k): float(v) for k, v in (sentiment.get("SentimentScore") or {}).items()}
    return Analysis(
        sentiment=str(sentiment.get("Sentiment", "")).upper() or None,
        scores=scores or None,
        key_phrases=key_phrases,
        entities=found,
    )


class LocalAnalyser:
    name = "local"
    POSITIVE_AT = 0.05  # VADER's documented compound thresholds
    NEGATIVE_AT = -0.05
    MIXED_AT = 0.25  # both positive and negative shares at least this: MIXED

    def analyse(self, documents: Sequence[Document]) -> list[Analysis]:
        return [self._one(document) for document in documents]

    def _one(self, document: Document) -> Analysis:
        if not document.language.lower().startswith("en"):
            return Analysis(note=UNSUPPORTED_LANGUAGE)
        phrases = rake_phrases(document.text)[:MAX_PHRASES_PER_SEGMENT]
        if not document.want_sentiment:
            return Analysis(key_phrases=phrases)
        polarity = _vader().polarity_scores(document.text)
        positive, negative, neutral = polarity["pos"], polarity["neg"], polarity["neu"]
        compound = polarity["compound"]
        if positive >= self.MIXED_AT and negative >= self.MIXED_AT:
            label = "MIXED"
        elif compound >= self.POSITIVE_AT:
            label = "POSITIVE"
        elif compound <= self.NEGATIVE_AT:
            label = "NEGATIVE"
        else:
            label = "NEUTRAL"
        scores = {"Positive": positive, "Negative": negative, "Neutral": neutral, "Mixed": 0.0}
        return Analysis(sentiment=label, scores=scores, key_phrases=phrases)


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: PLC0415 - local backend only

    return SentimentIntensityAnalyzer()


def analyser_for(backend: str) -> Analyser:
    if backend == "local":
        return LocalAnalyser()
    return ComprehendAnalyser()


# ---------------------------------------------------------------------------- offline key phrases
_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just let me
more most my myself no nor not now of off on once only or other our ours ourselves out over own same
she should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves hello hi hey yes yeah ok okay please thanks thank sure well
oh um uh like also really get got go going know think want need one two still yet i'm i've i'll i'd
it's that's you're we're they're don't can't won't didn't isn't wasn't couldn't doesn't there's
what's let's"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_APOSTROPHES = str.maketrans({"\u2019": "'"})
_WORD = re.compile("[A-Za-z0-9][A-Za-z0-9'\u2019-]*")
_BREAK = re.compile(r"[.,;:!?()\[\]\"“”…]+")


def rake_phrases(text: str, max_words: int = 3) -> tuple[tuple[str, float], ...]:
    """Candidate phrases (runs of content words between stopwords and punctuation), RAKE-scored 0..1."""
    candidates: list[list[str]] = []
    for chunk in _BREAK.split(text):
        run: list[str] = []
        for word in _WORD.findall(chunk):
            lower = word.lower().translate(_APOSTROPHES)
            if lower in _STOPWORDS or (len(lower) < 3 and not lower.isdigit()):
                if run:
                    candidates.append(run)
                run = []
            else:
                run.append(word)
        if run:
            candidates.append(run)
    phrases = [run[i : i + max_words] for run in candidates for i in range(0, len(run), max_words)]
    phrases = [p for p in phrases if not all(w.isdigit() for w in p)]
    if not phrases:
        return ()
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            frequency[word.lower()] += 1
            degree[word.lower()] += len(phrase)
    scored = {
        " ".join(phrase): sum(degree[w.lower()] / frequency[w.lower()] for w in phrase) for phrase in phrases
    }
    best = max(scored.values())
    ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
    return tuple((phrase, round(score / best, 3)) for phrase, score in ranked)
