"""The shared table of dialled numbers (tests/data/phone_numbers.json) against phone.py.

The top bar's click-to-dial normalises in the browser (panel/src/phone.js); the browser test checks
that code against the same table, so caller_lookup and the top bar cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.phone import CallerNumber, Unusable, normalise

TABLE = Path(__file__).resolve().parents[1] / "data" / "phone_numbers.json"
CASES: list[dict[str, Any]] = json.loads(TABLE.read_text(encoding="utf-8"))["cases"]


def test_the_table_covers_national_plus_00_extensions_and_junk() -> None:
    raws = [case["raw"] for case in CASES]
    assert any(raw.startswith("+") for raw in raws)
    assert any(raw.startswith("00") for raw in raws)
    assert any("ext" in raw or "x1" in raw for raw in raws)
    assert any(raw.startswith("0") and not raw.startswith("00") for raw in raws)
    assert sum(case["e164"] is None for case in CASES) >= 10
    assert sum(case["e164"] is not None for case in CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[repr(case["raw"]) for case in CASES])
def test_phone_py_gives_the_tables_answer(case: dict[str, Any]) -> None:
    found = normalise(case["raw"], case["defaultRegion"])
    if case["e164"] is None:
        assert isinstance(found, Unusable)
        assert str(found.reason) == case["reason"]
    else:
        assert found == CallerNumber(case["e164"], case["region"])
