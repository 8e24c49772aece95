"""Checks a flow in the Amazon Connect flow language before Connect ever sees it.

The rules come from the flow-language reference: which error branches each action type has, which
types accept conditions, which flow types allow them. On top of those, the project's own rules: no
path returns to an earlier block (every call ends in a queue transfer or a polite disconnect), every
Lambda is one of ours and gets only the parameters it reads, every `$.External.<key>` is a key the
last Lambda on that path returns, and the bot gets and gives only its contract's session attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connect_zendesk.connect.contracts import FLOW_CONTRACTS, SELF_SERVICE_BOT

from contact_flows import BOT_PLACEHOLDER, FUNCTION_PLACEHOLDERS, PLACEHOLDER, PLACEHOLDERS, FlowType

VERSION = "2019-10-30"
MAX_IDENTIFIER = 50
_FORBIDDEN_IN_IDENTIFIER = re.compile(r"[%:(\\/)=$,;\[\]{}]")
_EXTERNAL = re.compile(r"\$\.External\.([A-Za-z0-9_]+)")
_LEX_SESSION = re.compile(r"\$\.Lex\.SessionAttributes\.([A-Za-z0-9_]+)")
_ATTRIBUTE = re.compile(r"\$\.Attributes\.([A-Za-z0-9_]+)")
_ALL_FLOWS = frozenset(FlowType)
_INBOUND_ONLY = frozenset({FlowType.CONTACT_FLOW})
_QUEUE_ONLY = frozenset({FlowType.CUSTOMER_QUEUE})
_NOT_WHISPER = frozenset({FlowType.CONTACT_FLOW, FlowType.CUSTOMER_QUEUE})
NO_MATCH = "NoMatchingError"


@dataclass(frozen=True)
class ActionRule:
    errors: frozenset[str]  # the error branches the action has: each must be wired
    conditions: bool = False  # takes Conditions (branches on a result)
    terminal: bool = False  # ends the flow: no transitions
    flow_types: frozenset[FlowType] = _ALL_FLOWS


ACTION_RULES: dict[str, ActionRule] = {
    "UpdateFlowLoggingBehavior": ActionRule(frozenset()),
    "UpdateContactTextToSpeechVoice": ActionRule(frozenset({NO_MATCH})),
    "UpdateContactEventHooks": ActionRule(frozenset({NO_MATCH})),
    "UpdateContactTargetQueue": ActionRule(frozenset({NO_MATCH}), flow_types=_INBOUND_ONLY),
    "UpdateContactAttributes": ActionRule(frozenset({NO_MATCH})),
    "UpdateContactRecordingBehavior": ActionRule(frozenset(), flow_types=_NOT_WHISPER),
    "UpdateContactMediaStreamingBehavior": ActionRule(frozenset({NO_MATCH})),
    "InvokeLambdaFunction": ActionRule(frozenset({NO_MATCH})),
    "Compare": ActionRule(frozenset({"NoMatchingCondition"}), conditions=True),
    "MessageParticipant": ActionRule(frozenset({NO_MATCH})),
    "MessageParticipantIteratively": ActionRule(frozenset({NO_MATCH}), flow_types=_QUEUE_ONLY),
    "GetParticipantInput": ActionRule(
        frozenset({"InputTimeLimitExceeded", "NoMatchingCondition", NO_MATCH}), conditions=True
    ),
    "ConnectParticipantWithLexBot": ActionRule(
        frozenset({"InputTimeLimitExceeded", "NoMatchingCondition", NO_MATCH}),
        conditions=True,
        flow_types=_NOT_WHISPER,
    ),
    "CheckHoursOfOperation": ActionRule(frozenset({NO_MATCH}), conditions=True, flow_types=_NOT_WHISPER),
    "TransferContactToQueue": ActionRule(frozenset({"QueueAtCapacity", NO_MATCH}), flow_types=_INBOUND_ONLY),
    "DisconnectParticipant": ActionRule(frozenset(), terminal=True),
    "EndFlowExecution": ActionRule(frozenset(), terminal=True),
}


@dataclass(frozen=True)
class Wiring:
    """What the ARNs in a flow stand for: placeholders (`${CallerLookupFunctionArn}`) or real ARNs."""

    functions: Mapping[str, str]  # Lambda ARN as written in the flow -> contract function name
    bot_aliases: frozenset[str]  # bot alias ARNs as written in the flow
    placeholders_allowed: bool  # the template form; a rendered flow must have none left
    known_attributes: frozenset[str] = frozenset()  # contact attributes set by an earlier flow


def template_wiring(known_attributes: frozenset[str] = frozenset()) -> Wiring:
    return Wiring(
        functions={f"${{{name}}}": function for name, function in FUNCTION_PLACEHOLDERS.items()},
        bot_aliases=frozenset({f"${{{BOT_PLACEHOLDER}}}"}),
        placeholders_allowed=True,
        known_attributes=known_attributes,
    )


def attributes_set(flow: Mapping[str, Any]) -> frozenset[str]:
    """Contact attributes the flow's Set contact attributes blocks write."""
    names: set[str] = set()
    for action in _actions(flow):
        if action.get("Type") == "UpdateContactAttributes":
            names.update(str(k) for k in (action.get("Parameters") or {}).get("Attributes", {}))
    return frozenset(names)


def problems(flow: Any, flow_type: FlowType, wiring: Wiring) -> list[str]:
    """Every way `flow` breaks the flow language or the project's rules; empty when it is sound."""
    if not isinstance(flow, Mapping):
        return ["the flow is not a JSON object"]
    found: list[str] = []
    if flow.get("Version") != VERSION:
        found.append(f"Version must be {VERSION!r}")
    actions = _actions(flow)
    if not actions:
        return [*found, "Actions must be a non-empty list of objects"]
    by_id: dict[str, Mapping[str, Any]] = {}
    for action in actions:
        ident = action.get("Identifier")
        if not isinstance(ident, str) or not ident:
            found.append("an action has no Identifier")
            continue
        if ident in by_id:
            found.append(f"{ident}: Identifier is not unique")
        if len(ident) > MAX_IDENTIFIER or _FORBIDDEN_IN_IDENTIFIER.search(ident):
            found.append(f"{ident}: Identifier is longer than {MAX_IDENTIFIER} or has a forbidden character")
        by_id[ident] = action
    start = flow.get("StartAction")
    if start not in by_id:
        return [*found, f"StartAction {start!r} is not an action"]
    for ident, action in by_id.items():
        found += [f"{ident}: {p}" for p in _action_problems(action, flow_type, by_id, wiring)]
    if found:
        return found  # the graph checks below need sound transitions
    found += _graph_problems(str(start), by_id)
    if not found:
        found += _data_problems(str(start), by_id, wiring, attributes_set(flow) | wiring.known_attributes)
    return found


def _actions(flow: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    actions = flow.get("Actions")
    if not isinstance(actions, list):
        return []
    return [a for a in actions if isinstance(a, Mapping)]


def targets(action: Mapping[str, Any]) -> list[str]:
    """Every action this one can go to next."""
    transitions = action.get("Transitions") or {}
    found = [transitions["NextAction"]] if transitions.get("NextAction") else []
    found += [c.get("NextAction") for c in transitions.get("Conditions", [])]
    found += [e.get("NextAction") for e in transitions.get("Errors", [])]
    return [str(t) for t in found]


def _action_problems(
    action: Mapping[str, Any], flow_type: FlowType, by_id: Mapping[str, Any], wiring: Wiring
) -> Iterator[str]:
    kind = str(action.get("Type"))
    rule = ACTION_RULES.get(kind)
    if rule is None:
        yield f"unknown action type {kind!r}"
        return
    if flow_type not in rule.flow_types:
        yield f"{kind} is not allowed in a {flow_type} flow"
    transitions = action.get("Transitions")
    if not isinstance(transitions, Mapping):
        yield "Transitions must be an object"
        return
    if rule.terminal:
        if transitions:
            yield f"{kind} ends the flow: it takes no transitions"
        return
    yield from _condition_problems(kind, rule, transitions)
    yield from _error_problems(kind, rule, transitions)
    for target in targets(action):
        if target not in by_id:
            yield f"goes to {target!r}, which is not an action"
    yield from _parameter_problems(action, wiring)


def _condition_problems(kind: str, rule: ActionRule, transitions: Mapping[str, Any]) -> Iterator[str]:
    conditions = transitions.get("Conditions", [])
    if not transitions.get("NextAction") and not conditions:
        yield "has neither NextAction nor Conditions"
    if conditions and not rule.conditions:
        yield f"{kind} takes no Conditions"
    for condition in conditions:
        spec = condition.get("Condition", {})
        if spec.get("Operator") != "Equals" or not isinstance(spec.get("Operands"), list):
            yield "a condition must be Equals with a list of Operands"
    if kind == "CheckHoursOfOperation":
        operands = sorted(str(o) for c in conditions for o in c.get("Condition", {}).get("Operands", []))
        if operands != ["False", "True"]:
            yield "CheckHoursOfOperation needs exactly the conditions True and False"


def _error_problems(kind: str, rule: ActionRule, transitions: Mapping[str, Any]) -> Iterator[str]:
    wired = [str(e.get("ErrorType")) for e in transitions.get("Errors", [])]
    if len(wired) != len(set(wired)):
        yield "an error branch is wired twice"
    if missing := sorted(rule.errors - set(wired)):
        yield f"error branches not wired: {', '.join(missing)}"
    if unknown := sorted(set(wired) - rule.errors):
        yield f"{kind} has no error branches {', '.join(unknown)}"


def _parameter_problems(action: Mapping[str, Any], wiring: Wiring) -> Iterator[str]:
    params = action.get("Parameters") or {}
    for text in _strings(params):
        for name in PLACEHOLDER.findall(text):
            if not wiring.placeholders_allowed:
                yield f"placeholder ${{{name}}} is not filled"
            elif name not in PLACEHOLDERS:
                yield f"placeholder ${{{name}}} is not one the template fills"
    kind = action.get("Type")
    if kind == "InvokeLambdaFunction":
        yield from _lambda_problems(params, wiring)
    if kind == "ConnectParticipantWithLexBot":
        if (params.get("LexV2Bot") or {}).get("AliasArn") not in wiring.bot_aliases:
            yield "talks to a bot alias that is not the stack's self-service bot"
        extra = set(params.get("LexSessionAttributes", {})) - set(SELF_SERVICE_BOT.session_parameters)
        if extra:
            yield f"passes session attributes {sorted(extra)} the bot does not read"


def _lambda_problems(params: Mapping[str, Any], wiring: Wiring) -> Iterator[str]:
    arn = params.get("LambdaFunctionARN")
    function = wiring.functions.get(str(arn))
    if function is None:
        yield f"invokes {arn!r}, which is not a contact-flow function of the stack"
        return
    reads = FLOW_CONTRACTS[function].parameters
    if extra := set(params.get("LambdaInvocationAttributes", {})) - set(reads):
        yield f"passes {sorted(extra)} to {function}, which reads only {list(reads)}"
    if (params.get("ResponseValidation") or {}).get("ResponseType") != "STRING_MAP":
        yield "ResponseValidation must be STRING_MAP (the functions answer a flat string map)"
    if str(params.get("InvocationTimeLimitSeconds")) not in {str(n) for n in range(1, 9)}:
        yield "InvocationTimeLimitSeconds must be 1 to 8"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _graph_problems(start: str, by_id: Mapping[str, Mapping[str, Any]]) -> list[str]:
    found = [f"{ident}: goes back to the start" for ident, a in by_id.items() if start in targets(a)]
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(ident: str, path: list[str]) -> None:
        state[ident] = "open"
        for target in targets(by_id[ident]):
            if state.get(target) == "open":
                cycle = [*path[path.index(target) :], target]
                found.append(f"{ident}: loops back ({' -> '.join(cycle)})")
            elif target not in state:
                visit(target, [*path, target])
        state[ident] = "done"

    visit(start, [start])
    found += [f"{ident}: no path from the start reaches it" for ident in by_id if ident not in state]
    return found


def _data_problems(
    start: str, by_id: Mapping[str, Mapping[str, Any]], wiring: Wiring, attributes: frozenset[str]
) -> list[str]:
    """Walk every path (the graph is acyclic), remembering the last Lambda and whether the bot ran."""
    found: set[str] = set()
    seen: set[tuple[str, str | None, bool]] = set()
    pending: list[tuple[str, str | None, bool]] = [(start, None, False)]
    while pending:
        ident, last_function, after_bot = pending.pop()
        if (ident, last_function, after_bot) in seen:
            continue
        seen.add((ident, last_function, after_bot))
        action = by_id[ident]
        params = action.get("Parameters") or {}
        found.update(f"{ident}: {p}" for p in _read_problems(action, last_function, after_bot, attributes))
        for target, answered in _branches(action):
            # $.External and $.Lex hold what the block answered only on the branches where it did.
            function, bot = last_function, after_bot
            if action.get("Type") == "InvokeLambdaFunction":
                function = wiring.functions[str(params["LambdaFunctionARN"])] if answered else None
            if action.get("Type") == "ConnectParticipantWithLexBot":
                bot = answered
            pending.append((target, function, bot))
    return sorted(found)


def _read_problems(
    action: Mapping[str, Any], last_function: str | None, after_bot: bool, attributes: frozenset[str]
) -> Iterator[str]:
    for text in _strings(action.get("Parameters") or {}):
        for key in _EXTERNAL.findall(text):
            if last_function is None:
                yield f"reads $.External.{key} on a path with no Lambda before it"
            elif key not in FLOW_CONTRACTS[last_function].returns:
                yield f"reads $.External.{key}, which {last_function} does not return"
        for key in _LEX_SESSION.findall(text):
            if not after_bot:
                yield f"reads $.Lex.SessionAttributes.{key} on a path where the bot has not run"
            elif key not in SELF_SERVICE_BOT.returns:
                yield f"reads $.Lex.SessionAttributes.{key}, which the bot does not return"
        for key in _ATTRIBUTE.findall(text):
            if key not in attributes:
                yield f"reads $.Attributes.{key}, which no flow sets"
    yield from _handoff_reason_problems(action)


def _handoff_reason_problems(action: Mapping[str, Any]) -> Iterator[str]:
    compared = (action.get("Parameters") or {}).get("ComparisonValue")
    if action.get("Type") == "Compare" and compared == "$.Lex.SessionAttributes.handoffReason":
        for condition in (action.get("Transitions") or {}).get("Conditions", []):
            for operand in condition.get("Condition", {}).get("Operands", []):
                if operand not in SELF_SERVICE_BOT.handoff_reasons:
                    yield f"the bot never gives handoffReason {operand!r}"


def _branches(action: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    """(target, whether the block completed) for every transition; NoMatchingCondition completed."""
    transitions = action.get("Transitions") or {}
    if transitions.get("NextAction"):
        yield str(transitions["NextAction"]), True
    for condition in transitions.get("Conditions", []):
        yield str(condition["NextAction"]), True
    for error in transitions.get("Errors", []):
        yield str(error["NextAction"]), error.get("ErrorType") == "NoMatchingCondition"
