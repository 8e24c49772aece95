"""Agent notes are bounded by UTF-8 bytes, so the documented 100 fit their item in any script
(issue 12, finding 6). Pure: no AWS (the moto round trip is in test_realtime_adapters.py)."""

from __future__ import annotations

import pytest
from connect_zendesk.adapters.item_size import MAX_ITEM_BYTES, item_bytes, value_bytes
from connect_zendesk.realtime.agent_notes import (
    MAX_NOTE_BYTES,
    MAX_NOTE_CHARS,
    MAX_NOTES,
    fit_note,
    largest_notes_item,
    largest_notes_item_bytes,
    notes_key,
)

# One sentence per script, repeated to the 2,000 characters the panel lets an agent type.
SCRIPTS = {
    "en": ("Customer wants a technician on Tuesday. ", 1),
    "ja": ("お客様は火曜日に技術者の訪問を希望しています。", 3),
    "ko": ("고객은 화요일에 기술자 방문을 원합니다. ", 3),  # Hangul 3 bytes, spaces and dots 1
    "zh": ("客户希望周二有技术人员上门。", 3),
    "emoji": ("🖨️❌😡👍", 4),  # 4-byte characters and a 3-byte variation selector
}


def typed_note(sentence: str) -> str:
    return (sentence * (MAX_NOTE_CHARS // len(sentence) + 1))[:MAX_NOTE_CHARS]


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_longest_note_an_agent_can_type_is_stored_within_the_byte_bound_on_a_character_boundary(
    script: str,
) -> None:
    sentence, _ = SCRIPTS[script]
    text = typed_note(sentence)

    stored, shortened = fit_note(text)

    assert len(stored.encode("utf-8")) <= MAX_NOTE_BYTES
    assert text.startswith(stored)  # a prefix of whole characters: nothing garbled, nothing reordered
    stored.encode("utf-8").decode("utf-8")  # valid UTF-8 (a cut inside a character would not be)
    assert shortened is (len(text.encode("utf-8")) > MAX_NOTE_BYTES)
    # The cut keeps as much as fits: one more character would cross the bound.
    if shortened:
        assert len(text[: len(stored) + 1].encode("utf-8")) > MAX_NOTE_BYTES


@pytest.mark.parametrize(
    ("script", "kept_chars"),
    [("en", MAX_NOTE_CHARS), ("ja", 1000), ("zh", 1000)],
)
def test_latin_notes_keep_all_2000_characters_and_cjk_ones_a_thousand(script: str, kept_chars: int) -> None:
    stored, _ = fit_note(typed_note(SCRIPTS[script][0]))

    assert len(stored) == kept_chars


def test_a_four_byte_character_is_never_split() -> None:
    text = "a" + "😀" * 1000  # the bound falls inside the 750th emoji

    stored, shortened = fit_note(text)

    assert shortened
    assert stored == "a" + "😀" * 749
    assert len(stored.encode("utf-8")) == MAX_NOTE_BYTES - 3


def test_a_short_note_is_kept_as_it_is() -> None:
    assert fit_note("Refund approved") == ("Refund approved", False)


# ---------------------------------------------------------------------------- the worst case
def test_a_hundred_of_the_largest_notes_fit_the_notes_item_with_room_to_spare() -> None:
    item = largest_notes_item()

    assert len([name for name in item if name.startswith("note:")]) == len(item["agentNoteIds"]) == MAX_NOTES
    size = largest_notes_item_bytes()
    assert size <= MAX_ITEM_BYTES
    assert size > MAX_NOTES * MAX_NOTE_BYTES  # it really is a hundred maximal notes, not a stub
    assert size == 338_360  # the figure docs/data-model.md gives
    # Not so close to the limit that one more field on a note would break it.
    assert MAX_ITEM_BYTES - size >= MAX_NOTES * 500


def test_the_same_notes_on_the_contact_item_beside_a_full_conversation_log_would_not_fit() -> None:
    # Why notes have their own item: the contact's item also holds 50 conversation entries of up
    # to 2,000 caller characters (MAX_TRANSCRIPT_CHARS), which alone can take most of 400 KB.
    entry = {
        "at": "2026-12-04T18:00:00Z",
        "role": "caller",
        "text": "客" * 2000,
        "intent": "CheckTicketStatus",
        "slots": {"ticketNumber": "12345"},
    }
    contact = {"contactId": "c" * 128, "conversation": [entry] * 50, **largest_notes_item()}

    assert item_bytes(contact) > MAX_ITEM_BYTES


def test_the_notes_item_key_cannot_be_a_contact_id() -> None:
    # Contact ids are letters, digits and ._:- (signed_tokens.CONTACT_ID): never a '#'.
    assert notes_key("a1b2c3") == "a1b2c3#agentNotes"


# ---------------------------------------------------------------------------- DynamoDB's size rules
@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("abc", 3),
        ("日本", 6),
        ("😀", 4),
        (True, 1),
        (None, 1),
        (12345, 21),  # counted at the largest a number can take
        ([], 3),
        (["ab", "c"], 3 + (1 + 2) + (1 + 1)),
        ({"ab": "c"}, 3 + 1 + 2 + 1),
        ({"x", "yz"}, (1 + 1) + (1 + 2)),
    ],
)
def test_value_sizes_follow_the_dynamodb_rules(value: object, size: int) -> None:
    assert value_bytes(value) == size


def test_an_item_counts_its_attribute_names() -> None:
    assert item_bytes({"id": "abc", "名前": "x"}) == (2 + 3) + (6 + 1)
