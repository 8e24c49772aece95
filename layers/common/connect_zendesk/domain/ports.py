"""What the domain needs from the outside world; adapters implement these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from connect_zendesk.domain.models import TicketSummary, ZendeskUser


class ZendeskDirectory(Protocol):
    def end_users_by_phone(self, national_digits: str) -> list[ZendeskUser]:
        """End-users whose phone (any stored format) ends with these digits."""
        ...

    def phone_identities(self, user_id: int) -> list[str]: ...

    def requested_tickets(self, user_id: int) -> list[TicketSummary]:
        """Up to 100 tickets the user requested, most recently updated first."""
        ...


class LookupCache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any, ttl_seconds: int) -> None: ...


class ContactLog(Protocol):
    def record_caller(
        self,
        contact_id: str,
        *,
        caller_e164: str,
        zendesk_user_id: int | None,
        match_count: int,
        channel: str,
        language: str,
        instance_arn: str,
        lookup_result: str,
    ) -> None: ...

    def record_offered_tickets(
        self, contact_id: str, *, zendesk_user_id: int, ticket_ids: Sequence[int]
    ) -> None: ...
