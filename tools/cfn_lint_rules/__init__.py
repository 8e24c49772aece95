"""connect-zendesk's own cfn-lint rules (E9001-E9099) and the helpers they share.

`.cfnlintrc` appends this directory (`append_rules`), so a plain `cfn-lint template.yaml` runs them.
cfn-lint loads every `[A-Za-z1-9]*.py` file here on its own (outside this package), which is why
the shared code lives in this `__init__.py`, never loaded as a rule module itself, and why each rule
module makes the repository root importable before importing it.

Recent cfn-lint releases (1.58 here) no longer run the SAM translator: they merge `Globals` into
the SAM resources (concatenating lists, as SAM does) and lint the template as written, while older
1.x releases linted the translated template. The rules therefore read both shapes:
`AWS::Serverless::Function` (with its `Policies` and `Events`) and `AWS::Lambda::Function`
(+ `AWS::IAM::Role`, `AWS::Lambda::EventSourceMapping`) as a translated template has them.

Values may be intrinsic functions. `Fn::If` is decided per condition scenario (cfn-lint's solver
drops impossible combinations), `AWS::NoValue` removes the key or list item, and anything else a
rule cannot read as a literal counts as "not the literal the rule asks for". Rules must never
raise on an unexpected shape: every access checks its type first.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Protocol

from cfnlint.rules import RuleMatch  # type: ignore[import-untyped]

__all__ = [
    "FUNCTION_TYPES",
    "NO_VALUE",
    "CfnTemplate",
    "Findings",
    "PathItem",
    "as_list",
    "dig",
    "getatt_target",
    "is_false",
    "is_true",
    "json_value",
    "literal_text",
    "property_variants",
    "ref_target",
    "resolve",
    "resource",
    "resources",
    "variants",
]

FUNCTION_TYPES: Final = ("AWS::Lambda::Function", "AWS::Serverless::Function")
MAX_SCENARIOS: Final = 64  # conditions a value depends on are few; this only bounds pathological input

PathItem = str | int


class CfnTemplate(Protocol):
    """The part of `cfnlint.template.Template` the rules use."""

    template: dict[str, Any]
    conditions: Any


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()


# ---------------------------------------------------------------------------- template access
def resources(cfn: CfnTemplate, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, resource) of every resource of one of these types, skipping malformed entries."""
    section = cfn.template.get("Resources") if isinstance(cfn.template, dict) else None
    if not isinstance(section, dict):
        return
    for logical_id, body in section.items():
        if isinstance(logical_id, str) and isinstance(body, dict) and body.get("Type") in types:
            yield logical_id, body


def resource(cfn: CfnTemplate, logical_id: str | None) -> dict[str, Any] | None:
    if logical_id is None or not isinstance(cfn.template, dict):
        return None
    section = cfn.template.get("Resources")
    body = section.get(logical_id) if isinstance(section, dict) else None
    return body if isinstance(body, dict) else None


# ---------------------------------------------------------------------------- conditions
def _condition_names(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        argument = value.get("Fn::If") if len(value) == 1 else None
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            found.add(argument[0])
        for item in value.values():
            _condition_names(item, found)
    elif isinstance(value, list):
        for item in value:
            _condition_names(item, found)
    return found


def _scenarios(cfn: CfnTemplate, value: Any) -> list[dict[str, bool]]:
    names = sorted(_condition_names(value, set()))
    if not names:
        return [{}]
    try:
        solved = cfn.conditions.build_scenarios({name: {True, False} for name in names})
        found = [dict(s) for s in itertools.islice(solved, MAX_SCENARIOS) if isinstance(s, Mapping)]
    except Exception:  # noqa: BLE001 - the solver only prunes impossible combinations; fall back to all
        found = []
    if found and all(set(names) <= set(scenario) for scenario in found):
        return found
    combinations = itertools.islice(itertools.product((True, False), repeat=len(names)), MAX_SCENARIOS)
    return [dict(zip(names, combination, strict=True)) for combination in combinations]


def resolve(value: Any, scenario: Mapping[str, bool]) -> Any:
    """`value` with every Fn::If decided by `scenario`; AWS::NoValue items and keys disappear.

    A value that is AWS::NoValue itself comes back as NO_VALUE.
    """
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if (
                key == "Fn::If"
                and isinstance(argument, list)
                and len(argument) == 3
                and isinstance(argument[0], str)
            ):
                return resolve(argument[1] if scenario.get(argument[0], True) else argument[2], scenario)
            if key == "Ref" and argument == "AWS::NoValue":
                return NO_VALUE
        resolved = {key: resolve(item, scenario) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
    if isinstance(value, list):
        items = [resolve(item, scenario) for item in value]
        return [item for item in items if item is not NO_VALUE]
    return value


def variants(cfn: CfnTemplate, value: Any) -> list[Any]:
    """Every distinct shape `value` takes across the condition scenarios (AWS::NoValue as None)."""
    seen: dict[str, Any] = {}
    for scenario in _scenarios(cfn, value):
        resolved = resolve(value, scenario)
        resolved = None if resolved is NO_VALUE else resolved
        seen.setdefault(repr(resolved), resolved)
    return list(seen.values())


def property_variants(cfn: CfnTemplate, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resource's Properties in every condition scenario; absent Properties read as {}."""
    results: list[dict[str, Any]] = []
    for properties in variants(cfn, body.get("Properties")):
        if properties is None:
            results.append({})
        elif isinstance(properties, dict):
            results.append(properties)
    return results


# ---------------------------------------------------------------------------- values
def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]... or None as soon as a level is not a mapping or lacks the key."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def literal_text(value: Any) -> str | None:
    """A string, or the template text of a Fn::Sub (whose ${...} parts stay as written)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value:
        argument = value["Fn::Sub"]
        if isinstance(argument, list) and argument:
            argument = argument[0]
        if isinstance(argument, str):
            return argument
    return None


def json_value(value: Any) -> Any:
    """A JSON-typed property may be given as a JSON string: decode it, or leave the value as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_SUB_OF_ONE_NAME = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def ref_target(value: Any) -> str | None:
    """`X` for {"Ref": "X"} (or a Fn::Sub that is exactly "${X}"), else None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    target = value.get("Ref")
    if isinstance(target, str):
        return target
    text = literal_text(value)
    match = _SUB_OF_ONE_NAME.fullmatch(text) if text is not None else None
    return match.group(1) if match else None


def getatt_target(value: Any) -> tuple[str, str] | None:
    """(logical id, attribute) for a Fn::GetAtt in list or dotted form, else None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    argument = value.get("Fn::GetAtt")
    if isinstance(argument, str) and "." in argument:
        logical_id, attribute = argument.split(".", 1)
        return logical_id, attribute
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], str)
    ):
        return argument[0], argument[1]
    return None


# ---------------------------------------------------------------------------- results
def _existing_prefix(document: Any, path: Sequence[PathItem]) -> list[PathItem]:
    """The longest prefix of `path` present in the template, so cfn-lint can always locate it."""
    prefix: list[PathItem] = []
    node = document
    for step in path:
        present = (isinstance(node, dict) and isinstance(step, str) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        )
        if not present:
            break
        node = node[step]
        prefix.append(step)
    return prefix


class Findings:
    """Collects one RuleMatch per (location, message), however many scenarios repeat it."""

    def __init__(self, cfn: CfnTemplate) -> None:
        self._cfn = cfn
        self._matches: dict[tuple[tuple[PathItem, ...], str], Any] = {}

    def add(self, path: Sequence[PathItem], message: str) -> None:
        location = _existing_prefix(self._cfn.template, path)
        key = (tuple(location), message)
        if key not in self._matches:
            self._matches[key] = RuleMatch(location, message)

    def matches(self) -> list[Any]:
        return list(self._matches.values())
