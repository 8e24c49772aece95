"""The adapters the real-time functions use, built lazily from settings and reused by the container."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

from connect_zendesk.adapters.alert_topic import SnsAlertTopic
from connect_zendesk.adapters.connections_table import DynamoConnections
from connect_zendesk.adapters.contact_realtime import DynamoContactRealtime
from connect_zendesk.adapters.panel_gateway import ApiGatewayPanelGateway, management_endpoint
from connect_zendesk.adapters.secrets import secret_fields
from connect_zendesk.adapters.transcripts_table import DynamoTranscripts
from connect_zendesk.errors import NotConfigured
from connect_zendesk.realtime.analysis import Analyser, analyser_for
from connect_zendesk.realtime.panel_access import ContactAssignments, ZendeskGroupMemberships
from connect_zendesk.realtime.panel_push import PanelGateway, PanelPusher
from connect_zendesk.realtime.segments import TranscriptWriter
from connect_zendesk.settings import Settings


class RealtimeServices:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    @cached_property
    def contacts(self) -> DynamoContactRealtime:
        return DynamoContactRealtime(
            self.settings.contacts_table, self.settings.contact_retention_days, self.clock
        )

    @cached_property
    def transcripts(self) -> DynamoTranscripts:
        return DynamoTranscripts(self.settings.transcripts_table)

    @cached_property
    def writer(self) -> TranscriptWriter:
        return TranscriptWriter(self.transcripts, self.settings.transcript_retention_days)

    @cached_property
    def connections(self) -> DynamoConnections:
        return DynamoConnections(self.settings.connections_table)

    @cached_property
    def gateway(self) -> PanelGateway:
        if not self.settings.panel_socket_endpoint:
            raise NotConfigured("PANEL_SOCKET_ENDPOINT is not set")
        endpoint = management_endpoint(self.settings.panel_socket_endpoint, self.settings.panel_socket_stage)
        return ApiGatewayPanelGateway(endpoint)

    @cached_property
    def pusher(self) -> PanelPusher:
        return PanelPusher(self.connections, self.gateway, self.clock)

    @cached_property
    def analyser(self) -> Analyser:
        return analyser_for(self.settings.sentiment_backend)

    @cached_property
    def alert_topic(self) -> SnsAlertTopic | None:
        arn = self.settings.supervisor_alert_topic_arn
        return SnsAlertTopic(arn) if arn else None

    @cached_property
    def assignments(self) -> ContactAssignments:
        return ContactAssignments(self.settings.contacts_table)

    def supervisor_group_ids(self, agent_id: str) -> set[int]:
        """The agent's Zendesk groups; asked only when supervisor groups are configured."""
        from connect_zendesk.adapters.zendesk.client import zenpy_client  # noqa: PLC0415 - zenpy
        from connect_zendesk.adapters.zendesk.ticket_writes import ZendeskTicketWriter  # noqa: PLC0415

        settings = self.settings
        writer = ZendeskTicketWriter(lambda: zenpy_client(settings))
        return ZendeskGroupMemberships(lambda path: writer._request("GET", path)).group_ids(agent_id)

    def panel_signing_keys(self) -> list[str]:
        """The current key first; `previous_signing_key` is still accepted while a rotation settles."""
        fields = secret_fields(self.settings.panel_token_secret_arn, "signing_key", "previous_signing_key")
        return [key for key in (fields["signing_key"], fields.get("previous_signing_key", "")) if key]

    def zendesk_app_secret(self) -> str:
        return secret_fields(self.settings.zendesk_app_secret_arn, "shared_secret")["shared_secret"]


_containers: dict[Settings, RealtimeServices] = {}
_override: RealtimeServices | None = None


def realtime_services_for(settings: Settings) -> RealtimeServices:
    if _override is not None:
        return _override
    return _containers.setdefault(settings, RealtimeServices(settings))


@contextmanager
def use_realtime_services(services: RealtimeServices) -> Iterator[RealtimeServices]:
    """Make every real-time handler in this process use `services` (tests)."""
    global _override  # noqa: PLW0603 - one process-wide seam, restored on exit
    previous, _override = _override, services
    try:
        yield services
    finally:
        _override = previous


def reset() -> None:
    _containers.clear()
