"""PII masking helpers and the log formatter that runs `scrub` over every record."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from connect_zendesk import observability
from connect_zendesk.observability import PiiScrubbingFormatter
from connect_zendesk.pii import mask_email, mask_name, mask_phone, mask_text, scrub, scrub_text

# ----------------------------------------------------------------------------- mask_* helpers


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+14155552671", "+1*******671"),
        (" +1 (415) 555-2671 ", "+1*******671"),
        ("4155552671", "4******671"),
        ("+442079460958", "+4********958"),
        ("12345", "1*345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone_keeps_first_digit_and_last_three(number: str | None, masked: str) -> None:
    assert mask_phone(number) == masked


def test_mask_phone_never_reveals_more_than_four_digits() -> None:
    masked = mask_phone("+81 90-1234-5678")

    assert sum(ch.isdigit() for ch in masked) == 4
    assert "1234" not in masked
    assert "5678" not in masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane.doe@example.com", "j***@e***.com"),
        ("a@b.co.uk", "a***@b***.uk"),
        ("no-at-sign", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_email(address: str | None, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Jane Q Doe", "J*** Q*** D***"), ("  山田  太郎 ", "山*** 太***"), ("", ""), (None, "")],
)
def test_mask_name_keeps_initials_only(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("text", "masked"), [("my card is 4111", "<15 chars>"), ("", "<0 chars>"), (None, "<0 chars>")]
)
def test_mask_text_logs_only_the_size(text: str | None, masked: str) -> None:
    assert mask_text(text) == masked


# ----------------------------------------------------------------------------- scrub_text / scrub


@pytest.mark.parametrize(
    ("text", "secret_digits"),
    [
        ("caller +14155552671 rang", "4155552671"),
        ("caller +1 (415) 555-2671 rang", "555-2671"),
        ("caller (415) 555-2671 rang", "555-2671"),
        ("caller (415) 555 2671 rang", "555 2671"),
        ("caller 415-555-2671 rang", "555-2671"),
        ("caller 415.555.2671 rang", "555.2671"),
        ("caller +44 20 7946 0958 rang", "7946"),
        ("caller +81 90-1234-5678 rang", "1234"),
    ],
)
def test_scrub_text_masks_phone_numbers_in_free_text(text: str, secret_digits: str) -> None:
    scrubbed = scrub_text(text)

    assert secret_digits not in scrubbed
    assert scrubbed.startswith("caller ")
    assert scrubbed.endswith(" rang")
    assert "*" in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "ticket 360001234567 updated",  # a bare digit run is a Zendesk id
        "user 12345 and ticket 987",
        "at 2024-05-01T10:00:00Z",
        "at 2024-05-01 10:00:00+02:00",
        "on 2024-05-01",
        "contact 6c1f3e2a-0b7d-4c59-9e21-3a8f5d6b7c06",
        "version 1.2.3 from 10.0.0.1",
        "no personal data here",
    ],
)
def test_scrub_text_keeps_ids_dates_and_plain_text(text: str) -> None:
    assert scrub_text(text) == text


def test_scrub_text_masks_emails_keeping_first_letters_and_tld() -> None:
    assert scrub_text("from Jane.Doe+vip@Mail.Example.COM today") == "from J***@M***.COM today"


def test_scrub_text_masks_space_separated_national_number() -> None:
    assert "555 2671" not in scrub_text("caller 415 555 2671 rang")


def test_scrub_walks_nested_mappings_and_sequences() -> None:
    record = {
        "message": "call from +14155552671",
        "caller": {"phone": "415-555-2671", "emails": ["jane@example.com", ("bob@example.org",)]},
        "count": 3,
        "flag": True,
        "missing": None,
    }

    assert scrub(record) == {
        "message": "call from +1*******671",
        "caller": {"phone": "4******671", "emails": ["j***@e***.com", ["b***@e***.org"]]},
        "count": 3,
        "flag": True,
        "missing": None,
    }


@pytest.mark.parametrize("key", ["timestamp", "contact_id", "function_request_id", "xray_trace_id", "step"])
def test_scrub_leaves_safe_keys_untouched(key: str) -> None:
    value = "415-555-2671"

    assert scrub({key: value}) == {key: value}
    assert scrub(value, key) == value


def test_scrub_masks_unsafe_keys_with_the_same_value() -> None:
    assert scrub({"phone_number": "415-555-2671"}) == {"phone_number": "4******671"}


def test_scrub_masks_phone_numbers_and_emails_used_as_keys() -> None:
    # Found by fuzzing: transcription_consumer logs the segment kinds it ignores, keyed by the event's keys
    assert scrub({"kinds": {"+14155550199": 1, "a@example.com": 2, "Categories": 3}}) == {
        "kinds": {"+1*******199": 1, "a***@e***.com": 2, "Categories": 3}
    }


def test_scrub_returns_non_text_scalars_unchanged() -> None:
    for value in (42, 1.5, None, False):
        assert scrub(value) is value


# ----------------------------------------------------------------------------- the log formatter


@pytest.fixture
def log_to() -> Callable[[], tuple[Logger, io.StringIO]]:
    """A Powertools Logger with the scrubbing formatter writing JSON lines into a StringIO."""

    def build() -> tuple[Logger, io.StringIO]:
        stream = io.StringIO()
        logger = Logger(
            service=f"pii-test-{uuid.uuid4().hex}",  # fresh name: Powertools reuses configured loggers
            logger_formatter=PiiScrubbingFormatter(),
            logger_handler=logging.StreamHandler(stream),
            utc=True,
        )
        return logger, stream

    return build


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_formatter_masks_message_and_extra_keys_and_keeps_ids_and_dates(
    log_to: Callable[[], tuple[Logger, io.StringIO]],
) -> None:
    logger, stream = log_to()

    logger.info(
        "lookup for +1 (415) 555-2671 <jane.doe@example.com>",
        extra={
            "caller": "415-555-2671",
            "requester": {"email": "bob@example.org", "phones": ["+442079460958"]},
            "zendesk_user_id": 360001234567,
            "ticket_ids": "123,456",
            "updated_at": "2024-05-01T10:00:00Z",
        },
    )

    (record,) = _records(stream)
    output = stream.getvalue()
    for secret in ("555-2671", "4155552671", "jane.doe", "example.com", "bob@", "2079460958"):
        assert secret not in output
    assert record["message"] == "lookup for +1*******671 <j***@e***.com>"
    assert record["caller"] == "4******671"
    assert record["requester"] == {"email": "b***@e***.org", "phones": ["+4********958"]}
    assert record["zendesk_user_id"] == 360001234567
    assert record["ticket_ids"] == "123,456"
    assert record["updated_at"] == "2024-05-01T10:00:00Z"
    assert record["level"] == "INFO"


def test_formatter_keeps_appended_contact_id(log_to: Callable[[], tuple[Logger, io.StringIO]]) -> None:
    logger, stream = log_to()
    logger.append_keys(contact_id="6c1f3e2a-0b7d-4c59-9e21-3a8f5d6b7c06", step="caller_lookup")

    logger.info("done")

    (record,) = _records(stream)
    assert record["contact_id"] == "6c1f3e2a-0b7d-4c59-9e21-3a8f5d6b7c06"
    assert record["step"] == "caller_lookup"


def test_formatter_masks_dict_messages(log_to: Callable[[], tuple[Logger, io.StringIO]]) -> None:
    logger, stream = log_to()

    logger.info({"event": "lookup", "phone": "+14155552671"})

    (record,) = _records(stream)
    assert record["message"] == {"event": "lookup", "phone": "+1*******671"}


def test_formatter_masks_exception_text(log_to: Callable[[], tuple[Logger, io.StringIO]]) -> None:
    logger, stream = log_to()

    try:
        raise ValueError("no user with phone +14155552671")
    except ValueError:
        logger.exception("lookup failed for jane@example.com")

    (record,) = _records(stream)
    assert record["message"] == "lookup failed for j***@e***.com"
    assert "+1*******671" in record["exception"]
    assert "4155552671" not in record["exception"]


def test_formatter_masks_the_serialized_stack_trace(log_to: Callable[[], tuple[Logger, io.StringIO]]) -> None:
    logger, stream = log_to()

    try:
        raise ValueError("no user with phone +14155552671")
    except ValueError:
        logger.exception("lookup failed")

    assert "4155552671" not in stream.getvalue()


def test_project_logger_uses_the_scrubbing_formatter() -> None:
    assert isinstance(observability.logger.registered_formatter, PiiScrubbingFormatter)


# ----------------------------------------------------------------------------- the lazy tracer


def test_traced_handler_wraps_lazily_and_keeps_the_handlers_identity(lambda_context: Any) -> None:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> dict[str, str]:
        """The handler's docstring."""
        calls.append(event)
        return {"lambdaResult": "Success"}

    wrapped = observability.traced(handler)

    assert wrapped.__name__ == "handler"
    assert wrapped.__doc__ == "The handler's docstring."
    assert wrapped({"n": 1}, lambda_context) == {"lambdaResult": "Success"}
    assert wrapped({"n": 2}, lambda_context) == {"lambdaResult": "Success"}
    assert calls == [{"n": 1}, {"n": 2}]
    assert observability.tracer() is observability.tracer()


def test_mask_email_without_a_top_level_domain_has_no_trailing_dot() -> None:
    assert mask_email("a@localhost") == "a***@l***"
