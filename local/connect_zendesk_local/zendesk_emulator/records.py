"""Zendesk JSON record shapes: defaults for stored records and rendering with ``url`` fields.

Stored records carry no ``url``: the emulator's port is only known once it binds, so URLs are added when
a record is rendered for a response.
"""

from __future__ import annotations

import html
import re
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

JSON = dict[str, Any]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_TYPES = ("problem", "incident", "question", "task")
USER_ROLES = ("end-user", "agent", "admin")

# Zendesk's numeric locale ids for the locales the demo uses.
LOCALE_IDS = {"en-US": 1, "es": 2, "de": 8, "zh-cn": 10, "fr": 16, "ja": 67, "ko": 69}

# Fixed account-level ids, shaped like Zendesk's.
BRAND_ID = 22450000000011
TICKET_FORM_ID = 22450000000012
CUSTOM_STATUS_IDS = {
    "new": 22450000000021,
    "open": 22450000000022,
    "pending": 22450000000023,
    "hold": 22450000000024,
    "solved": 22450000000025,
    "closed": 22450000000025,
}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as Zendesk writes them (``Z`` or an offset); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def hours_before(now: datetime, hours: float) -> str:
    return iso(now - timedelta(hours=hours))


def new_token(length: int = 25) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def digits_of(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def user_record(fields: JSON, *, user_id: int, now: str) -> JSON:
    """A full Zendesk user from the given fields; unknown fields are kept as they are."""
    locale = fields.get("locale") or "en-US"
    record: JSON = {
        "id": user_id,
        "name": fields.get("name"),
        "email": fields.get("email"),
        "created_at": fields.get("created_at", now),
        "updated_at": fields.get("updated_at", now),
        "time_zone": "Pacific Time (US & Canada)",
        "iana_time_zone": "America/Los_Angeles",
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": LOCALE_IDS.get(locale, 1),
        "locale": locale,
        "organization_id": None,
        "role": "end-user",
        "verified": False,
        "external_id": None,
        "tags": [],
        "alias": "",
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": None,
        "two_factor_auth_enabled": None,
        "signature": None,
        "details": "",
        "notes": "",
        "role_type": None,
        "custom_role_id": None,
        "moderator": False,
        "ticket_restriction": "requested",
        "only_private_comments": False,
        "restricted_agent": True,
        "suspended": False,
        "default_group_id": None,
        "report_csv": False,
        "user_fields": {},
    }
    record.update({key: value for key, value in fields.items() if key != "identities"})
    record["id"] = user_id
    record["locale_id"] = LOCALE_IDS.get(record["locale"], 1)
    if record["role"] != "end-user":
        record.update(ticket_restriction=None, restricted_agent=False, moderator=True)
    return record


def identity_record(
    *, identity_id: int, user_id: int, kind: str, value: str, primary: bool, now: str
) -> JSON:
    return {
        "id": identity_id,
        "user_id": user_id,
        "type": kind,
        "value": value,
        "verified": True,
        "primary": primary,
        "created_at": now,
        "updated_at": now,
        "undeliverable_count": 0,
        "deliverable_state": "deliverable",
    }


def ticket_record(fields: JSON, *, ticket_id: int, now: str) -> JSON:
    record: JSON = {
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": now,
        "updated_at": now,
        "generated_timestamp": 0,
        "type": None,
        "subject": None,
        "raw_subject": None,
        "description": None,
        "priority": None,
        "status": "new",
        "recipient": None,
        "requester_id": None,
        "submitter_id": None,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": TICKET_FORM_ID,
        "brand_id": BRAND_ID,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    record.update(fields)
    record["id"] = ticket_id
    record["raw_subject"] = record["subject"]
    record["custom_status_id"] = CUSTOM_STATUS_IDS[record["status"]]
    record["fields"] = record["custom_fields"]
    return record


def comment_record(
    *,
    comment_id: int,
    author_id: int,
    body: str | None,
    html_body: str | None,
    public: bool,
    attachment_ids: list[int],
    created_at: str,
    channel: str = "api",
) -> JSON:
    plain = body if body is not None else html_to_text(html_body or "")
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author_id,
        "body": plain,
        "html_body": html_body if html_body is not None else text_to_html(plain),
        "plain_body": plain,
        "public": public,
        "attachment_ids": attachment_ids,
        "audit_id": comment_id + 1,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created_at,
        "metadata": {"system": {}, "custom": {}},
    }


def text_to_html(text: str) -> str:
    paragraphs = "".join(
        f'<p dir="auto">{html.escape(part).replace(chr(10), "<br>")}</p>' for part in text.split("\n\n")
    )
    return f'<div class="zd-comment" dir="auto">{paragraphs}</div>'


def html_to_text(markup: str) -> str:
    with_breaks = re.sub(r"(?i)<br\s*/?>|</p>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", with_breaks)).strip()


class Renderer:
    """Adds the ``url`` fields that point at this emulator."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def api_url(self, path: str) -> str:
        return f"{self.base_url}/api/v2/{path}"

    def user(self, record: JSON) -> JSON:
        return {"url": self.api_url(f"users/{record['id']}.json"), **record}

    def identity(self, record: JSON) -> JSON:
        url = self.api_url(f"users/{record['user_id']}/identities/{record['id']}.json")
        return {"url": url, **record}

    def ticket(self, record: JSON, comment_count: int | None = None) -> JSON:
        rendered = {"url": self.api_url(f"tickets/{record['id']}.json"), **record}
        if comment_count is not None:
            rendered["comment_count"] = comment_count
        return rendered

    def attachment(self, record: JSON) -> JSON:
        name = quote(record["file_name"])
        content_url = f"{self.base_url}/attachments/token/{record['content_token']}/?name={name}"
        rendered = {key: value for key, value in record.items() if key != "content_token"}
        return {
            "url": self.api_url(f"attachments/{record['id']}.json"),
            **rendered,
            "content_url": content_url,
            "mapped_content_url": content_url,
        }
