"""Demo orders for the SelfService table, written with the adapter's own item shape.

The local stack loads `seed/self_service_demo.json` after creating the tables; its dates are relative
to the day the stack starts (`shipDate_in_days: 3` ships in three days).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from connect_zendesk.adapters.dynamo import to_item
from connect_zendesk.adapters.self_service_table import order_item
from connect_zendesk.domain.models import Order

from connect_zendesk_local.cfn_template import Template

SEED = Path(__file__).resolve().parent / "seed" / "self_service_demo.json"
TABLE = "SelfServiceTable"
SUFFIX = "_in_days"


def demo_orders(today: date, path: Path = SEED) -> list[Order]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [_order(entry, today) for entry in document["orders"]]


def seed_self_service(
    template: Template, client: Callable[[str], Any], clock: Callable[[], float] = time.time
) -> int:
    """Write the demo orders into the stack's SelfService table; returns how many."""
    if TABLE not in template.physical:
        return 0
    table = template.physical[TABLE].ref
    now = clock()
    orders = demo_orders(datetime.fromtimestamp(now, UTC).date())
    dynamodb = client("dynamodb")
    for order in orders:
        dynamodb.put_item(TableName=table, Item=to_item(order_item(order, now)))
    return len(orders)


def _order(entry: dict[str, Any], today: date) -> Order:
    days = {key.removesuffix(SUFFIX): int(value) for key, value in entry.items() if key.endswith(SUFFIX)}
    return Order(
        order_id=int(entry["orderId"]),
        phone=str(entry["phone"]),
        status=str(entry["status"]),
        items=str(entry["items"]),
        ship_date=today + timedelta(days=days["shipDate"]) if "shipDate" in days else None,
        delivered_date=today + timedelta(days=days["deliveredDate"]) if "deliveredDate" in days else None,
    )
