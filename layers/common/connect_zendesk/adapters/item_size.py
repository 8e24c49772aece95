"""The size DynamoDB counts for an item against its 400 KB limit, from plain Python values.

The rules of the DynamoDB guide ("Item sizes and formats"): a string is its UTF-8 bytes, a number
up to 21 bytes (38 significant digits, one byte per two, plus one), a Boolean or null one byte,
a list or map 3 bytes plus one per element, and every attribute or map key adds its name's bytes.
Numbers are counted at their largest, so the figure is an upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_ITEM_BYTES = 400 * 1024
LARGEST_NUMBER_BYTES = 21
CONTAINER_OVERHEAD_BYTES = 3
ELEMENT_OVERHEAD_BYTES = 1


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def item_bytes(item: Mapping[str, Any]) -> int:
    """The size of an item given as the plain values `dynamo.to_item` serialises."""
    return sum(utf8_bytes(name) + value_bytes(value) for name, value in item.items())


def value_bytes(value: Any) -> int:
    if isinstance(value, Mapping):
        return CONTAINER_OVERHEAD_BYTES + sum(
            ELEMENT_OVERHEAD_BYTES + utf8_bytes(str(name)) + value_bytes(member)
            for name, member in value.items()
        )
    if isinstance(value, (list, tuple)):
        return CONTAINER_OVERHEAD_BYTES + sum(
            ELEMENT_OVERHEAD_BYTES + value_bytes(member) for member in value
        )
    if isinstance(value, (set, frozenset)):  # a string or number set: its members (counted with overhead)
        return sum(ELEMENT_OVERHEAD_BYTES + value_bytes(member) for member in value)
    return _scalar_bytes(value)


def _scalar_bytes(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return utf8_bytes(value)
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (int, float)) or hasattr(value, "as_integer_ratio"):
        return LARGEST_NUMBER_BYTES
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")
