"""The adapters a step uses, built lazily from settings and reused by the container.

boto3 is imported with this module (it is in every Lambda runtime and most steps need it); zenpy
only when Zendesk is first called, because a cache hit never needs it. Tests hand the domain a
`Services` with fakes; `use_services` swaps what handlers get.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property

from connect_zendesk.adapters.contacts_table import DynamoContactLog
from connect_zendesk.adapters.lookup_cache import DynamoLookupCache
from connect_zendesk.adapters.self_service_table import DynamoSelfService
from connect_zendesk.adapters.sms import SnsSms
from connect_zendesk.domain.ports import ContactLog, LookupCache, SelfServiceStore, SmsSender, ZendeskService
from connect_zendesk.settings import Settings


class Services:
    def __init__(
        self,
        settings: Settings,
        *,
        zendesk: ZendeskService | None = None,
        cache: LookupCache | None = None,
        contacts: ContactLog | None = None,
        clock: Callable[[], float] = time.time,
        self_service: SelfServiceStore | None = None,
        sms: SmsSender | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        if zendesk is not None:
            self.__dict__["zendesk"] = zendesk
        if cache is not None:
            self.__dict__["cache"] = cache
        if contacts is not None:
            self.__dict__["contacts"] = contacts
        if self_service is not None:
            self.__dict__["self_service"] = self_service
        if sms is not None:
            self.__dict__["sms"] = sms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    @cached_property
    def zendesk(self) -> ZendeskService:
        from connect_zendesk.adapters.zendesk.gateway import ZendeskGateway  # noqa: PLC0415 - loads zenpy

        return ZendeskGateway.from_settings(self.settings)

    @cached_property
    def cache(self) -> LookupCache:
        return DynamoLookupCache(self.settings.cache_table, clock=self.clock)

    @cached_property
    def contacts(self) -> ContactLog:
        return DynamoContactLog(
            self.settings.contacts_table, self.settings.contact_retention_days, clock=self.clock
        )

    @cached_property
    def self_service(self) -> SelfServiceStore:
        return DynamoSelfService(
            self.settings.self_service_table, self.settings.self_service_retention_days, clock=self.clock
        )

    @cached_property
    def sms(self) -> SmsSender:
        return SnsSms(self.settings.sms)


_containers: dict[Settings, Services] = {}
_override: Services | None = None


def services_for(settings: Settings) -> Services:
    if _override is not None:
        return _override
    return _containers.setdefault(settings, Services(settings))


@contextmanager
def use_services(services: Services) -> Iterator[Services]:
    """Make every handler in this process use `services` (tests, the local invoke CLI)."""
    global _override  # noqa: PLW0603 - one process-wide seam, restored on exit
    previous, _override = _override, services
    try:
        yield services
    finally:
        _override = previous


def reset_caches() -> None:
    """Forget every per-container cache: settings, clients, token, service containers.

    For tests and the local stack, which start fresh backends in one long-lived process.
    """
    import sys  # noqa: PLC0415

    from connect_zendesk.adapters.aws_clients import reset_clients  # noqa: PLC0415
    from connect_zendesk.adapters.secrets import forget_zendesk_api_token  # noqa: PLC0415
    from connect_zendesk.settings import get_settings  # noqa: PLC0415

    reset_clients()
    forget_zendesk_api_token()
    get_settings.cache_clear()
    _containers.clear()
    zendesk_client = sys.modules.get("connect_zendesk.adapters.zendesk.client")
    if zendesk_client is not None:  # only loaded once Zendesk was called
        zendesk_client.reset_clients()
    realtime = sys.modules.get("connect_zendesk.realtime.wiring")
    if realtime is not None:
        realtime.reset()
