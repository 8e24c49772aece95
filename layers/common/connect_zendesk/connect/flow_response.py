"""Responses for the "Invoke AWS Lambda function" block: a flat map of strings under 32 KB.

Every response carries every key its contract names (empty when not applicable), so a flow can
test `$.External.<key>` without caring which branch produced it.
"""

from __future__ import annotations

import enum
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from connect_zendesk.connect.contracts import FlowContract

MAX_RESPONSE_BYTES = 30 * 1024  # Connect's limit is 32 KB; keep headroom for its own envelope
MAX_VALUE_CHARS = 1024


class LambdaResult(enum.StrEnum):
    SUCCESS = "Success"
    NOT_FOUND = "NotFound"
    SKIPPED = "Skipped"
    ERROR = "Error"


@dataclass(frozen=True)
class FlowOutcome:
    result: LambdaResult
    values: Mapping[str, str | int] = field(default_factory=dict)

    @classmethod
    def error(cls, error_type: str) -> FlowOutcome:
        return cls(LambdaResult.ERROR, {"errorType": error_type})

    @classmethod
    def skipped(cls, reason: str) -> FlowOutcome:
        return cls(LambdaResult.SKIPPED, {"skipReason": reason})


def build_response(contract: FlowContract, outcome: FlowOutcome) -> dict[str, str]:
    unknown = set(outcome.values) - set(contract.returns)
    if unknown:
        raise ValueError(f"{contract.function} does not declare returned keys {sorted(unknown)}")
    response = dict.fromkeys(contract.returns, "")
    response.update({key: _flat(value) for key, value in outcome.values.items()})
    response["lambdaResult"] = outcome.result.value
    return _within_size(response)


def _flat(value: str | int) -> str:
    text = str(value)
    # Control characters (other than plain spaces) break prompts and some flow blocks.
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return text[:MAX_VALUE_CHARS]


def _within_size(response: dict[str, str]) -> dict[str, str]:
    while len(json.dumps(response, ensure_ascii=False).encode("utf-8")) > MAX_RESPONSE_BYTES:
        longest = max(response, key=lambda k: len(response[k]))
        response[longest] = response[longest][: len(response[longest]) // 2]
    return response
