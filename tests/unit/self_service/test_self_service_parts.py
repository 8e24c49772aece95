"""The bot's building blocks on their own: business hours, settings, spoken dates, the SMS sender,
the SelfService table's refusals, the Zendesk gateway's new calls, event parsing, the generator CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError
from connect_zendesk.adapters import self_service_table, sms
from connect_zendesk.adapters.self_service_table import DynamoSelfService, _failed_conditions
from connect_zendesk.adapters.sms import SnsSms
from connect_zendesk.adapters.zendesk.gateway import ZendeskGateway
from connect_zendesk.business_hours import BusinessHours, InvalidBusinessHours
from connect_zendesk.domain.models import CallbackBooking, NewTicket, Order
from connect_zendesk.domain.ports import CallbackChanged, OrderNotChangeable
from connect_zendesk.errors import InvalidInput, StorageError, ZendeskBadResponse, ZendeskNotFound
from connect_zendesk.lex.event import Channel, parse_lex_event
from connect_zendesk.messages import Locale
from connect_zendesk.phone import can_receive_sms
from connect_zendesk.settings import ConfigurationError, Settings, SmsSettings
from connect_zendesk.spoken_time import spoken_date, spoken_slot, spoken_time
from connect_zendesk_local.cfn_template import Template
from lex_bot import __main__ as lex_bot_cli
from moto.sns.models import sns_backends

NEW_YORK = ZoneInfo("America/New_York")


# ---------------------------------------------------------------------------- business hours
def test_business_hours_read_days_ranges_and_several_entries() -> None:
    hours = BusinessHours.parse("Mon-Wed,Fri 09:00-12:00 13:00-17:30; sat 10:00-13:00", "Europe/London", 30)

    assert [len(day) for day in hours.weekly] == [2, 2, 2, 0, 2, 1, 0]
    assert hours.is_open_slot(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/London")))
    assert not hours.is_open_slot(datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/London")))  # lunch
    assert not hours.is_open_slot(datetime(2026, 11, 23, 9, 15, tzinfo=ZoneInfo("Europe/London")))  # mid-slot
    assert len(hours.slots_on(date(2026, 11, 23))) == 6 + 9
    assert hours.slots_on(date(2026, 11, 26)) == []  # Thursday


@pytest.mark.parametrize(
    ("text", "zone", "minutes", "problem"),
    [
        ("Mon-Fri 09:00-17:00", "Mars/Olympus", 30, "unknown time zone"),
        ("Mon-Fri 09:00-17:00", "America/New_York", 7, "divide a day"),
        ("", "America/New_York", 30, "no opening hours"),
        ("Mon-Fri", "America/New_York", 30, "names no"),
        ("Someday 09:00-17:00", "America/New_York", 30, "days are"),
        ("Fri-Mon 09:00-17:00", "America/New_York", 30, "runs forward"),
        ("Mon 9-5", "America/New_York", 30, "is not an HH:MM-HH:MM range"),
        ("Mon 25:00-26:00", "America/New_York", 30, "not a valid time range"),
        ("Mon 17:00-09:00", "America/New_York", 30, "ends before it starts"),
        ("Mon 09:00-12:00 11:00-13:00", "America/New_York", 30, "overlap"),
    ],
)
def test_business_hours_refuse_what_they_cannot_use(text: str, zone: str, minutes: int, problem: str) -> None:
    with pytest.raises(InvalidBusinessHours, match=problem):
        BusinessHours.parse(text, zone, minutes)


def test_slots_keep_their_wall_clock_time_across_daylight_saving_changes() -> None:
    hours = BusinessHours.parse("Mon-Sun 00:00-24:00", "America/New_York", 30)

    spring = hours.slots_on(date(2026, 3, 8))  # 02:00-03:00 does not exist that night
    autumn = hours.slots_on(date(2026, 11, 1))

    assert len(spring) == 46
    assert all(s.astimezone(UTC).astimezone(NEW_YORK).hour != 2 for s in spring)
    assert spring[4].hour == 3  # 00:00, 00:30, 01:00, 01:30, then 03:00
    assert len(autumn) == 48
    assert hours.slot_start(datetime(2026, 11, 23, 19, 44, tzinfo=UTC)) == datetime(
        2026, 11, 23, 14, 30, tzinfo=NEW_YORK
    )


def test_open_slots_stop_at_the_limit_and_the_end() -> None:
    hours = BusinessHours()
    start = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # Saturday: nothing until Monday 09:00

    first = hours.open_slots(start, start + timedelta(days=14), limit=3)

    assert first == [datetime(2026, 11, 23, h, m, tzinfo=NEW_YORK) for h, m in ((9, 0), (9, 30), (10, 0))]
    assert hours.open_slots(start, start + timedelta(days=1), limit=3) == []


# ---------------------------------------------------------------------------- settings
def test_self_service_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "SELF_SERVICE_TABLE": " self-service ",
            "LEX_TIME_BUDGET_MS": "2500",
            "CALLBACK_TIME_ZONE": "Asia/Tokyo",
            "CALLBACK_BUSINESS_HOURS": "Mon-Fri 10:00-18:00",
            "CALLBACK_SLOT_MINUTES": "60",
            "CALLBACK_SLOT_CAPACITY": "5",
            "CALLBACK_MAX_DAYS_AHEAD": "7",
            "CALLBACK_MIN_LEAD_MINUTES": "60",
            "ORDER_RESCHEDULE_MAX_DAYS": "10",
            "SMS_ENABLED": "false",
            "SMS_SENDER_ID": "Acme",
            "SMS_ORIGINATION_NUMBER": "+18005550100",
            "MAX_BOT_FALLBACKS": "3",
            "SELF_SERVICE_RETENTION_DAYS": "7",
        }
    )

    assert settings.self_service_table == "self-service"
    assert settings.lex_time_budget_seconds == 2.5
    assert settings.callbacks.hours.time_zone == "Asia/Tokyo"
    assert settings.callbacks.hours.slot_minutes == 60
    assert (
        settings.callbacks.capacity,
        settings.callbacks.max_days_ahead,
        settings.callbacks.min_lead_minutes,
    ) == (5, 7, 60)
    assert settings.order_reschedule_max_days == 10
    assert settings.sms == SmsSettings(enabled=False, sender_id="Acme", origination_number="+18005550100")
    assert (settings.max_bot_fallbacks, settings.self_service_retention_days) == (3, 7)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CALLBACK_BUSINESS_HOURS", "always"),
        ("CALLBACK_TIME_ZONE", "Nowhere/Special"),
        ("SMS_SENDER_ID", "12345"),
        ("SMS_SENDER_ID", "WayTooLongSender"),
        ("SMS_ORIGINATION_NUMBER", "18005550100"),
        ("SMS_ENABLED", "maybe"),
        ("LEX_TIME_BUDGET_MS", "9000"),
    ],
)
def test_invalid_self_service_settings_fail_at_cold_start(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


# ---------------------------------------------------------------------------- spoken dates and times
@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (Locale.EN_US, "Monday, November 23 between 2 PM and 2:30 PM"),
        (Locale.JA_JP, "11月23日、月曜日の午後2時から午後2時30分まで"),
        (Locale.KO_KR, "11월 23일 월요일 오후 2시부터 오후 2시 30분 사이"),
        (Locale.ZH_CN, "11月23日星期一下午2点到下午2点30分之间"),
    ],
)
def test_a_slot_is_spoken_in_the_callers_language(locale: Locale, expected: str) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=NEW_YORK)

    assert spoken_slot(start, start + timedelta(minutes=30), locale) == expected


def test_midnight_and_noon_are_twelve_oclock() -> None:
    assert spoken_time(datetime(2026, 1, 1, 0, 5), Locale.EN_US) == "12:05 AM"
    assert spoken_time(datetime(2026, 1, 1, 12, 0), Locale.EN_US) == "12 PM"
    assert spoken_date(date(2027, 1, 1), Locale.JA_JP) == "1月1日、金曜日"


# ---------------------------------------------------------------------------- SMS
@pytest.fixture
def sns_messages(aws: Template) -> Any:
    return sns_backends["123456789012"]["us-east-1"].sms_messages


def test_an_sms_goes_to_an_e164_number_with_the_configured_sender(sns_messages: Any) -> None:
    sender = SnsSms(SmsSettings(enabled=True, sender_id="Acme", origination_number="+18005550100"))

    assert sender.send("+14155552671", "Your callback is booked.") is True
    assert [(n, t) for n, t, *_ in sns_messages.values()] == [("+14155552671", "Your callback is booked.")]


@pytest.mark.parametrize("number", ["4155552671", "+1 415 555 2671", "", "+0123456789"])
def test_an_sms_is_never_sent_to_a_number_that_is_not_e164(sns_messages: Any, number: str) -> None:
    assert SnsSms(SmsSettings()).send(number, "hello") is False
    assert sns_messages == {}


def test_disabled_sms_sends_nothing(sns_messages: Any) -> None:
    assert SnsSms(SmsSettings(enabled=False)).send("+14155552671", "hello") is False
    assert sns_messages == {}


def test_a_failed_sms_is_logged_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Refusing:
        def publish(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": "OptedOut", "Message": "+14155552671 opted out"}}, "Publish")

    monkeypatch.setattr(sms, "aws_client", lambda *_: Refusing())

    assert SnsSms(SmsSettings()).send("+14155552671", "secret text") is False


def test_sms_is_offered_only_to_numbers_that_may_be_mobiles() -> None:
    assert can_receive_sms("+14155552671")  # North America: fixed line or mobile
    assert can_receive_sms("+447911123456")  # UK mobile
    assert not can_receive_sms("+442079460958")  # London fixed line
    assert not can_receive_sms("not a number")


# ---------------------------------------------------------------------------- the SelfService table
def test_orders_round_trip_and_only_unshipped_orders_change(aws: Template) -> None:
    store = DynamoSelfService(
        aws.physical["SelfServiceTable"].ref, retention_days=30, clock=lambda: 1_800_000_000.0
    )
    client = boto3.client("dynamodb", region_name="us-east-1")
    for order in (
        Order(7, "+15550001", "scheduled", "Lamp", date(2026, 12, 1)),
        Order(8, "+15550001", "shipped", "Desk", date(2026, 11, 1)),
    ):
        item = self_service_table.order_item(order, 1_800_000_000.0)
        client.put_item(TableName=aws.physical["SelfServiceTable"].ref, Item=self_service_table.to_item(item))

    assert [o.order_id for o in store.orders_for("+15550001")] == [8, 7]
    assert store.order("+15550002", 7) is None
    moved = store.reschedule_order(store.order("+15550001", 7), date(2026, 12, 5))  # type: ignore[arg-type]
    assert (moved.status, moved.ship_date) == ("scheduled", date(2026, 12, 5))
    with pytest.raises(OrderNotChangeable):
        store.cancel_order(store.order("+15550001", 8))  # type: ignore[arg-type]
    assert store.cancel_order(moved).status == "cancelled"


def test_a_booking_replaced_by_someone_else_cannot_be_cancelled(aws: Template) -> None:
    store = DynamoSelfService(aws.physical["SelfServiceTable"].ref, retention_days=30)
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    first = _booking(datetime(2026, 11, 23, 19, tzinfo=UTC))
    store.book_callback(first, capacity=2, replacing=None, now=now)
    store.book_callback(
        _booking(datetime(2026, 11, 24, 15, tzinfo=UTC)), capacity=2, replacing=first, now=now
    )

    with pytest.raises(CallbackChanged):
        store.cancel_callback(first, now=now)
    with pytest.raises(CallbackChanged):
        store.book_callback(
            _booking(datetime(2026, 11, 25, 15, tzinfo=UTC)), capacity=2, replacing=first, now=now
        )


def test_a_booking_whose_time_passed_can_be_replaced_by_a_new_one(aws: Template) -> None:
    store = DynamoSelfService(aws.physical["SelfServiceTable"].ref, retention_days=30)
    old = _booking(datetime(2026, 11, 20, 15, tzinfo=UTC))
    store.book_callback(old, capacity=2, replacing=None, now=datetime(2026, 11, 19, tzinfo=UTC))

    store.book_callback(
        _booking(datetime(2026, 11, 23, 15, tzinfo=UTC)),
        capacity=2,
        replacing=None,
        now=datetime(2026, 11, 21, tzinfo=UTC),
    )

    assert store.callback_for("+15550001").slot_start == datetime(2026, 11, 23, 15, tzinfo=UTC)  # type: ignore[union-attr]


def test_slot_counts_read_in_one_batch_and_missing_slots_count_zero(aws: Template) -> None:
    store = DynamoSelfService(aws.physical["SelfServiceTable"].ref, retention_days=30)
    slot = datetime(2026, 11, 23, 15, tzinfo=UTC)
    store.book_callback(_booking(slot), capacity=2, replacing=None, now=datetime(2026, 11, 21, tzinfo=UTC))

    assert store.slot_bookings([slot, slot + timedelta(minutes=30)]) == {
        slot: 1,
        slot + timedelta(minutes=30): 0,
    }


def test_other_dynamodb_failures_are_storage_errors(aws: Template) -> None:
    store = DynamoSelfService("no-such-table", retention_days=30)
    with pytest.raises(StorageError, match="no-such-table"):
        store.callback_for("+15550001")
    with pytest.raises(StorageError, match="TransactWriteItems"):
        store.book_callback(
            _booking(datetime(2026, 11, 23, 15, tzinfo=UTC)),
            capacity=2,
            replacing=None,
            now=datetime(2026, 11, 21, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (
            {
                "Error": {"Code": "TransactionCanceledException"},
                "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            },
            [1],
        ),
        (
            {
                "Error": {
                    "Code": "TransactionCanceledException",
                    "Message": "reasons [ConditionalCheckFailed, None]",
                }
            },
            [0],
        ),
        (
            {"Error": {"Code": "TransactionCanceledException", "Message": "reasons [None, ThrottlingError]"}},
            None,
        ),
        ({"Error": {"Code": "ValidationException"}}, None),
    ],
)
def test_the_failed_condition_of_a_transaction_is_found(
    response: dict[str, Any], failed: list[int] | None
) -> None:
    assert _failed_conditions(ClientError(response, "TransactWriteItems")) == failed  # type: ignore[arg-type]


def _booking(start: datetime, phone: str = "+15550001") -> CallbackBooking:
    return CallbackBooking(
        phone, start, start + timedelta(minutes=30), "America/New_York", ticket_id=1001, zendesk_user_id=7
    )


# ---------------------------------------------------------------------------- the Zendesk gateway
class _Response:
    def __init__(self, body: Any) -> None:
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


class _Session:
    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any]] = []
        self.headers: list[dict[str, str] | None] = []

    def request(
        self, method: str, url: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> _Response:
        self.sent.append((method, url, json))
        self.headers.append(headers)
        answer = self.answers[(method, url.split("/api/v2/")[1])]
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer("answered")
        return _Response(answer)


class _Tickets:
    def __init__(self, session: _Session) -> None:
        self.session = session

    def _build_url(self, endpoint: Any) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(endpoint.params.items()))
        return f"https://acme.zendesk.com/api/v2/{endpoint.path}" + (f"?{query}" if query else "")


class _Client:
    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.tickets = _Tickets(_Session(answers))


def _ticket(ticket_id: int, requester: int) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "subject": "Printer",
        "status": "open",
        "requester_id": requester,
        "updated_at": "2026-11-19T12:00:00Z",
    }


def _comment(author: int, body: str, public: bool = True) -> dict[str, Any]:
    return {"author_id": author, "plain_body": body, "public": public, "created_at": "2026-11-19T12:00:00Z"}


def test_a_ticket_is_described_only_to_its_requester_and_never_its_internal_notes() -> None:
    client = _Client(
        {
            ("GET", "tickets/1001.json"): {"ticket": _ticket(1001, 7)},
            ("GET", "tickets/1001/comments.json?per_page=20&sort_order=desc"): {
                "comments": [
                    _comment(9, "internal", public=False),
                    _comment(7, "me again"),
                    _comment(9, "Try again."),
                ]
            },
            ("GET", "tickets/2002.json"): {"ticket": _ticket(2002, 8)},
            ("GET", "tickets/3003.json"): ZendeskNotFound,
        }
    )
    gateway = ZendeskGateway(lambda: client)

    detail = gateway.ticket_for_requester(1001, 7)

    assert detail is not None
    assert detail.latest_reply is not None
    assert detail.latest_reply.body == "Try again."
    assert gateway.ticket_for_requester(2002, 7) is None
    assert gateway.ticket_for_requester(3003, 7) is None
    assert [url for _, url, _ in client.tickets.session.sent].count(
        "https://acme.zendesk.com/api/v2/tickets/2002/comments.json?per_page=20&sort_order=desc"
    ) == 0


def test_a_handoff_note_is_a_safe_update_sent_only_when_its_marker_is_not_there() -> None:
    comments = {"comments": [_comment(7, "older")]}
    client = _Client(
        {
            ("GET", "tickets/5.json"): {"ticket": _ticket(5, 7)},
            ("GET", "tickets/5/comments.json?per_page=100&sort_order=desc"): comments,
            ("PUT", "tickets/5.json"): {"ticket": _ticket(5, 7)},
        }
    )
    gateway = ZendeskGateway(lambda: client)

    assert gateway.add_comment_once(5, "note [h:1]", marker="[h:1]", public=False) is True
    comments["comments"].append(_comment(1, "note [h:1]", public=False))
    assert gateway.add_comment_once(5, "note [h:1]", marker="[h:1]", public=False) is False

    methods = [
        (method, url.split("/api/v2/")[1].split("?")[0]) for method, url, _ in client.tickets.session.sent
    ]
    assert methods == [
        ("GET", "tickets/5.json"),  # the stamp first, then the look: a write landing between is refused
        ("GET", "tickets/5/comments.json"),
        ("PUT", "tickets/5.json"),
        ("GET", "tickets/5.json"),
        ("GET", "tickets/5/comments.json"),
    ]
    assert client.tickets.session.sent[2][2] == {
        "ticket": {
            "comment": {"body": "note [h:1]", "public": False},
            "safe_update": True,
            "updated_stamp": "2026-11-19T12:00:00Z",
        }
    }


def test_ticket_writes_send_the_documented_bodies() -> None:
    client = _Client(
        {
            ("POST", "tickets.json"): {"ticket": _ticket(5, 7)},
            ("PUT", "tickets/5.json"): {"ticket": _ticket(5, 7)},
            ("GET", "tickets.json?external_id=cz-1-CreateTicket"): {"tickets": [_ticket(5, 7)]},
            ("POST", "users.json"): {
                "user": {"id": 42, "name": "Caller +1", "phone": "+1", "role": "end-user"}
            },
        }
    )
    gateway = ZendeskGateway(lambda: client)

    created = gateway.create_ticket(
        NewTicket(
            "Printer",
            "It is offline",
            requester_id=7,
            author_id=7,
            tags=("a",),
            external_id="cz-1-CreateTicket",
        )
    )
    stranger = gateway.create_ticket(NewTicket("Hi", "Body", requester_email="x@example.com", public=False))
    gateway.add_comment(5, "note", public=False, author_id=9)
    found = gateway.tickets_by_external_id("cz-1-CreateTicket")
    user = gateway.create_end_user("Caller +1", phone="+1", email="c@example.com", locale="ja")

    sent = client.tickets.session.sent
    assert client.tickets.session.headers[0] == {"Idempotency-Key": "cz-1-CreateTicket"}  # late commits
    assert client.tickets.session.headers[1] is None  # no external id: nothing to key on
    assert sent[0][2] == {
        "ticket": {
            "subject": "Printer",
            "comment": {"body": "It is offline", "public": True, "author_id": 7},
            "tags": ["a"],
            "requester_id": 7,
            "external_id": "cz-1-CreateTicket",
        }
    }
    assert sent[1][2]["ticket"]["requester"] == {"email": "x@example.com", "name": "x@example.com"}
    assert sent[2][2] == {"ticket": {"comment": {"body": "note", "public": False, "author_id": 9}}}
    assert sent[4][2] == {
        "user": {
            "name": "Caller +1",
            "role": "end-user",
            "verified": False,
            "phone": "+1",
            "email": "c@example.com",
            "locale": "ja",
        }
    }
    assert created.id == stranger.id == found[0].id == 5
    assert user.id == 42


def test_gateway_refuses_unsafe_external_ids_and_unusable_answers() -> None:
    gateway = ZendeskGateway(lambda: _Client({("GET", "tickets/1.json"): ["not", "an", "object"]}))

    with pytest.raises(InvalidInput):
        gateway.tickets_by_external_id("x y&z")
    with pytest.raises(ZendeskBadResponse):
        gateway.ticket_for_requester(1, 7)
    with pytest.raises(ZendeskBadResponse):
        ZendeskGateway(lambda: _Client({("GET", "tickets/1.json"): ValueError("cut")})).ticket_for_requester(
            1, 7
        )


# ---------------------------------------------------------------------------- event parsing
def test_lex_event_parsing_reads_what_the_code_hook_needs() -> None:
    request = parse_lex_event(
        {
            "invocationSource": "DialogCodeHook",
            "inputMode": "Text",
            "inputTranscript": "x" * 3000,
            "sessionId": "not a contact id!",
            "bot": {"localeId": "ja-JP"},
            "interpretations": [
                "junk",
                {"intent": {"name": "Other"}},
                {"intent": {"name": "OrderStatus"}, "nluConfidence": True},
            ],
            "proposedNextState": {"dialogAction": {"slotToElicit": "OrderNumber"}},
            "sessionState": {
                "sessionAttributes": {"contactId": "abc-123"},
                "intent": {
                    "name": "OrderStatus",
                    "slots": {
                        "OrderNumber": {"shape": "List", "values": [{"value": {"originalValue": "58812"}}]},
                        "Other": "garbage",
                    },
                },
            },
        }
    )

    assert request.locale is Locale.JA_JP
    assert request.channel is Channel.CHAT
    assert request.contact_id == "abc-123"
    assert len(request.input_transcript) == 2000
    assert request.slots["OrderNumber"].interpreted == "58812"
    assert "slot Other has no readable value" in request.problems
    assert request.nlu_confidence is None
    assert request.proposed_slot == "OrderNumber"


@pytest.mark.parametrize(
    ("raw", "score"), [(0.8, 0.8), ({"score": 0.5}, 0.5), ({"score": "x"}, None), (None, None)]
)
def test_nlu_confidence_is_a_number_or_an_object(raw: Any, score: float | None) -> None:
    event = {
        "interpretations": [{"intent": {"name": "A"}, "nluConfidence": raw}],
        "sessionState": {"intent": {"name": "A"}},
    }

    assert parse_lex_event(event).nlu_confidence == score


# ---------------------------------------------------------------------------- the generator's command line
def test_the_generator_rewrites_an_outdated_stack_file_and_check_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import stack_writer

    monkeypatch.setattr(stack_writer, "STACKS_DIR", tmp_path)
    stale = tmp_path / "self_service_bot.yaml"
    stale.write_text("Resources:\n  Old: {}\n", encoding="utf-8")

    assert lex_bot_cli.main(["--check"]) == 1
    assert lex_bot_cli.main([]) == 0
    assert lex_bot_cli.main(["--check"]) == 0
    text = stale.read_text(encoding="utf-8")
    assert "Old:" not in text
    assert "  SelfServiceBot:\n    Type: AWS::Lex::Bot" in text
    assert text.startswith("# GENERATED by `make bot`")
    assert "out of date" in capsys.readouterr().err


def test_the_generator_refuses_a_slot_type_a_locale_does_not_offer(monkeypatch: pytest.MonkeyPatch) -> None:
    import lex_bot

    monkeypatch.setattr(lex_bot, "available_in", lambda kind: frozenset({Locale.EN_US}))

    with pytest.raises(ValueError, match="is not available in ja_JP"):
        lex_bot.bot_locales()


def test_sample_events_parse_with_the_project_parser() -> None:
    for path in sorted(
        Path(__file__).resolve().parents[3].joinpath("events", "lex_fulfillment").glob("*.json")
    ):
        assert parse_lex_event(json.loads(path.read_text(encoding="utf-8"))).problems == (), path.name
