"""The README is the flow designer's and operator's reference: it must say what the code does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from connect_zendesk import errors
from connect_zendesk.connect.contracts import FLOW_CONTRACTS
from connect_zendesk.connect.flow_event import InvalidFlowEvent
from connect_zendesk_local.cfn_template import PROJECT_ROOT, load_template

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = PROJECT_ROOT / "layers" / "common" / "connect_zendesk"


def _flow_section(function: str) -> str:
    contracts = README.split("<!-- flow-contracts:start -->")[1].split("<!-- flow-contracts:end -->")[0]
    sections = re.split(r"^### ", contracts, flags=re.MULTILINE)
    matching = [s for s in sections if s.startswith(f"{function} ")]
    assert matching, f"README has no flow-designer section for {function}"
    return matching[0]


def _table_keys(section: str, header: str) -> set[str]:
    table = section.split(f"| {header}")[1].split("\n\n", maxsplit=1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))


def test_the_two_commands_and_the_architecture_diagram_are_there() -> None:
    assert "make demo" in README
    assert "make test" in README
    assert "```mermaid" in README


@pytest.mark.parametrize("function", sorted(FLOW_CONTRACTS))
def test_flow_designer_guide_lists_exactly_each_functions_parameters_and_keys(function: str) -> None:
    contract = FLOW_CONTRACTS[function]
    section = _flow_section(function)
    assert _table_keys(section, "parameter") == set(contract.parameters)
    assert _table_keys(section, "returned key") == set(contract.returns)


def test_every_error_type_a_flow_can_receive_is_explained() -> None:
    produced = {
        cls.error_type
        for cls in vars(errors).values()
        if isinstance(cls, type) and hasattr(cls, "error_type")
    }
    produced |= {InvalidFlowEvent.error_type, "Timeout", "ConfigurationError", "InternalError"}
    produced.discard("ZendeskError")  # the base class: every failure raises a subclass
    documented = README.split("### Error types")[1].split("\n## ")[0]
    assert {e for e in produced if f"`{e}`" not in documented} == set()


def test_every_template_parameter_is_in_the_configuration_reference() -> None:
    parameters = load_template()["Parameters"]
    reference = README.split("## Configuration reference")[1].split("\n## ")[0]
    assert {p for p in parameters if f"`{p}`" not in reference} == set()


def test_every_metric_the_package_emits_is_documented() -> None:
    emitted: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_metric":
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        emitted.add(str(keyword.value.value))
    emitted.discard("")
    assert emitted
    assert {m for m in emitted if f"`{m}`" not in README} == set()
    for result in ("Success", "NotFound", "Skipped", "Error"):  # the per-outcome metrics use an f-string
        assert f"`Result{result}`" in README


def test_every_emulator_fault_variable_is_documented() -> None:
    source = (PROJECT_ROOT / "local").rglob("faults.py")
    variables = {
        v for path in source for v in re.findall(r"ZENDESK_EMULATOR_[A-Z_]+", Path(path).read_text())
    }
    assert variables
    assert {v for v in variables if f"`{v}`" not in README} == set()


def test_every_test_the_security_promises_name_exists() -> None:
    promises = README.split("### Security promises and the tests that hold them")[1].split("\n## ")[0]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", promises)
    assert len(named) >= 20, "the security promises name the tests that hold them"
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(
            rf"^(?:async )?def {name}\(", (PROJECT_ROOT / path).read_text(encoding="utf-8"), re.MULTILINE
        )
    ]
    assert missing == []
