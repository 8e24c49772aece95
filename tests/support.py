"""Helpers shared by test modules (fixtures live in conftest.py files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template

REFERENCE_EVENTS = PROJECT_ROOT.parent / "shared" / "reference-events"


def reference_events(pattern: str) -> list[Path]:
    """Public sample events kept beside the project, when that folder exists."""
    return sorted(REFERENCE_EVENTS.glob(pattern)) if REFERENCE_EVENTS.is_dir() else []


def dynamo_item(template: Template, table_logical_id: str, key: dict[str, Any]) -> dict[str, Any] | None:
    table = boto3.resource("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL")).Table(
        template.physical[table_logical_id].ref
    )
    return table.get_item(Key=key).get("Item")


# ---------------------------------------------------------------------------- real call media
def require_media_tools() -> None:
    """Skip (with the reason) where espeak-ng or ffmpeg is missing; .ci/run installs both."""
    import pytest
    from connect_zendesk_local.kvs_fixtures import missing_media_tools

    missing = missing_media_tools()
    if missing:
        pytest.skip(f"real call media needs the Debian packages {', '.join(missing)} (apt-get install)")
