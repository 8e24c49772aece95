"""The adapters the after-call steps use (post-call update, resolution metering), built lazily.

`CallServices` extends the contact-flow `Services` container with the stores and queues those steps
need; each adapter is created on first use, so a step only pays for what it touches. Tests hand
fakes to the constructor by name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from connect_zendesk import services as registry
from connect_zendesk.adapters.analytics_bucket import S3AnalyticsStore
from connect_zendesk.adapters.call_records import DynamoCallRecords
from connect_zendesk.adapters.comprehend import ComprehendAnalyzer
from connect_zendesk.adapters.connect_recordings import ConnectRecordingArchive
from connect_zendesk.adapters.connect_users import ConnectUserDirectory
from connect_zendesk.adapters.idempotency import PowertoolsIdempotency
from connect_zendesk.adapters.resolution_queue import DynamoResolutionQueue
from connect_zendesk.adapters.sqs_queue import SqsMessageQueue
from connect_zendesk.adapters.transcripts_table import DynamoTranscripts, NoTranscripts
from connect_zendesk.domain.agent_connected_ports import AgentDesk, ConnectAgents
from connect_zendesk.domain.post_call_ports import (
    AnalyticsStore,
    CallRecords,
    IdempotentRunner,
    MessageQueue,
    RecordingStore,
    ResolutionQueue,
    TextAnalyzer,
    TranscriptReader,
    ZendeskTickets,
)
from connect_zendesk.reconciliation.adapters import (
    BotoConnectContacts,
    DynamoPendingContacts,
    SqsPostCallSender,
)
from connect_zendesk.reconciliation.ports import ConnectContacts, PendingContacts, PostCallSender
from connect_zendesk.services import Services
from connect_zendesk.settings import Settings

IDEMPOTENCY_KEY_PREFIX = "post_call_update"
IDEMPOTENCY_DAYS = (
    7  # a duplicate DISCONNECTED event arrives within minutes; the Contacts record guards after
)

ADAPTERS = frozenset(
    {
        "zendesk",
        "cache",
        "contacts",
        "call_records",
        "zendesk_tickets",
        "transcripts",
        "analytics",
        "recordings",
        "text_analyzer",
        "idempotency",
        "resolution_queue",
        "message_queue",
        "pending_contacts",
        "connect_contacts",
        "post_call_sender",
        "agent_desk",
        "connect_agents",
    }
)


class CallServices(Services):
    def __init__(
        self, settings: Settings, *, clock: Callable[[], float] = time.time, **adapters: Any
    ) -> None:
        unknown = set(adapters) - ADAPTERS
        if unknown:
            raise TypeError(f"unknown adapters: {', '.join(sorted(unknown))}")
        super().__init__(
            settings,
            zendesk=adapters.pop("zendesk", None),
            cache=adapters.pop("cache", None),
            contacts=adapters.pop("contacts", None),
            clock=clock,
        )
        self.__dict__.update(adapters)

    @cached_property
    def call_records(self) -> CallRecords:
        return DynamoCallRecords(
            self.settings.contacts_table,
            self.settings.contact_retention_days,
            clock=self.clock,
            profile="batch",
        )

    @cached_property
    def zendesk_tickets(self) -> ZendeskTickets:
        from connect_zendesk.adapters.zendesk.ticket_writes import ZendeskTicketWriter  # noqa: PLC0415 - zenpy

        return ZendeskTicketWriter.from_settings(self.settings)

    @cached_property
    def transcripts(self) -> TranscriptReader:
        table = self.settings.post_call.transcripts_table
        return DynamoTranscripts(table) if table else NoTranscripts()

    @cached_property
    def analytics(self) -> AnalyticsStore:
        return S3AnalyticsStore(self.settings.post_call.analytics_bucket)

    @cached_property
    def recordings(self) -> RecordingStore:
        post_call = self.settings.post_call
        return ConnectRecordingArchive(post_call.recordings_bucket, post_call.recordings_prefix)

    @cached_property
    def text_analyzer(self) -> TextAnalyzer:
        return ComprehendAnalyzer()

    @cached_property
    def idempotency(self) -> IdempotentRunner:
        return PowertoolsIdempotency(
            self.settings.post_call.idempotency_table,
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
            expires_after_seconds=IDEMPOTENCY_DAYS * 86400,
        )

    @cached_property
    def resolution_queue(self) -> ResolutionQueue:
        return DynamoResolutionQueue(self.settings.metering.queue_table)

    @cached_property
    def message_queue(self) -> MessageQueue:
        agent_connected = self.settings.agent_connected
        if agent_connected.queue_url:  # the agent_connected function's own queue
            return SqsMessageQueue(agent_connected.queue_url, agent_connected.dead_letter_queue_url)
        post_call = self.settings.post_call
        return SqsMessageQueue(post_call.queue_url, post_call.dead_letter_queue_url)

    # ---- the reconciliation sweep (connect_zendesk.reconciliation)
    @cached_property
    def pending_contacts(self) -> PendingContacts:
        return DynamoPendingContacts(self.settings.contacts_table, self.clock)

    @cached_property
    def connect_contacts(self) -> ConnectContacts:
        return BotoConnectContacts()

    @cached_property
    def post_call_sender(self) -> PostCallSender:
        return SqsPostCallSender(self.settings.post_call.queue_url)

    @cached_property
    def agent_desk(self) -> AgentDesk:
        from connect_zendesk.adapters.zendesk.agent_desk import ZendeskAgentDesk  # noqa: PLC0415 - zenpy
        from connect_zendesk.adapters.zendesk.client import zenpy_client  # noqa: PLC0415 - zenpy

        settings = self.settings
        return ZendeskAgentDesk(lambda: zenpy_client(settings))

    @cached_property
    def connect_agents(self) -> ConnectAgents:
        return ConnectUserDirectory()


def call_services_for(settings: Settings) -> CallServices:
    """The container for this settings (one per Lambda container), or the one `use_services` set."""
    current = registry.services_for(settings)
    if isinstance(current, CallServices):
        return current
    if registry._containers.get(settings) is not current:
        raise TypeError("use_services() needs a CallServices for the after-call steps")
    container = CallServices(settings)
    registry._containers[settings] = container
    return container
