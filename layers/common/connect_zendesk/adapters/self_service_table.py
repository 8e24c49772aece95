"""The SelfService table: orders and callback bookings keyed by the caller's phone, and slot counters.

Items (partition key `pk`, sort key `sk`; see docs/data-model.md):
- `PHONE#<E.164>` / `ORDER#<order id>`: an order the caller placed;
- `PHONE#<E.164>` / `CALLBACK`: the caller's one callback booking (one per number by construction);
- `SLOT#<slot start, UTC>` / `COUNTER`: how many callbacks a slot holds.

A booking and its slot counter change in one transaction whose conditions are the rules: the counter
stays below capacity, and the caller's booking is the one the caller saw. Two callers racing for the
last place in a slot cannot both win, and a failed booking never consumes capacity.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.adapters.dynamo import from_item, storage_errors, to_item
from connect_zendesk.domain.models import CHANGEABLE_ORDER_STATUSES, CallbackBooking, Order
from connect_zendesk.domain.ports import CallbackChanged, OrderNotChangeable, SlotFull

CALLBACK_SK = "CALLBACK"
COUNTER_SK = "COUNTER"
MAX_BATCH_KEYS = 100  # BatchGetItem's limit
ORDER_RETENTION_DAYS = 400


def phone_key(e164: str) -> str:
    return f"PHONE#{e164}"


def slot_key(start: datetime) -> str:
    return "SLOT#" + _iso(start)


def order_item(order: Order, now: float) -> dict[str, Any]:
    """An order as stored; the local stack seeds demo orders with this very shape."""
    item: dict[str, Any] = {
        "pk": phone_key(order.phone),
        "sk": f"ORDER#{order.order_id}",
        "orderId": order.order_id,
        "status": order.status,
        "items": order.items,
        "updatedAt": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "expiresAt": int(now) + ORDER_RETENTION_DAYS * 86400,
    }
    if order.ship_date:
        item["shipDate"] = order.ship_date.isoformat()
    if order.delivered_date:
        item["deliveredDate"] = order.delivered_date.isoformat()
    return item


class DynamoSelfService:
    def __init__(self, table_name: str, retention_days: int, clock: Callable[[], float] = time.time) -> None:
        self._table = table_name
        self._retention = timedelta(days=retention_days)
        self._clock = clock

    # ------------------------------------------------------------------ orders
    def orders_for(self, phone: str) -> list[Order]:
        with storage_errors(self._table, "Query"):
            found = aws_client("dynamodb").query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :order)",
                ExpressionAttributeValues={":pk": {"S": phone_key(phone)}, ":order": {"S": "ORDER#"}},
                Limit=50,
            )
        orders = [_order(phone, from_item(item)) for item in found.get("Items", [])]
        return sorted(orders, key=lambda o: o.order_id, reverse=True)

    def order(self, phone: str, order_id: int) -> Order | None:
        with storage_errors(self._table, "GetItem"):
            found = aws_client("dynamodb").get_item(
                TableName=self._table,
                Key={"pk": {"S": phone_key(phone)}, "sk": {"S": f"ORDER#{order_id}"}},
            )
        return _order(phone, from_item(found["Item"])) if "Item" in found else None

    def reschedule_order(self, order: Order, ship_date: date) -> Order:
        return self._change_order(
            order,
            "SET shipDate = :shipDate, #status = :scheduled",
            {
                ":shipDate": ship_date.isoformat(),
                ":scheduled": "scheduled",
            },
        )

    def cancel_order(self, order: Order) -> Order:
        return self._change_order(order, "SET #status = :cancelled", {":cancelled": "cancelled"})

    def _change_order(self, order: Order, expression: str, values: dict[str, Any]) -> Order:
        """Only an order that has not shipped may change: the condition re-checks it at write time."""
        request = {
            "TableName": self._table,
            "Key": {"pk": {"S": phone_key(order.phone)}, "sk": {"S": f"ORDER#{order.order_id}"}},
            "UpdateExpression": expression + ", updatedAt = :now",
            "ConditionExpression": "#status IN ("
            + ", ".join(f":s{i}" for i, _ in enumerate(CHANGEABLE_ORDER_STATUSES))
            + ")",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(
                {
                    **values,
                    ":now": self._now().isoformat(timespec="seconds"),
                    **{f":s{i}": status for i, status in enumerate(CHANGEABLE_ORDER_STATUSES)},
                }
            ),
            "ReturnValues": "ALL_NEW",
        }
        with self._conditional("UpdateItem", OrderNotChangeable):
            updated = aws_client("dynamodb").update_item(**request)
        return _order(order.phone, from_item(updated["Attributes"]))

    # ------------------------------------------------------------------ callbacks
    def callback_for(self, phone: str) -> CallbackBooking | None:
        with storage_errors(self._table, "GetItem"):
            found = aws_client("dynamodb").get_item(
                TableName=self._table,
                Key={"pk": {"S": phone_key(phone)}, "sk": {"S": CALLBACK_SK}},
                ConsistentRead=True,
            )
        return _booking(phone, from_item(found["Item"])) if "Item" in found else None

    def slot_bookings(self, starts: Sequence[datetime]) -> Mapping[datetime, int]:
        """How many callbacks each slot holds (0 for a slot nobody booked); one BatchGetItem."""
        wanted = {slot_key(start): start for start in starts[:MAX_BATCH_KEYS]}
        counts = dict.fromkeys(wanted.values(), 0)
        keys = [{"pk": {"S": key}, "sk": {"S": COUNTER_SK}} for key in wanted]
        while keys:
            with storage_errors(self._table, "BatchGetItem"):
                answer = aws_client("dynamodb").batch_get_item(
                    RequestItems={
                        self._table: {
                            "Keys": keys,
                            "ConsistentRead": True,
                            "ProjectionExpression": "pk, bookings",
                        }
                    }
                )
            for item in answer.get("Responses", {}).get(self._table, []):
                start = wanted.get(item["pk"]["S"])
                if start is not None:
                    counts[start] = int(item.get("bookings", {}).get("N", "0"))
            keys = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return counts

    def book_callback(
        self, booking: CallbackBooking, *, capacity: int, replacing: CallbackBooking | None, now: datetime
    ) -> None:
        """Take a place in the slot and store the booking, releasing the replaced booking's place.

        Raises SlotFull when the slot has no place left and CallbackChanged when the caller's booking
        is no longer the one `replacing` describes (e.g. booked from another call meanwhile).
        """
        actions: list[dict[str, Any]] = [
            self._take_place(booking, capacity),
            self._put_booking(booking, replacing, now),
        ]
        if replacing is not None and replacing.slot_start > now:
            actions.append(self._release_place(replacing))
        self._transact(actions, reasons=(SlotFull, CallbackChanged, CallbackChanged))

    def cancel_callback(self, booking: CallbackBooking, *, now: datetime) -> None:
        actions = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": phone_key(booking.phone)}, "sk": {"S": CALLBACK_SK}},
                    "ConditionExpression": "slotStart = :slotStart",
                    "ExpressionAttributeValues": {":slotStart": {"S": _iso(booking.slot_start)}},
                }
            }
        ]
        if booking.slot_start > now:
            actions.append(self._release_place(booking))
        self._transact(actions, reasons=(CallbackChanged, CallbackChanged))

    def _take_place(self, booking: CallbackBooking, capacity: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": slot_key(booking.slot_start)}, "sk": {"S": COUNTER_SK}},
                "UpdateExpression": "SET bookings = if_not_exists(bookings, :zero) + :one, "
                "slotStart = :slotStart, expiresAt = :expiresAt",
                "ConditionExpression": "attribute_not_exists(bookings) OR bookings < :capacity",
                "ExpressionAttributeValues": to_item(
                    {
                        ":zero": 0,
                        ":one": 1,
                        ":capacity": capacity,
                        ":slotStart": _iso(booking.slot_start),
                        ":expiresAt": self._expires(booking.slot_end),
                    }
                ),
            }
        }

    def _release_place(self, booking: CallbackBooking) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": slot_key(booking.slot_start)}, "sk": {"S": COUNTER_SK}},
                "UpdateExpression": "SET bookings = bookings - :one",
                "ConditionExpression": "bookings > :zero",
                "ExpressionAttributeValues": to_item({":zero": 0, ":one": 1}),
            }
        }

    def _put_booking(
        self, booking: CallbackBooking, replacing: CallbackBooking | None, now: datetime
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": phone_key(booking.phone),
            "sk": CALLBACK_SK,
            "slotStart": _iso(booking.slot_start),
            "slotEnd": _iso(booking.slot_end),
            "callbackDay": booking.slot_start.astimezone(_zone(booking.time_zone)).date().isoformat(),
            "timeZone": booking.time_zone,
            "contactId": booking.contact_id,
            "locale": booking.locale,
            "smsOptIn": booking.sms_opt_in,
            "createdAt": _iso(now),
            "expiresAt": self._expires(booking.slot_end),
        }
        if booking.zendesk_user_id is not None:
            item["zendeskUserId"] = booking.zendesk_user_id
        if booking.ticket_id is not None:
            item["ticketId"] = booking.ticket_id
        if replacing is None:
            # A booking whose time has passed no longer counts: it may be overwritten.
            condition = "attribute_not_exists(pk) OR slotStart < :now"
            values = {":now": _iso(now)}
        else:
            condition = "slotStart = :replacedStart"
            values = {":replacedStart": _iso(replacing.slot_start)}
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }

    def _transact(self, actions: list[dict[str, Any]], reasons: tuple[type[Exception], ...]) -> None:
        """A refused condition becomes the domain outcome of the first item that failed; any other
        failure is a StorageError."""
        with storage_errors(self._table, "TransactWriteItems"):
            try:
                aws_client("dynamodb").transact_write_items(TransactItems=actions)
            except ClientError as exc:
                failed = _failed_conditions(exc)
                if failed is None:
                    raise
                raise next((reasons[i] for i in failed if i < len(reasons)), CallbackChanged)() from None

    @contextmanager
    def _conditional(self, operation: str, outcome: type[Exception]) -> Iterator[None]:
        with storage_errors(self._table, operation):
            try:
                yield
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                raise outcome() from None

    def _expires(self, end: datetime) -> int:
        return int((end + self._retention).timestamp())

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _failed_conditions(exc: ClientError) -> list[int] | None:
    """Indexes of the transaction items whose condition failed, or None if it failed otherwise."""
    error = exc.response.get("Error", {})
    if error.get("Code") != "TransactionCanceledException":
        return None
    reasons = exc.response.get("CancellationReasons")
    if isinstance(reasons, list):
        failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
        return failed or None
    # Some SDK paths only carry the reasons in the message: "[ConditionalCheckFailed, None]".
    message = str(error.get("Message", ""))
    listed = message[message.find("[") + 1 : message.rfind("]")].split(",") if "[" in message else []
    failed = [i for i, code in enumerate(listed) if code.strip() == "ConditionalCheckFailed"]
    return failed or None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return ZoneInfo(name)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _order(phone: str, item: dict[str, Any]) -> Order:
    return Order(
        order_id=int(item["orderId"]),
        phone=phone,
        status=str(item.get("status", "")),
        items=str(item.get("items", "")),
        ship_date=_date(item.get("shipDate")),
        delivered_date=_date(item.get("deliveredDate")),
    )


def _booking(phone: str, item: dict[str, Any]) -> CallbackBooking:
    return CallbackBooking(
        phone=phone,
        slot_start=_parse_iso(str(item["slotStart"])),
        slot_end=_parse_iso(str(item["slotEnd"])),
        time_zone=str(item.get("timeZone", "UTC")),
        contact_id=str(item.get("contactId", "")),
        zendesk_user_id=int(item["zendeskUserId"]) if item.get("zendeskUserId") is not None else None,
        ticket_id=int(item["ticketId"]) if item.get("ticketId") is not None else None,
        locale=str(item.get("locale", "en_US")),
        sms_opt_in=bool(item.get("smsOptIn", False)),
    )
