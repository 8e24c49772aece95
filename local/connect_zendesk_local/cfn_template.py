"""Reads template.yaml the way CloudFormation would, for the local stack.

The local stack creates its tables, queues and streams from the template itself and gives each
function the environment the template gives it, so local and deployed shapes cannot drift.
Intrinsic functions are resolved against local physical ids. The generated nested stacks (stacks/,
AWS::Serverless::Application with a local Location) hold nothing the local stack provisions (the
Lex bot, contact flows, Athena views); `Template.nested` reads one with the parameters the parent
passes it, for whoever needs their resources.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
STACKS_DIR = PROJECT_ROOT / "stacks"
NESTED_APPLICATION = "AWS::Serverless::Application"
NO_VALUE = object()  # AWS::NoValue: the enclosing key or list item disappears

_SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Join",
            "Select",
            "Split",
            "FindInMap",
            "Base64",
            "ImportValue",
            "GetAZs",
            "Cidr",
            "ToJsonString",
            "Length",
        )
    },
}


# Intrinsics that name things only a real AWS account has; meeting one locally is an error, not a no-op.
_UNSUPPORTED = ("Fn::ImportValue", "Fn::GetAZs", "Fn::Cidr", "Fn::Base64", "Fn::ToJsonString", "Fn::Length")


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's, when installed: the template is large) that turns !Ref, !Sub, ... into
    their long JSON forms."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_FORMS.get(tag_suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{tag_suffix}", node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a dict of long-form intrinsics; a fresh copy on every call (callers may edit it)."""
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


def nested_stack_paths(document: Mapping[str, Any], base: Path = PROJECT_ROOT) -> dict[str, Path]:
    """Logical id -> template file of every nested application whose Location is a local file."""
    return {
        logical_id: (base / str(body["Properties"]["Location"])).resolve()
        for logical_id, body in document.get("Resources", {}).items()
        if body.get("Type") == NESTED_APPLICATION and isinstance(body["Properties"].get("Location"), str)
    }


def load_nested_stack(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template of template.yaml's nested application `logical_id` (long-form intrinsics)."""
    return load_template(nested_stack_paths(load_template(path), path.parent)[logical_id])


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, _modified: int) -> dict[str, Any]:
    # Parsing the template (the bot definition makes it large) costs more than copying it, and
    # stacks, tests and the invoke CLI load it again and again; a changed file has a new mtime.
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


@dataclass
class PhysicalResource:
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class FunctionSpec:
    logical_id: str
    name: str  # the folder under functions/, e.g. "caller_lookup"
    code_dir: Path
    handler: str
    timeout: int
    memory_mb: int
    environment: dict[str, str]


class Template:
    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        stack_name: str = "connect-zendesk-local",
    ) -> None:
        self.document = document
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.parameters = self._parameter_values(parameters or {})
        self.physical: dict[str, PhysicalResource] = {}
        self._conditions: dict[str, bool] = {}

    @classmethod
    def from_file(cls, path: Path = TEMPLATE_PATH, **kwargs: Any) -> Template:
        return cls(load_template(path), **kwargs)

    def nested(self, logical_id: str) -> Template:
        """A nested application's template, given the parameters this template passes it (resolved
        now: references to functions need them provisioned first)."""
        body = self.resources[logical_id]
        if body.get("Type") != NESTED_APPLICATION or not self.condition_holds(body.get("Condition")):
            raise KeyError(f"{logical_id} is not a nested application this stack deploys")
        passed = self.resolve(copy.deepcopy(body["Properties"].get("Parameters", {})))
        return Template(
            load_template(nested_stack_paths({"Resources": {logical_id: body}})[logical_id]),
            parameters={name: str(value) for name, value in passed.items()},
            region=self.region,
            account_id=self.account_id,
            stack_name=f"{self.stack_name}-{logical_id}",
        )

    # ------------------------------------------------------------------ structure
    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.document.get("Resources", {}))

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of that type whose Condition (if any) holds with these parameters."""
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type and self.condition_holds(resource.get("Condition"))
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        resolved = self.resolve(copy.deepcopy(self.resources[logical_id].get("Properties", {})))
        return resolved if isinstance(resolved, dict) else {}

    def functions(self) -> dict[str, FunctionSpec]:
        """Every AWS::Serverless::Function with Globals applied, keyed by its functions/<name> folder."""
        specs = [self._function_spec(logical_id) for logical_id in self._function_folders()]
        return {spec.name: spec for spec in specs}

    def function(self, name: str) -> FunctionSpec:
        """One function by folder name or logical id; only its own environment is resolved."""
        folders = self._function_folders()
        for logical_id, folder in folders.items():
            if name in (folder, logical_id):
                return self._function_spec(logical_id)
        known = ", ".join(sorted(folders.values()))
        raise KeyError(f"no function {name!r} in the template; known: {known}")

    def _function_folders(self) -> dict[str, str]:
        return {
            logical_id: (PROJECT_ROOT / str(self.resources[logical_id].get("Properties", {})["CodeUri"]))
            .resolve()
            .name
            for logical_id in self.resources_of_type("AWS::Serverless::Function")
        }

    def _function_spec(self, logical_id: str) -> FunctionSpec:
        globals_ = self.document.get("Globals", {}).get("Function", {})
        props = self.resources[logical_id].get("Properties", {})
        code_dir = (PROJECT_ROOT / str(props["CodeUri"])).resolve()
        environment = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        resolved_env = self.resolve(copy.deepcopy(environment))
        return FunctionSpec(
            logical_id=logical_id,
            name=code_dir.name,
            code_dir=code_dir,
            handler=str(props.get("Handler", globals_.get("Handler", "app.lambda_handler"))),
            timeout=int(self.resolve(props.get("Timeout", globals_.get("Timeout", 3)))),
            memory_mb=int(self.resolve(props.get("MemorySize", globals_.get("MemorySize", 128)))),
            environment={k: str(v) for k, v in resolved_env.items()},
        )

    # ------------------------------------------------------------------ parameters and conditions
    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, spec in self.document.get("Parameters", {}).items():
            if name in overrides:
                values[name] = str(overrides[name])
            elif "Default" in spec:
                values[name] = str(spec["Default"])
            else:
                raise ValueError(f"template parameter {name} has no default: pass it to the local stack")
        return values

    def condition_holds(self, name: str | None) -> bool:
        if name is None:
            return True
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.document["Conditions"][name]))
        return self._conditions[name]

    # ------------------------------------------------------------------ intrinsics
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(argument)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            # Parameters are strings in CloudFormation, so !Equals [!Ref Number, 3000] holds for "3000".
            "Fn::Equals": lambda a: str(self.resolve(a[0])) == str(self.resolve(a[1])),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::And": lambda a: all(self.resolve(x) for x in a),
            "Fn::Or": lambda a: any(self.resolve(x) for x in a),
            "Condition": self.condition_holds,
            "Fn::Join": lambda a: str(a[0]).join(str(self.resolve(x)) for x in self.resolve(a[1])),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(str(a[0])),
            "Fn::FindInMap": lambda a: self.document["Mappings"][self.resolve(a[0])][self.resolve(a[1])][
                self.resolve(a[2])
            ],
            **{name: self._unsupported(name) for name in _UNSUPPORTED},
        }

    @staticmethod
    def _unsupported(name: str) -> Callable[[Any], Any]:
        def fail(_: Any) -> Any:
            raise ValueError(f"{name} has no local meaning: the local stack cannot resolve it")

        return fail

    def _pseudo(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }

    def _ref(self, name: str) -> Any:
        pseudo = self._pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name].ref
        raise KeyError(f"!Ref {name}: not a parameter, and not a resource the local stack has created")

    def _get_att(self, argument: list[str] | str) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        physical = self.physical.get(logical_id)
        if physical is None or attribute not in physical.attributes:
            raise KeyError(f"!GetAtt {logical_id}.{attribute}: not available in the local stack")
        return physical.attributes[attribute]

    def _if(self, argument: list[Any]) -> Any:
        condition, when_true, when_false = argument
        return self.resolve(when_true if self.condition_holds(condition) else when_false)

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        resolved_vars = {k: self.resolve(v) for k, v in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in resolved_vars:
                return str(resolved_vars[name])
            if "." in name:
                return self._get_att(name)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
