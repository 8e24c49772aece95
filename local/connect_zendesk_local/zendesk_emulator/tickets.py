"""Ticket writes: create, update (comments, status, tags, custom fields) and the tags endpoint.

Everything a request asks for is validated before anything is changed, so a 422 leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.errors import bad_request, record_invalid, update_conflict
from connect_zendesk_local.zendesk_emulator.records import JSON
from connect_zendesk_local.zendesk_emulator.store import ZendeskStore
from connect_zendesk_local.zendesk_emulator.uploads import claim_uploads
from connect_zendesk_local.zendesk_emulator.users import new_user_fields

PASS_THROUGH_FIELDS = (
    "group_id",
    "organization_id",
    "due_at",
    "collaborator_ids",
    "email_cc_ids",
    "follower_ids",
    "problem_id",
    "brand_id",
    "ticket_form_id",
)
VALIDATED_FIELDS = ("subject", "status", "priority", "type", "assignee_id", "requester_id", "external_id")
OTHER_UPDATE_FIELDS = ("comment", "tags", "additional_tags", "remove_tags", "custom_fields", "fields")
# Accepted and ignored: the emulator has no custom statuses. (safe_update/updated_stamp: see below.)
IGNORED_UPDATE_FIELDS = ("custom_status_id", "safe_update", "updated_stamp")
UPDATE_FIELDS = frozenset(
    (*PASS_THROUGH_FIELDS, *VALIDATED_FIELDS, *OTHER_UPDATE_FIELDS, *IGNORED_UPDATE_FIELDS)
)
CREATE_FIELDS = UPDATE_FIELDS | {"requester", "submitter_id", "via", "description", "recipient", "is_public"}


@dataclass(frozen=True)
class CommentSpec:
    body: str | None
    html_body: str | None
    public: bool
    author_id: int | None
    upload_tokens: Any


@dataclass(frozen=True)
class TicketWrite:
    """A ticket after a write, with the audit Zendesk returns and any x-zendesk-api-warn keys."""

    ticket: JSON
    audit: JSON
    unpermitted_keys: list[str]


def ticket_payload(body: Any) -> JSON:
    if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
        raise bad_request('Expected a JSON object with a "ticket" object')
    return cast(JSON, body["ticket"])


def create_ticket(store: ZendeskStore, payload: JSON, actor_id: int) -> TicketWrite:
    changes = _validated_changes(store, payload)
    raw_comment = payload.get("comment")
    if raw_comment is None and payload.get("description"):
        raw_comment = {"body": payload["description"]}
    comment = _comment_spec(store, raw_comment)
    if comment is None:
        raise record_invalid("description", "Description: cannot be blank", "BlankValue")
    requester = _resolve_requester(store, payload.get("requester"))
    submitter_id = _existing_user_id(store, payload.get("submitter_id", actor_id), "submitter_id")
    tags = normalise_tags(payload.get("tags", []))
    custom_fields = _custom_fields(payload)
    attachment_ids = claim_uploads(store, comment.upload_tokens) if comment.upload_tokens else []

    # Validation is over: from here on the request changes the account.
    requester_id = changes.pop("requester_id", None)
    if isinstance(requester, dict):
        requester_id = int(store.add_user(requester)["id"])
    elif requester is not None:
        requester_id = requester
    now = store.now()
    fields = {
        **{key: payload[key] for key in PASS_THROUGH_FIELDS if key in payload},
        **changes,
        "requester_id": requester_id or actor_id,
        "submitter_id": submitter_id,
        "tags": tags,
        "custom_fields": custom_fields or [],
        "via": _via(payload.get("via")),
        "is_public": comment.public,
        "created_at": now,
        "updated_at": now,
    }
    fields.setdefault("status", "new")
    if comment.body is not None:
        fields["description"] = comment.body
    ticket = records.ticket_record(fields, ticket_id=store.next_ticket_id(), now=now)
    if comment.html_body is not None and comment.body is None:
        ticket["description"] = records.html_to_text(comment.html_body)
    store.tickets[ticket["id"]] = ticket
    store.comments[ticket["id"]] = []
    added = _add_comment(
        store,
        ticket,
        spec=comment,
        author_id=comment.author_id or submitter_id,
        attachment_ids=attachment_ids,
        now=now,
    )
    events = [_comment_event(store, added)] + [
        {"id": store.next_id(), "type": "Create", "field_name": name, "value": _event_value(ticket[name])}
        for name in ("subject", "requester_id", "priority", "type", "status")
    ]
    audit = _audit(store, ticket, actor_id, events, audit_id=added["audit_id"])
    return TicketWrite(ticket, audit, _unpermitted(payload, CREATE_FIELDS))


def update_ticket(store: ZendeskStore, ticket_id: int, payload: JSON, actor_id: int) -> TicketWrite:
    ticket = store.ticket(ticket_id)
    if ticket["status"] == "closed":
        raise record_invalid("status", "Status: closed prevents ticket update", "ClosedPreventsUpdate")
    _check_safe_update(ticket, payload)
    changes = _validated_changes(store, payload)
    tags = _updated_tags(ticket["tags"], payload)
    custom_fields = _custom_fields(payload)
    comment = _comment_spec(store, payload.get("comment"))
    attachment_ids = claim_uploads(store, comment.upload_tokens) if comment and comment.upload_tokens else []

    now = store.now()
    changes.update({key: payload[key] for key in PASS_THROUGH_FIELDS if key in payload})
    if tags != ticket["tags"]:
        changes["tags"] = tags
    if custom_fields is not None:
        changes["custom_fields"] = _merge_custom_fields(ticket["custom_fields"], custom_fields)
    events = _apply_changes(store, ticket, changes)
    audit_id = None
    if comment is not None:
        added = _add_comment(
            store,
            ticket,
            spec=comment,
            author_id=comment.author_id or actor_id,
            attachment_ids=attachment_ids,
            now=now,
        )
        events.insert(0, _comment_event(store, added))
        audit_id = added["audit_id"]
    if events:
        ticket["updated_at"] = now
    audit = _audit(store, ticket, actor_id, events, audit_id=audit_id)
    return TicketWrite(ticket, audit, _unpermitted(payload, UPDATE_FIELDS))


def modify_tags(store: ZendeskStore, ticket_id: int, method: str, body: Any) -> list[str]:
    """PUT adds, POST replaces, DELETE removes; GET (no body) just reads."""
    ticket = store.ticket(ticket_id)
    if method == "GET":
        return list(ticket["tags"])
    if not isinstance(body, dict) or "tags" not in body:
        raise bad_request('Expected a JSON object with a "tags" array')
    given = normalise_tags(body["tags"])
    if method == "PUT":
        tags = _dedupe([*ticket["tags"], *given])
    elif method == "POST":
        tags = given
    else:
        tags = [tag for tag in ticket["tags"] if tag not in given]
    if tags != ticket["tags"]:
        ticket["tags"] = tags
        ticket["updated_at"] = store.now()
    return list(tags)


def normalise_tags(tags: Any) -> list[str]:
    """Zendesk tags are lower case and cannot contain spaces: "VIP Caller" becomes two tags."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise record_invalid("tags", "Tags: must be a list of strings")
    return _dedupe([word.lower() for tag in tags for word in tag.split()])


# --------------------------------------------------------------------------- validation helpers
def _check_safe_update(ticket: JSON, payload: JSON) -> None:
    """``safe_update: true`` with ``updated_stamp``: 409 when the ticket was updated after the stamp.

    Checked when the update is applied, so a write held past its client's timeout and applied late
    is refused if anything changed the ticket meanwhile (and changes it, if it is applied).
    """
    if payload.get("safe_update") is not True or payload.get("updated_stamp") is None:
        return
    stamp = records.parse_time(payload["updated_stamp"])
    if stamp is None:
        raise bad_request("updated_stamp is not an ISO 8601 time")
    updated = records.parse_time(ticket["updated_at"])
    if updated is not None and updated > stamp:
        raise update_conflict()


def _validated_changes(store: ZendeskStore, payload: JSON) -> JSON:
    changes: JSON = {}
    if "subject" in payload:
        if not isinstance(payload["subject"], str | None):
            raise record_invalid("subject", "Subject: must be text")
        changes["subject"] = payload["subject"]
    for name, allowed in (
        ("status", records.TICKET_STATUSES),
        ("priority", (*records.TICKET_PRIORITIES, None)),
        ("type", (*records.TICKET_TYPES, None)),
    ):
        if name in payload:
            if payload[name] not in allowed:
                raise record_invalid(name, f"{name.capitalize()}: {payload[name]} is not valid")
            changes[name] = payload[name]
    if "requester_id" in payload:
        changes["requester_id"] = _existing_user_id(store, payload["requester_id"], "requester_id")
    if "assignee_id" in payload:
        changes["assignee_id"] = _assignee_id(store, payload["assignee_id"])
    if "external_id" in payload:
        external_id = payload["external_id"]
        changes["external_id"] = None if external_id is None else str(external_id)
    return changes


def _existing_user_id(store: ZendeskStore, value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in store.users:
        raise record_invalid(field, f"{field}: {value} is not a valid user")
    return value


def _assignee_id(store: ZendeskStore, value: Any) -> int | None:
    if value is None:
        return None
    assignee = _existing_user_id(store, value, "assignee_id")
    if store.users[assignee]["role"] == "end-user":
        raise record_invalid("assignee_id", "Assignee: must be an agent")
    return assignee


def _comment_spec(store: ZendeskStore, raw: Any) -> CommentSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise record_invalid("comment", "Comment: must be an object")
    body, html_body = raw.get("body"), raw.get("html_body")
    has_text = any(isinstance(text, str) and text.strip() for text in (body, html_body))
    if not has_text and not raw.get("uploads"):
        raise record_invalid("comment", "Comment: cannot be blank", "BlankValue")
    public = raw.get("public", True)
    if not isinstance(public, bool):
        raise record_invalid("comment", "Comment: public must be true or false")
    author_id = raw.get("author_id")
    if author_id is not None:
        _existing_user_id(store, author_id, "comment.author_id")
    return CommentSpec(
        body=body if isinstance(body, str) else None,
        html_body=html_body if isinstance(html_body, str) else None,
        public=public,
        author_id=author_id,
        upload_tokens=raw.get("uploads"),
    )


def _resolve_requester(store: ZendeskStore, raw: Any) -> int | JSON | None:
    """Like Zendesk: the user with that email, otherwise a new end-user.

    Returns the existing user's id, or the validated fields of the user to create once the whole
    request has passed validation.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict) or not (raw.get("email") or raw.get("name")):
        raise record_invalid("requester", "Requester: needs a name or an email")
    email = raw.get("email")
    existing = store.find_user_by_email(email) if isinstance(email, str) and email else None
    if existing is not None:
        return int(existing["id"])
    fields = {"name": raw.get("name") or str(email).split("@")[0], "role": "end-user"}
    fields.update({key: raw[key] for key in ("email", "phone", "locale") if raw.get(key)})
    return new_user_fields(store, fields)


def _custom_fields(payload: JSON) -> list[JSON] | None:
    raw = payload.get("custom_fields", payload.get("fields"))
    if raw is None:
        return None
    valid = isinstance(raw, list) and all(
        isinstance(item, dict) and isinstance(item.get("id"), int) for item in raw
    )
    if not valid:
        raise record_invalid("custom_fields", "Custom fields: each needs an integer id and a value")
    return [{"id": item["id"], "value": item.get("value")} for item in raw]


def _merge_custom_fields(current: list[JSON], incoming: list[JSON]) -> list[JSON]:
    merged = {item["id"]: item["value"] for item in current}
    merged.update({item["id"]: item["value"] for item in incoming})
    return [{"id": field_id, "value": value} for field_id, value in merged.items()]


def _updated_tags(current: list[str], payload: JSON) -> list[str]:
    tags = normalise_tags(payload["tags"]) if "tags" in payload else list(current)
    tags = _dedupe([*tags, *normalise_tags(payload.get("additional_tags", []))])
    removed = set(normalise_tags(payload.get("remove_tags", [])))
    return [tag for tag in tags if tag not in removed]


def _via(raw: Any) -> JSON:
    channel = raw.get("channel") if isinstance(raw, dict) else None
    return {"channel": channel or "api", "source": {"from": {}, "to": {}, "rel": None}}


def _unpermitted(payload: JSON, allowed: frozenset[str]) -> list[str]:
    return [f"ticket.{key}" for key in payload if key not in allowed]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- writing
def _apply_changes(store: ZendeskStore, ticket: JSON, changes: JSON) -> list[JSON]:
    events = []
    for name, value in changes.items():
        if ticket.get(name) == value:
            continue
        events.append(
            {
                "id": store.next_id(),
                "type": "Change",
                "field_name": name,
                "value": _event_value(value),
                "previous_value": _event_value(ticket.get(name)),
            }
        )
        ticket[name] = value
    ticket["raw_subject"] = ticket["subject"]
    ticket["custom_status_id"] = records.CUSTOM_STATUS_IDS[ticket["status"]]
    ticket["fields"] = ticket["custom_fields"]
    return events


def _add_comment(
    store: ZendeskStore,
    ticket: JSON,
    *,
    spec: CommentSpec,
    author_id: int,
    attachment_ids: list[int],
    now: str,
) -> JSON:
    return store.add_comment(
        ticket,
        author_id=author_id,
        body=spec.body if spec.body is not None or spec.html_body is not None else "",
        html_body=spec.html_body,
        public=spec.public,
        attachment_ids=attachment_ids,
        created_at=now,
    )


def _comment_event(store: ZendeskStore, comment: JSON) -> JSON:
    rendered = store.render_comment(comment)
    return {key: rendered[key] for key in ("id", "type", "author_id", "body", "html_body", "plain_body")} | {
        "public": rendered["public"],
        "attachments": rendered["attachments"],
        "audit_id": rendered["audit_id"],
    }


def _audit(
    store: ZendeskStore, ticket: JSON, actor_id: int, events: list[JSON], audit_id: int | None
) -> JSON:
    return {
        "id": audit_id or store.next_id(),
        "ticket_id": ticket["id"],
        "created_at": store.now(),
        "author_id": actor_id,
        "metadata": {"system": {"ip_address": "127.0.0.1"}, "custom": {}},
        "events": events,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    }


def _event_value(value: Any) -> Any:
    """Audit events carry ids as strings, like Zendesk's."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
