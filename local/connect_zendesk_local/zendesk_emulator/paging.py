"""Sorting and the two Zendesk pagination styles: offset (page/per_page) and cursor (page[size])."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.errors import ApiError
from connect_zendesk_local.zendesk_emulator.records import JSON

MAX_PAGE_SIZE = 100
CURSOR_KEYS = ("page[size]", "page[after]", "page[before]")
OFFSET_KEYS = ("page", "per_page")

Query = Mapping[str, list[str]]


def first(query: Query, name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _rank(order: tuple[str, ...]) -> Callable[[Any], int]:
    return lambda value: order.index(value) + 1 if value in order else 0


SORT_KEYS: dict[str, Callable[[JSON], Any]] = {
    "id": lambda item: item["id"],
    "created_at": lambda item: (item["created_at"], item["id"]),
    "updated_at": lambda item: (item["updated_at"], item["id"]),
    "status": lambda item: (_rank(records.TICKET_STATUSES)(item.get("status")), item["id"]),
    "priority": lambda item: (_rank(records.TICKET_PRIORITIES)(item.get("priority")), item["id"]),
}


def sort_items(
    items: list[JSON], query: Query, *, default_by: str = "id", default_order: str = "asc"
) -> list[JSON]:
    """Honour sort_by/sort_order, and the cursor-style ``sort=-updated_at`` form."""
    sort_by = first(query, "sort_by") or default_by
    order = first(query, "sort_order") or default_order
    if sort := first(query, "sort"):
        sort_by, order = (sort[1:], "desc") if sort.startswith("-") else (sort, "asc")
    key = SORT_KEYS.get(sort_by, SORT_KEYS[default_by])
    return sorted(items, key=key, reverse=order.lower() == "desc")


def paginate(items: list[JSON], key: str, query: Query, page_url: Callable[[dict[str, str]], str]) -> JSON:
    """One page of ``items`` under ``key``; ``page_url`` turns query parameters into a full URL."""
    if any(name in query for name in CURSOR_KEYS):
        return _cursor_page(items, key, query, page_url)
    return _offset_page(items, key, query, page_url)


def _offset_page(
    items: list[JSON], key: str, query: Query, page_url: Callable[[dict[str, str]], str]
) -> JSON:
    page = max(1, _int(first(query, "page"), 1))
    per_page = min(MAX_PAGE_SIZE, max(1, _int(first(query, "per_page"), MAX_PAGE_SIZE)))
    start = (page - 1) * per_page
    kept = _kept_params(query, OFFSET_KEYS)

    def link(number: int) -> str:
        return page_url({**kept, "page": str(number), "per_page": str(per_page)})

    return {
        key: items[start : start + per_page],
        "next_page": link(page + 1) if start + per_page < len(items) else None,
        "previous_page": link(page - 1) if page > 1 else None,
        "count": len(items),
    }


def _cursor_page(
    items: list[JSON], key: str, query: Query, page_url: Callable[[dict[str, str]], str]
) -> JSON:
    size = min(MAX_PAGE_SIZE, max(1, _int(first(query, "page[size]"), MAX_PAGE_SIZE)))
    before = first(query, "page[before]")
    after = first(query, "page[after]")
    if before:
        end = _decode_cursor(before)
        start = max(0, end - size)
        has_more = start > 0
    else:
        start = _decode_cursor(after) if after else 0
        end = min(len(items), start + size)
        has_more = end < len(items)
    page = items[start:end]
    kept = _kept_params(query, CURSOR_KEYS)
    after_cursor = _encode_cursor(end) if page else None
    before_cursor = _encode_cursor(start) if page else None
    return {
        key: page,
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
        "links": {
            "prev": page_url({**kept, "page[size]": str(size), "page[before]": before_cursor})
            if before_cursor
            else None,
            "next": page_url({**kept, "page[size]": str(size), "page[after]": after_cursor})
            if after_cursor
            else None,
        },
    }


def build_url(base_url: str, path: str, params: Mapping[str, str]) -> str:
    return f"{base_url}{path}?{urlencode(params, safe='[]')}"


def _kept_params(query: Query, dropped: tuple[str, ...]) -> dict[str, str]:
    return {name: values[0] for name, values in query.items() if name not in dropped and values}


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "position":
            raise ValueError(cursor)
        return int(number)
    except ValueError:  # includes binascii.Error and UnicodeDecodeError
        raise ApiError(
            400,
            {"error": "InvalidPaginationParameter", "description": "page[after]/page[before] is not valid"},
        ) from None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
