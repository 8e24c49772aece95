"""Uploads: raw bytes in, a token out; a comment that names the token gets the attachments."""

from __future__ import annotations

import mimetypes
from datetime import timedelta
from typing import Any

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.errors import record_invalid
from connect_zendesk_local.zendesk_emulator.records import JSON
from connect_zendesk_local.zendesk_emulator.store import StoredFile, Upload, ZendeskStore

# Zendesk deletes unreferenced uploads after three days.
UPLOAD_LIFETIME = timedelta(days=3)


def add_upload(
    store: ZendeskStore, *, filename: str, request_content_type: str | None, data: bytes, token: str | None
) -> Upload:
    """Store one file; with ``token``, add it to that pending upload (how Zendesk groups files)."""
    if not filename:
        raise record_invalid("filename", "Filename: cannot be blank", "BlankValue")
    upload = pending_upload(store, token, field="token") if token else None
    attachment_id = store.next_id()
    store.files[attachment_id] = StoredFile(
        record={
            "id": attachment_id,
            "file_name": filename,
            "content_token": records.new_token(),
            "content_type": _content_type(filename, request_content_type),
            "size": len(data),
            "width": None,
            "height": None,
            "inline": False,
            "deleted": False,
            "malware_access_override": False,
            "malware_scan_result": "not_scanned",
            "thumbnails": [],
        },
        data=data,
    )
    if upload is None:
        upload = Upload(
            token=records.new_token(),
            attachment_ids=[],
            expires_at=store.clock() + UPLOAD_LIFETIME,
        )
        store.uploads[upload.token] = upload
    upload.attachment_ids.append(attachment_id)
    return upload


def render_upload(store: ZendeskStore, upload: Upload) -> JSON:
    attachments = [store.render_attachment(item) for item in upload.attachment_ids]
    return {
        "upload": {
            "token": upload.token,
            "expires_at": records.iso(upload.expires_at),
            "attachments": attachments,
            "attachment": attachments[-1],
        }
    }


def pending_upload(store: ZendeskStore, token: Any, *, field: str) -> Upload:
    upload = store.uploads.get(token) if isinstance(token, str) else None
    if upload is None or upload.used or upload.expires_at <= store.clock():
        raise record_invalid(field, f"Attachment token {token} is invalid or has expired")
    return upload


def claim_uploads(store: ZendeskStore, tokens: Any) -> list[int]:
    """Validate every token first, then mark them used: a bad token must not consume the good ones."""
    # zenpy sends a single token as a plain string; the API documents an array.
    token_list = [tokens] if isinstance(tokens, str) else tokens
    if not isinstance(token_list, list):
        raise record_invalid("uploads", "Uploads: must be a list of upload tokens")
    checked = [pending_upload(store, token, field="uploads") for token in token_list]
    uploads = list({upload.token: upload for upload in checked}.values())
    for upload in uploads:
        upload.used = True
    return [attachment_id for upload in uploads for attachment_id in upload.attachment_ids]


def find_file_by_content_token(store: ZendeskStore, content_token: str) -> StoredFile | None:
    return next(
        (item for item in store.files.values() if item.record["content_token"] == content_token),
        None,
    )


def _content_type(filename: str, request_content_type: str | None) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    if request_content_type and request_content_type != "application/x-www-form-urlencoded":
        return request_content_type.split(";")[0].strip()
    return "application/octet-stream"
