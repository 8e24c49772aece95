"""Fixtures for unit tests: real DynamoDB adapters on moto, a fake Zendesk, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connect_zendesk.realtime.wiring import RealtimeServices, use_realtime_services
from connect_zendesk.services import Services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template
from post_call_doubles import FakeTicket, FakeZendeskTickets
from post_call_rig import PostCallRig
from realtime_doubles import FakeGateway
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


# ---------------------------------------------------------------------------- agent side panel
@pytest.fixture
def realtime_env(aws: Template, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The real-time functions' template environment (tables, socket endpoint), local analyser."""
    env = {
        **aws.function("transcription_consumer").environment,
        **aws.function("panel_token").environment,
        "SENTIMENT_BACKEND": "local",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def realtime(realtime_env: dict[str, str], gateway: FakeGateway) -> Iterator[RealtimeServices]:
    """Real DynamoDB and Secrets Manager adapters on moto, a recording gateway, a fixed clock."""
    services = RealtimeServices(Settings.from_env(realtime_env), clock=NOW.timestamp)
    services.__dict__["gateway"] = gateway
    with use_realtime_services(services):
        yield services


# ---------------------------------------------------------------- after the call (post_call_update, metering)
@pytest.fixture
def post_call_env(aws: Template, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The post_call_update function's template environment, applied to this process."""
    env = aws.function("post_call_update").environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def zendesk_tickets() -> FakeZendeskTickets:
    return FakeZendeskTickets(
        [
            FakeTicket(1001, JANE.id, "Printer offline"),
            FakeTicket(1004, JANE.id, "Old problem", status="closed"),
        ]
    )


@pytest.fixture
def rig(
    post_call_env: dict[str, str], aws: Template, zendesk: FakeZendesk, zendesk_tickets: FakeZendeskTickets
) -> Iterator[PostCallRig]:
    """The post-call function on moto (tables, queues, bucket from template.yaml) with a fake Zendesk."""
    with PostCallRig(aws, post_call_env, zendesk, zendesk_tickets) as running:
        yield running
