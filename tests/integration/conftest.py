"""Integration fixtures: the embedded local stack over real HTTP (moto server, Zendesk emulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connect_zendesk_local.stack import LocalStack


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running
