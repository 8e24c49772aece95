"""Fixtures for unit tests: real DynamoDB adapters on moto, a fake Zendesk, a fixed clock."""

from __future__ import annotations

import pytest
from connect_zendesk.services import Services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template
from unit_doubles import AGENT, CARLOS, JANE, NOW, FakeZendesk, ticket


@pytest.fixture
def zendesk() -> FakeZendesk:
    return FakeZendesk(
        users=[JANE, CARLOS, AGENT],
        tickets={
            JANE.id: [
                ticket(1, JANE.id, "open", hours_ago=49, subject="Printer offline"),
                ticket(2, JANE.id, "pending", hours_ago=120),
                ticket(3, JANE.id, "solved", hours_ago=1),
                ticket(4, JANE.id, "closed", hours_ago=2),
                ticket(5, JANE.id, "hold", hours_ago=240),
            ]
        },
    )


@pytest.fixture
def services(function_env: dict[str, str], aws: Template, zendesk: FakeZendesk) -> Services:
    """Real DynamoDB adapters on moto (tables from template.yaml), a fake Zendesk, a fixed clock."""
    settings = Settings.from_env(function_env)
    return Services(settings, zendesk=zendesk, clock=NOW.timestamp)
