"""The kvs_transcriber event: what start_streaming (or the previous invocation) asks it to do.

One job per invocation. A continuation carries the same run id, the next sequence number, the last
fragment the previous invocation read and the exact sample it transcribed up to (the fragment is read
again and only what follows that sample is sent), plus the call's time base, so offsets stay measured
from the same instant across invocations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from connect_zendesk.untrusted import EVENT, UntrustedInput, check_shape

_CONTACT_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}$")
_STREAM_ARN: Final = re.compile(r"^arn:aws[a-z-]*:kinesisvideo:[a-z0-9-]*:\d{12}:stream/[A-Za-z0-9_.-]+/\d+$")
_FRAGMENT: Final = re.compile(r"^\d{1,128}$")
_LANGUAGE: Final = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_VOCABULARY: Final = re.compile(r"^[0-9A-Za-z._-]{1,200}$")
_RUN_ID: Final = re.compile(r"^[0-9A-Za-z-]{1,64}$")
KIND: Final = "kvs-transcription"
MAX_SEQUENCE: Final = 10_000  # 10,000 invocations of 15 minutes: far past any call, bounds a runaway loop


class InvalidJob(ValueError):
    """The event is not a kvs_transcriber job; retrying it cannot help."""


@dataclass(frozen=True)
class TranscriptionJob:
    contact_id: str
    stream_arn: str
    start_fragment_number: str
    language: str
    run_id: str
    sequence: int = 0
    resume_at_sample: int = 0  # a continuation: audio before this sample (from the time base) is done
    time_base_ms: int | None = None  # epoch ms of offset 0 (Connect's StartTimestamp)
    vocabulary: str = ""
    instance_arn: str = ""

    @property
    def lease_token(self) -> str:
        """Names this invocation in the progress record, so only it may take a handed-over lease."""
        return f"{self.run_id}#{self.sequence}"

    def continuation(
        self, last_fragment_number: str, resume_at_sample: int, time_base_ms: int | None
    ) -> TranscriptionJob:
        return replace(
            self,
            sequence=self.sequence + 1,
            start_fragment_number=last_fragment_number,
            resume_at_sample=resume_at_sample,
            time_base_ms=time_base_ms,
        )

    def to_event(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "kind": KIND,
            "contactId": self.contact_id,
            "streamArn": self.stream_arn,
            "startFragmentNumber": self.start_fragment_number,
            "resumeAtSample": self.resume_at_sample,
            "language": self.language,
            "runId": self.run_id,
            "sequence": self.sequence,
        }
        if self.time_base_ms is not None:
            event["timeBaseMs"] = self.time_base_ms
        if self.vocabulary:
            event["vocabulary"] = self.vocabulary
        if self.instance_arn:
            event["instanceArn"] = self.instance_arn
        return event

    @classmethod
    def from_event(cls, event: Any) -> TranscriptionJob:
        if not isinstance(event, Mapping) or event.get("kind") != KIND:
            raise InvalidJob("event is not a kvs_transcriber job (kind != kvs-transcription)")
        try:
            check_shape(event, EVENT)
        except UntrustedInput as exc:
            raise InvalidJob(f"event refused: {exc}") from None
        contact_id = _field(event, "contactId", _CONTACT_ID)
        stream_arn = _field(event, "streamArn", _STREAM_ARN)
        fragment = _field(event, "startFragmentNumber", _FRAGMENT)
        language = _field(event, "language", _LANGUAGE)
        run_id = _field(event, "runId", _RUN_ID)
        vocabulary = event.get("vocabulary") or ""
        if vocabulary and not (isinstance(vocabulary, str) and _VOCABULARY.match(vocabulary)):
            raise InvalidJob("vocabulary is not a Transcribe vocabulary name")
        sequence = event.get("sequence", 0)
        if not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence <= MAX_SEQUENCE:
            raise InvalidJob(f"sequence must be an integer between 0 and {MAX_SEQUENCE}")
        resume = event.get("resumeAtSample", 0)
        if not isinstance(resume, int) or isinstance(resume, bool) or resume < 0:
            raise InvalidJob("resumeAtSample must be a sample count")
        time_base = event.get("timeBaseMs")
        if time_base is not None and (not isinstance(time_base, int) or isinstance(time_base, bool)):
            raise InvalidJob("timeBaseMs must be epoch milliseconds")
        instance_arn = event.get("instanceArn") or ""
        return cls(
            contact_id=contact_id,
            stream_arn=stream_arn,
            start_fragment_number=fragment,
            language=language,
            run_id=run_id,
            sequence=sequence,
            resume_at_sample=resume,
            time_base_ms=time_base,
            vocabulary=vocabulary,
            instance_arn=instance_arn if isinstance(instance_arn, str) else "",
        )


def _field(event: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidJob(f"{name} is missing or malformed")
    return value


def is_stream_arn(value: str) -> bool:
    return bool(_STREAM_ARN.match(value))


def is_fragment_number(value: str) -> bool:
    return bool(_FRAGMENT.match(value))
