"""How large an agent's note may be, and the item that holds a contact's notes.

A contact's notes live on their own item of the Contacts table (`<contactId>#agentNotes`), not on
the contact's item: that one also holds the conversation log, the summary and the sentiment, and
must not have to share DynamoDB's 400 KB with a hundred notes. Each note is bounded by UTF-8 bytes,
not characters (a CJK character takes 3 bytes, an emoji 4), so the documented 100 notes fit the
notes item in any script; `largest_notes_item` is the worst case a test holds under the limit.
"""

from __future__ import annotations

import re
from typing import Any

from connect_zendesk.adapters.contacts_table import NOTE_ATTRIBUTE_PREFIX, NOTES_KEY_SUFFIX
from connect_zendesk.adapters.item_size import item_bytes

MAX_NOTES = 100
MAX_NOTE_CHARS = 2000  # what the panel lets an agent type; longer is refused
MAX_NOTE_BYTES = 3000  # what is stored: 2,000 Latin letters, 1,000 CJK characters, 750 emoji
NOTE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_NOTE_ID_CHARS = 64
MAX_AGENT_ID_CHARS = 128  # signed_tokens.AGENT_ID
MAX_CONTACT_ID_CHARS = 128  # signed_tokens.CONTACT_ID
ISO_MILLIS_EXAMPLE = "2026-12-04T18:00:00.000+00:00"  # the `at`, `updatedAt` and `createdAt` format


def notes_key(contact_id: str) -> str:
    """The Contacts table key of the item holding the contact's notes."""
    return f"{contact_id}{NOTES_KEY_SUFFIX}"


def note_attribute(note_id: str) -> str:
    """The notes item's attribute holding one note (one per note: a write never rewrites the others)."""
    return f"{NOTE_ATTRIBUTE_PREFIX}{note_id}"


def fit_note(text: str) -> tuple[str, bool]:
    """The note as stored: at most MAX_NOTE_BYTES of UTF-8, cut between characters; True if cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_NOTE_BYTES:
        return text, False
    # errors="ignore" drops the partial character a byte cut leaves at the end, never a whole one.
    return encoded[:MAX_NOTE_BYTES].decode("utf-8", errors="ignore").rstrip(), True


def largest_notes_item() -> dict[str, Any]:
    """The biggest notes item the adapter can write: MAX_NOTES notes of MAX_NOTE_BYTES with the
    longest ids, as contact_realtime.DynamoContactRealtime.append_agent_note shapes them."""
    note_ids = [f"{index:0{MAX_NOTE_ID_CHARS}d}" for index in range(MAX_NOTES)]
    notes = {
        note_attribute(note_id): {
            "noteId": note_id,
            "agentId": "a" * MAX_AGENT_ID_CHARS,
            "text": "\U0001f600" * (MAX_NOTE_BYTES // 4),  # 4-byte characters, exactly at the bound
            "at": ISO_MILLIS_EXAMPLE,
        }
        for note_id in note_ids
    }
    return {
        "contactId": notes_key("c" * MAX_CONTACT_ID_CHARS),
        **notes,
        "agentNoteIds": set(note_ids),
        "updatedAt": ISO_MILLIS_EXAMPLE,
        "createdAt": ISO_MILLIS_EXAMPLE,
        "ttl": 10**12,
    }


def largest_notes_item_bytes() -> int:
    return item_bytes(largest_notes_item())
