"""User writes: create and create-or-update, validated the way Zendesk validates them."""

from __future__ import annotations

from typing import Any, cast

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.errors import bad_request, record_invalid
from connect_zendesk_local.zendesk_emulator.records import JSON
from connect_zendesk_local.zendesk_emulator.store import ZendeskStore

# Fields a client may set; anything else (url, created_at...) is read-only and ignored.
WRITABLE_USER_FIELDS = (
    "name",
    "email",
    "phone",
    "shared_phone_number",
    "locale",
    "role",
    "external_id",
    "tags",
    "time_zone",
    "iana_time_zone",
    "organization_id",
    "details",
    "notes",
    "user_fields",
    "verified",
    "alias",
)


def user_payload(body: Any) -> JSON:
    if not isinstance(body, dict) or not isinstance(body.get("user"), dict):
        raise bad_request('Expected a JSON object with a "user" object')
    return cast(JSON, body["user"])


def create_user(store: ZendeskStore, payload: JSON) -> JSON:
    return store.add_user(new_user_fields(store, payload))


def new_user_fields(store: ZendeskStore, payload: JSON) -> JSON:
    """Validated fields for a new user, ready for ``store.add_user`` (nothing is stored yet)."""
    fields = _validated_fields(store, payload, existing=None)
    if not fields.get("name"):
        raise record_invalid("name", "Name: cannot be blank", "BlankValue")
    identities = payload.get("identities", [])
    _validate_identities(identities)
    return {**fields, "identities": identities}


def create_or_update_user(store: ZendeskStore, payload: JSON) -> tuple[JSON, bool]:
    """Match on external_id, then email; returns (user, created)."""
    existing = None
    if payload.get("external_id"):
        existing = store.find_user_by_external_id(str(payload["external_id"]))
    if existing is None and payload.get("email"):
        existing = store.find_user_by_email(str(payload["email"]))
    if existing is None:
        return create_user(store, payload), True
    fields = _validated_fields(store, payload, existing=existing)
    existing.update(fields)
    existing["locale_id"] = records.LOCALE_IDS.get(existing["locale"], 1)
    existing["updated_at"] = store.now()
    return existing, False


def _validated_fields(store: ZendeskStore, payload: JSON, existing: JSON | None) -> JSON:
    fields = {key: payload[key] for key in WRITABLE_USER_FIELDS if key in payload}
    if "name" in fields and not isinstance(fields["name"], str):
        raise record_invalid("name", "Name: must be text")
    role = fields.get("role", "end-user")
    if role not in records.USER_ROLES:
        raise record_invalid("role", f"Role: {role} is not a valid role")
    email = fields.get("email")
    if email is not None:
        _validate_email(store, email, existing)
    phone = fields.get("phone")
    if phone is not None and (not isinstance(phone, str) or not records.digits_of(phone)):
        raise record_invalid("phone", f"Phone: {phone} is not a valid phone number")
    return fields


def _validate_email(store: ZendeskStore, email: Any, existing: JSON | None) -> None:
    if not isinstance(email, str) or "@" not in email:
        raise record_invalid("email", f"Email: {email} is not properly formatted")
    owner = store.find_user_by_email(email)
    if owner is not None and owner is not existing:
        raise record_invalid(
            "email", f"Email: {email} is already being used by another user", "DuplicateValue"
        )


def _validate_identities(identities: Any) -> None:
    valid = isinstance(identities, list) and all(
        isinstance(item, dict)
        and item.get("type") in ("email", "phone_number")
        and isinstance(item.get("value"), str)
        for item in identities
    )
    if not valid:
        raise record_invalid("identities", "Identities: each needs a type (email, phone_number) and a value")
