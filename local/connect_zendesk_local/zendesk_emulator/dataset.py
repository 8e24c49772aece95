"""The seeded demo account (local/seed/zendesk_demo.json)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, cast

SEED_PACKAGE = "connect_zendesk_local"
SEED_PATH = "seed/zendesk_demo.json"


def load_demo_dataset() -> dict[str, Any]:
    """The demo data set as stored: times are still relative (``updated_hours_ago``).

    The emulator turns them into timestamps each time it loads or resets, so "updated 2 days ago" stays
    true whenever the demo runs.
    """
    text = resources.files(SEED_PACKAGE).joinpath(SEED_PATH).read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))
