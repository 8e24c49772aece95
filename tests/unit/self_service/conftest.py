"""Fixtures for the self-service bot: the real handler (from template.yaml) on moto's DynamoDB and
SNS, a fake Zendesk desk, a fixed clock, and Lex played by LexConversation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bot_doubles import FakeDesk, record_call
from connect_zendesk.services import Services, use_services
from connect_zendesk.settings import Settings
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.lex_conversation import LexConversation
from unit_doubles import JANE, NOW

Handler = Callable[[Any, Any], dict[str, Any]]
JANE_PHONE = "+14155552671"


@pytest.fixture
def bot_env(aws: Template, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = aws.function("lex_fulfillment").environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def bot_services(bot_env: dict[str, str], desk: FakeDesk) -> Iterator[Services]:
    services = Services(Settings.from_env(bot_env), zendesk=desk, clock=NOW.timestamp)
    with use_services(services):
        yield services


@pytest.fixture
def bot(aws: Template, bot_services: Services) -> Handler:
    forget_loaded_handlers()  # a fresh container: settings are read at import
    return load_handler(aws.function("lex_fulfillment"))


@pytest.fixture
def talk(bot: Handler, bot_services: Services) -> Callable[..., LexConversation]:
    """A new Lex session with the bot: talk(locale=..., input_mode=..., session_attributes=...).

    `caller="+1..."` plays a call from that number: caller_lookup recorded it for the contact, and the
    flow passes it as `callerNumber`, as flows/inbound.json does."""

    def start(*, caller: str | None = None, **kwargs: Any) -> LexConversation:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            return bot(event, LocalLambdaContext(function_name="LexFulfillmentFunction", timeout_seconds=10))

        if caller is not None:
            kwargs.setdefault("contact_id", str(uuid.uuid4()))
            channel = "CHAT" if kwargs.get("input_mode") == "Text" else "VOICE"
            record_call(bot_services, kwargs["contact_id"], caller, channel=channel)
            kwargs["session_attributes"] = {"callerNumber": caller, **kwargs.get("session_attributes", {})}
        return LexConversation(invoke, **kwargs)

    return start


@pytest.fixture
def jane_call(bot_services: Services) -> str:
    """A contact caller_lookup and ticket_lookup already recorded: Jane, offered ticket 1001."""
    contact_id = "c0ffee00-0000-4000-8000-000000000001"
    bot_services.contacts.record_caller(
        contact_id,
        caller_e164=JANE_PHONE,
        zendesk_user_id=JANE.id,
        match_count=1,
        channel="VOICE",
        language="en-US",
        instance_arn="",
        lookup_result="Success",
    )
    bot_services.contacts.record_offered_tickets(contact_id, zendesk_user_id=JANE.id, ticket_ids=[1001, 1002])
    return contact_id
