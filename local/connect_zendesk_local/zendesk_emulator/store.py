"""The emulator's in-memory Zendesk account: users, identities, tickets, comments, uploads.

Every read and write happens under ``store.lock`` (the HTTP layer holds it for a whole API call), so
concurrent requests see each mutation whole.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.errors import not_found
from connect_zendesk_local.zendesk_emulator.records import JSON, Renderer

# Ids Zendesk generates are large; these counters start in the same range as the seed's.
FIRST_GENERATED_ID = 22450000500000
FIRST_USER_ID = 22450000009001
HOURS_AGO_SUFFIX = "_hours_ago"


@dataclass
class Upload:
    """A pending upload: attachments waiting for a comment to reference ``token``."""

    token: str
    attachment_ids: list[int]
    expires_at: datetime
    used: bool = False


@dataclass
class IdempotentCreate:
    """What Zendesk keeps for an ``Idempotency-Key`` (2 hours): the request's parameters and, once the
    request is done, its answer (None while it is still being processed, e.g. held as a late write)."""

    fingerprint: str
    stored_at: datetime
    answer: tuple[int, bytes, dict[str, str]] | None = None


@dataclass
class StoredFile:
    record: JSON
    data: bytes = field(repr=False)


class ZendeskStore:
    users: dict[int, JSON]
    identities: dict[int, list[JSON]]
    tickets: dict[int, JSON]
    comments: dict[int, list[JSON]]
    files: dict[int, StoredFile]
    uploads: dict[str, Upload]
    idempotency: dict[str, IdempotentCreate]
    api_user_id: int

    def __init__(
        self,
        dataset: JSON,
        *,
        api_email: str,
        base_url: str = "http://127.0.0.1",
        clock: Callable[[], datetime] = records.utc_now,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        # How far the emulator's time runs ahead of the wall clock: a write applied "two minutes late"
        # moves it, so that write's updated_at differs from every stamp read before it.
        self.clock_offset = timedelta(0)
        self.idempotency = {}
        self.renderer = Renderer(base_url)
        self.api_email = api_email
        self.reload(dataset)

    def reload(self, dataset: JSON) -> None:
        """Forget everything and load ``dataset`` again, with times relative to now."""
        with self.lock:
            self.users, self.identities, self.tickets, self.comments = {}, {}, {}, {}
            self.files, self.uploads = {}, {}
            self.idempotency = {}
            self.clock_offset = timedelta(0)
            self._sequence = FIRST_GENERATED_ID
            self._load(copy.deepcopy(dataset))
            self.api_user_id = self._ensure_api_user(self.api_email)

    # ----------------------------------------------------------------- ids and time
    def next_id(self) -> int:
        self._sequence += 1
        return self._sequence

    def next_user_id(self) -> int:
        return max([FIRST_USER_ID, *self.users]) + 1

    def next_ticket_id(self) -> int:
        return max([0, *self.tickets]) + 1

    def now(self) -> str:
        return records.iso(self.clock() + self.clock_offset)

    def moment(self) -> datetime:
        return self.clock() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += timedelta(seconds=max(seconds, 0.0))

    # ----------------------------------------------------------------- seed loading
    def _load(self, dataset: JSON) -> None:
        now = self.clock()
        for entry in dataset.get("users", []):
            self.add_user(materialise_times(entry, now))
        for entry in dataset.get("tickets", []):
            self._load_ticket(materialise_times(entry, now), now)

    def _load_ticket(self, entry: JSON, now: datetime) -> None:
        comments = [materialise_times(comment, now) for comment in entry.pop("comments", [])]
        via = {"channel": "web", **entry.pop("via", {})}
        entry["via"] = {"channel": via["channel"], "source": {"from": {}, "to": {}, "rel": None}}
        first_author = comments[0]["author_id"] if comments else entry["requester_id"]
        entry.setdefault("submitter_id", first_author)
        entry.setdefault("description", comments[0]["body"] if comments else "")
        created = str(entry.get("created_at") or self.now())
        ticket = records.ticket_record(entry, ticket_id=entry["id"], now=created)
        self.tickets[ticket["id"]] = ticket
        self.comments[ticket["id"]] = []
        for comment in comments:
            self.add_comment(
                ticket,
                author_id=comment["author_id"],
                body=comment.get("body"),
                html_body=comment.get("html_body"),
                public=comment.get("public", True),
                attachment_ids=[],
                created_at=comment.get("created_at", created),
                channel=ticket["via"]["channel"],
            )

    def _ensure_api_user(self, email: str) -> int:
        existing = self.find_user_by_email(email)
        if existing is not None:
            return int(existing["id"])
        return int(self.add_user({"name": "API User", "email": email, "role": "admin"})["id"])

    # ----------------------------------------------------------------- users
    def add_user(self, fields: JSON) -> JSON:
        """Store a user (fields already validated) with its email and phone identities."""
        now = self.now()
        user_id = int(fields.get("id") or self.next_user_id())
        user = records.user_record(fields, user_id=user_id, now=now)
        self.users[user_id] = user
        self.identities[user_id] = []
        if user["email"]:
            self.add_identity(user_id, "email", user["email"])
        # A shared number cannot be an identity: identities are unique to one user.
        if user["phone"] and not user["shared_phone_number"]:
            self.add_identity(user_id, "phone_number", user["phone"])
        for identity in fields.get("identities", []):
            self.add_identity(user_id, identity["type"], identity["value"])
        return user

    def add_identity(self, user_id: int, kind: str, value: str) -> None:
        primary = not any(identity["type"] == kind for identity in self.identities[user_id])
        self.identities[user_id].append(
            records.identity_record(
                identity_id=self.next_id(),
                user_id=user_id,
                kind=kind,
                value=value,
                primary=primary,
                now=self.now(),
            )
        )

    def user(self, user_id: int) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            raise not_found()
        return user

    def find_user_by_email(self, email: str) -> JSON | None:
        wanted = email.strip().lower()
        for user_id, user in self.users.items():
            if wanted in (address.lower() for address in self.emails_of(user_id)):
                return user
        return None

    def find_user_by_external_id(self, external_id: str) -> JSON | None:
        return next((user for user in self.users.values() if user["external_id"] == external_id), None)

    def emails_of(self, user_id: int) -> list[str]:
        user = self.users[user_id]
        identities = [item["value"] for item in self.identities[user_id] if item["type"] == "email"]
        return [user["email"], *identities] if user["email"] else identities

    def phones_of(self, user_id: int) -> list[str]:
        user = self.users[user_id]
        identities = [item["value"] for item in self.identities[user_id] if item["type"] == "phone_number"]
        return [user["phone"], *identities] if user["phone"] else identities

    # ----------------------------------------------------------------- tickets and comments
    def ticket(self, ticket_id: int) -> JSON:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def requested_by(self, user_id: int) -> list[JSON]:
        return [ticket for ticket in self.tickets.values() if ticket["requester_id"] == user_id]

    def add_comment(
        self,
        ticket: JSON,
        *,
        author_id: int,
        body: str | None,
        html_body: str | None,
        public: bool,
        attachment_ids: list[int],
        created_at: str,
        channel: str = "api",
    ) -> JSON:
        comment = records.comment_record(
            comment_id=self.next_id(),
            author_id=author_id,
            body=body,
            html_body=html_body,
            public=public,
            attachment_ids=attachment_ids,
            created_at=created_at,
            channel=channel,
        )
        self.next_id()  # the comment's audit id (comment id + 1)
        self.comments[ticket["id"]].append(comment)
        return comment

    # ----------------------------------------------------------------- rendering
    def render_user(self, user: JSON) -> JSON:
        return self.renderer.user(copy.deepcopy(user))

    def render_identity(self, identity: JSON) -> JSON:
        return self.renderer.identity(copy.deepcopy(identity))

    def render_ticket(self, ticket: JSON, *, comment_count: bool = False) -> JSON:
        """``comment_count`` is a Zendesk sideload (``include=comment_count``), not a default field."""
        count = len(self.comments[ticket["id"]]) if comment_count else None
        return self.renderer.ticket(copy.deepcopy(ticket), count)

    def render_attachment(self, attachment_id: int) -> JSON:
        return self.renderer.attachment(copy.deepcopy(self.files[attachment_id].record))

    def render_comment(self, comment: JSON) -> JSON:
        rendered = {key: copy.deepcopy(value) for key, value in comment.items() if key != "attachment_ids"}
        rendered["attachments"] = [self.render_attachment(item) for item in comment["attachment_ids"]]
        return rendered

    # ----------------------------------------------------------------- read access for tests
    def get_user(self, user_id: int) -> JSON | None:
        with self.lock:
            return self.render_user(self.users[user_id]) if user_id in self.users else None

    def get_ticket(self, ticket_id: int) -> JSON | None:
        with self.lock:
            if ticket_id not in self.tickets:
                return None
            return self.render_ticket(self.tickets[ticket_id], comment_count=True)

    def list_users(self) -> list[JSON]:
        with self.lock:
            return [self.render_user(user) for user in self.users.values()]

    def list_tickets(self) -> list[JSON]:
        with self.lock:
            return [self.render_ticket(ticket, comment_count=True) for ticket in self.tickets.values()]

    def get_comments(self, ticket_id: int) -> list[JSON]:
        with self.lock:
            return [self.render_comment(comment) for comment in self.comments.get(ticket_id, [])]

    def get_upload(self, token: str) -> Upload | None:
        with self.lock:
            upload = self.uploads.get(token)
            return copy.deepcopy(upload)

    def attachment_content(self, attachment_id: int) -> bytes:
        with self.lock:
            return self.files[attachment_id].data


def materialise_times(entry: JSON, now: datetime) -> JSON:
    """Turn ``<name>_hours_ago`` fields into ``<name>_at`` timestamps relative to ``now``."""
    result: dict[str, Any] = {}
    for key, value in entry.items():
        if key.endswith(HOURS_AGO_SUFFIX):
            result[key.removesuffix(HOURS_AGO_SUFFIX) + "_at"] = records.hours_before(now, float(value))
        else:
            result[key] = value
    return result
