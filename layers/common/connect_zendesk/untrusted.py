"""One bounded reader for everything that comes from outside: JSON text, decoded events, times.

`json.loads` recurses in C and raises RecursionError on input nested a few thousand deep, accepts
NaN and Infinity (and reads 1e400 as infinity), and converts integers of any length. Code that
walks the result recursively (DynamoDB marshalling, the logger, our own readers) then fails on
shapes no producer sends. So every untrusted body goes through `decode_json` (limits checked before
parsing, without recursion), and every event the Lambda runtime already decoded through
`check_shape` (an iterative walk). Both raise `UntrustedInput` with a reason that is safe to log:
it names the limit, never the content.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any, NoReturn

NOT_JSON = "body is not JSON"


class UntrustedInput(ValueError):
    """Input refused by a limit; retrying the same input cannot succeed."""

    error_type = "InvalidInput"

    @property
    def reason(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1024 * 1024  # Kinesis's record limit; SQS and WebSocket bodies are smaller
    max_depth: int = 32  # the deepest sample or reference event (a Contact Lens chat record) has 11
    max_nodes: int = 200_000  # values of all kinds: bounds the work of walking a decoded event
    max_number_chars: int = 40  # DynamoDB numbers have 38 digits; longer ones are no measurement


BODY = Limits()
SMALL_BODY = Limits(max_bytes=64 * 1024, max_nodes=10_000)  # panel messages and token requests
TOKEN_PART = Limits(max_bytes=8 * 1024, max_depth=4, max_nodes=200)  # a JWT's header or claims
# Lambda's synchronous payload limit (6 MB); Lex and Connect events are far smaller.
EVENT = Limits(max_bytes=6 * 1024 * 1024, max_depth=32, max_nodes=200_000)

# Depth scanning works on UTF-8 bytes with C-speed operations only (no Python loop per character).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = [0] * 256
for _opener in b"[{":
    _BRACKET_STEP[_opener] = 1
for _closer in b"]}":
    _BRACKET_STEP[_closer] = -1


def decode_json(raw: str | bytes | bytearray, limits: Limits = BODY) -> Any:
    """The JSON value of an untrusted body, or UntrustedInput saying which limit it broke."""
    if isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            _refuse("body is not UTF-8")
    else:
        text = raw
        data = text.encode("utf-8", "surrogatepass")  # lone surrogates count as the 3 bytes they take
    if len(data) > limits.max_bytes:
        _refuse(f"body of {len(data)} bytes exceeds {limits.max_bytes}")
    _check_nesting(data, limits.max_depth)
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=lambda digits: _bounded_int(digits, limits.max_number_chars),
            parse_float=lambda digits: _bounded_float(digits, limits.max_number_chars),
        )
    except UntrustedInput:
        raise
    except RecursionError:  # unreachable after the nesting check; kept so no input can raise it
        _refuse(f"body nested deeper than {limits.max_depth}")
    except ValueError:
        _refuse(NOT_JSON)


def decode_json_object(raw: str | bytes | bytearray, limits: Limits = BODY) -> dict[str, Any]:
    value = decode_json(raw, limits)
    if not isinstance(value, dict):
        _refuse("body is not a JSON object")
    return value


def check_shape(value: Any, limits: Limits = EVENT) -> None:
    """Refuse an already decoded event that is too deep, too large, or holds NaN or Infinity.

    Iterative, one level at a time, so a value nested a million deep, or one holding itself, is
    refused instead of exhausting the interpreter's stack.
    """
    level: list[Any] = [value]
    depth = 1  # of the containers in `level`, counted like the brackets of decode_json
    nodes = 0
    size = 0
    while level:
        nodes += len(level)
        if nodes > limits.max_nodes:
            _refuse(f"event holds more than {limits.max_nodes} values")
        below: list[Any] = []
        for item in level:
            children = _children(item)
            if children is None:
                size += _text_size(item)
            elif depth > limits.max_depth:
                _refuse(f"event nested deeper than {limits.max_depth}")
            else:
                below.extend(children)
        if size > limits.max_bytes:
            _refuse(f"event exceeds {limits.max_bytes} bytes of text")
        level = below
        depth += 1


_SCALARS = (str, int, type(None))  # the common leaves, checked first: isinstance on an ABC is slow


def _children(item: Any) -> list[Any] | None:
    """The keys and values of a container; None for a scalar."""
    if isinstance(item, _SCALARS):
        return None
    if isinstance(item, dict):
        return [*item, *item.values()]
    if isinstance(item, list):
        return item
    if isinstance(item, Mapping):
        return [*item.keys(), *item.values()]
    if isinstance(item, (tuple, set, frozenset)):
        return list(item)
    return None


def _text_size(item: Any) -> int:
    """Characters of text, and a refusal for numbers that are no numbers."""
    if isinstance(item, (str, bytes, bytearray)):
        return len(item)
    if (isinstance(item, float) and not math.isfinite(item)) or (
        isinstance(item, Decimal) and not item.is_finite()
    ):
        _refuse("event holds NaN or Infinity, which is not a JSON number")
    return 0


# ---------------------------------------------------------------------------- times from outside
MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can represent


def epoch_seconds(value: Any, what: str) -> float:
    """A point in time sent as epoch seconds: a finite number between 1970 and 9999."""
    return bounded_number(value, what, low=0, high=MAX_EPOCH_SECONDS)


def bounded_number(value: Any, what: str, *, low: float, high: float) -> float:
    """A finite JSON number within [low, high], else UntrustedInput naming `what`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        _refuse(f"{what} is not a number")
    if isinstance(value, int):
        # int > 2**1024 cannot become a float; compare as int first
        if not low <= value <= high:
            _refuse(f"{what} is out of range")
        return float(value)
    number = float(value)
    if not math.isfinite(number):
        _refuse(f"{what} is NaN or infinite")
    if not low <= number <= high:
        _refuse(f"{what} is out of range")
    return number


# ---------------------------------------------------------------------------- internals
def _refuse(reason: str) -> NoReturn:
    raise UntrustedInput(reason)


def _refuse_constant(name: str) -> NoReturn:
    _refuse(f"body holds {name}, which is not a JSON number")


def _bounded_int(digits: str, max_chars: int) -> int:
    if len(digits) > max_chars:
        _refuse(f"body holds a number longer than {max_chars} characters")
    return int(digits)


def _bounded_float(digits: str, max_chars: int) -> float:
    if len(digits) > max_chars:
        _refuse(f"body holds a number longer than {max_chars} characters")
    number = float(digits)
    if not math.isfinite(number):  # 1e400 reads as infinity
        _refuse("body holds a number too large to be finite")
    return number


def _check_nesting(data: bytes, max_depth: int) -> None:
    """Refuse JSON nested deeper than max_depth, before json.loads could recurse into it.

    Structure lies outside strings: drop escaped backslashes, then escaped quotes (left to right,
    as the JSON lexer pairs them), keep every other piece between quotes, keep only the brackets,
    and take the running sum's maximum. Where the text stops being JSON the count may be off, but
    json.loads stops there too, having recursed no deeper than what was counted before it.
    """
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # cannot be deeper than it has openers: most bodies stop here
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(unescaped.split(b'"')[0::2])
    brackets = structure.translate(None, _NOT_BRACKETS)
    if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > max_depth:
        _refuse(f"body nested deeper than {max_depth}")
