"""The bounded decoder and shape check every handler reads untrusted input with (pure, no AWS)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

import pytest
from connect_zendesk.untrusted import (
    BODY,
    MAX_EPOCH_SECONDS,
    NOT_JSON,
    Limits,
    UntrustedInput,
    bounded_number,
    check_shape,
    decode_json,
    decode_json_object,
    epoch_seconds,
)

DEEP = 100_000  # far past json.loads' own recursion limit (RecursionError)


def nested(depth: int, leaf: Any = 1) -> Any:
    """Lists and objects, alternating, `depth` deep, built without recursion."""
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def test_plain_json_reads_as_json_loads_reads_it() -> None:
    text = json.dumps({"a": [1, 2.5, "x", None, True, {"b": "[[[{{{ not brackets }}}]]]"}], "é": "日本"})
    assert decode_json(text) == json.loads(text)
    assert decode_json(text.encode("utf-8")) == json.loads(text)


def test_json_loads_itself_recurses_on_deep_input() -> None:
    # Why the decoder scans before parsing: the standard library raises instead of refusing.
    with pytest.raises(RecursionError):
        json.loads("[" * DEEP + "]" * DEEP)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deep_nesting_is_refused_before_parsing(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    with pytest.raises(UntrustedInput, match="nested deeper than 32"):
        decode_json(opening * DEEP + "1" + closing * DEEP)


@pytest.mark.parametrize(
    "prefix",
    [
        '"' + "]" * 50 + '", ',  # closing brackets inside a string must not hide real depth
        '"a\\\\", ',  # a string ending in an escaped backslash: the next quote really closes it
        '"say \\"]]]]\\" twice", ',  # escaped quotes: the brackets stay inside the string
    ],
)
def test_brackets_inside_strings_neither_add_nor_hide_depth(prefix: str) -> None:
    deep = "[" * 40 + "]" * 40
    with pytest.raises(UntrustedInput, match="nested deeper"):
        decode_json("[" + prefix + deep + "]")
    shallow = "[" + prefix + "[" * 20 + "]" * 20 + ', "' + "[" * 40 + '"]'
    assert decode_json(shallow) == json.loads(shallow)


def test_the_depth_limit_is_exact_and_brackets_inside_strings_do_not_count() -> None:
    at_limit = "[" * BODY.max_depth + "]" * BODY.max_depth
    assert decode_json(at_limit) is not None
    with pytest.raises(UntrustedInput, match="nested"):
        decode_json("[" + at_limit + "]")
    assert decode_json(json.dumps({"text": "[" * 1000, "quote": 'say \\"[[[\\" please'})) is not None


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"exp": -Infinity}', '{"iat": NaN}', "1e400", "[-1e999]"]
)
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(UntrustedInput, match=r"not a JSON number|too large to be finite"):
        decode_json(text)


@pytest.mark.parametrize("text", ["1" * 41, "0." + "1" * 40, "[" + "9" * 5000 + "]"])
def test_numbers_too_long_are_refused(text: str) -> None:
    with pytest.raises(UntrustedInput, match="longer than 40"):
        decode_json(text)


def test_bodies_over_the_size_limit_are_refused_in_bytes() -> None:
    small = Limits(max_bytes=100)
    assert decode_json('"' + "x" * 98 + '"', small) == "x" * 98
    with pytest.raises(UntrustedInput, match="exceeds 100"):
        decode_json('"' + "x" * 99 + '"', small)
    with pytest.raises(UntrustedInput, match="exceeds 100"):
        decode_json('"' + "日" * 40 + '"', small)  # 42 characters, 122 bytes
    with pytest.raises(UntrustedInput, match="exceeds 100"):
        decode_json(b" " * 101, small)


@pytest.mark.parametrize(
    ("raw", "reason"), [("{", NOT_JSON), ("", NOT_JSON), (b"\xff\xfe", "body is not UTF-8")]
)
def test_what_is_not_json_is_refused_with_the_reason(raw: Any, reason: str) -> None:
    with pytest.raises(UntrustedInput) as refused:
        decode_json(raw)
    assert refused.value.reason == reason


def test_an_object_is_asked_for_by_name() -> None:
    assert decode_json_object('{"a": 1}') == {"a": 1}
    with pytest.raises(UntrustedInput, match="not a JSON object"):
        decode_json_object("[1]")


# ---------------------------------------------------------------------------- decoded events
def test_a_real_shaped_event_passes_the_shape_check() -> None:
    check_shape({"Records": [{"dynamodb": {"NewImage": {"m": {"M": {"x": {"L": [{"N": "1"}]}}}}}}]})


def test_deep_decoded_events_are_refused_without_recursion() -> None:
    deep = nested(DEEP)
    with pytest.raises(UntrustedInput, match="nested deeper than 32"):
        check_shape(deep)
    assert sys.getrecursionlimit() < DEEP


def test_the_shape_depth_matches_the_decoder_depth() -> None:
    at_limit = json.loads("[" * BODY.max_depth + "1" + "]" * BODY.max_depth)
    check_shape(at_limit, BODY)
    with pytest.raises(UntrustedInput):
        check_shape([at_limit], BODY)


def test_a_value_holding_itself_is_refused_not_walked_forever() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UntrustedInput, match="nested"):
        check_shape(loop)


@pytest.mark.parametrize(
    "value", [float("nan"), {"a": [float("inf")]}, {"n": Decimal("NaN")}, [Decimal("-Infinity")]]
)
def test_non_finite_numbers_in_decoded_events_are_refused(value: Any) -> None:
    with pytest.raises(UntrustedInput, match="NaN or Infinity"):
        check_shape(value)


def test_decoded_events_over_the_size_and_count_limits_are_refused() -> None:
    with pytest.raises(UntrustedInput, match="bytes of text"):
        check_shape({"body": "x" * 101}, Limits(max_bytes=100))
    with pytest.raises(UntrustedInput, match="more than 10 values"):
        check_shape(list(range(10)), Limits(max_nodes=10))


# ---------------------------------------------------------------------------- times
@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), -1, MAX_EPOCH_SECONDS + 1, 10**400, "1795000000", True],
)
def test_epoch_seconds_refuse_non_finite_out_of_range_and_non_numbers(value: Any) -> None:
    with pytest.raises(UntrustedInput, match="claim exp"):
        epoch_seconds(value, "claim exp")


def test_epoch_seconds_accept_real_times() -> None:
    assert epoch_seconds(1_795_000_000, "t") == 1_795_000_000.0
    assert epoch_seconds(1_795_000_000.25, "t") == 1_795_000_000.25
    assert epoch_seconds(Decimal("0"), "t") == 0.0
    assert bounded_number(5, "x", low=0, high=5) == 5.0
