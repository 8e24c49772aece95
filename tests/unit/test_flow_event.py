"""Tolerant parsing of the Connect "Invoke AWS Lambda function" event (CONTRACTS.md A.6-A.8)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.connect.flow_event import FlowRequest, InvalidFlowEvent, parse_flow_event
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from support import reference_events

SAMPLE_EVENTS = sorted((PROJECT_ROOT / "events").glob("caller_lookup/*.json")) + sorted(
    (PROJECT_ROOT / "events").glob("ticket_lookup/*.json")
)
REFERENCE_FLOW_EVENTS = reference_events("connect_contact_flow_*.json")  # .jsonc/.mustache are not JSON

CONTACT_ID = "6c1f3e2a-0b7d-4c59-9e21-3a8f5d6b7c01"


def _load(path: Path) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _event(**contact: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": CONTACT_ID,
                "InitialContactId": CONTACT_ID,
                "InstanceARN": "arn:aws:connect:us-east-1:123456789012:instance/abc",
                "CustomerEndpoint": {"Address": "+14155552671", "Type": "TELEPHONE_NUMBER"},
                "LanguageCode": "en-US",
            },
            "Parameters": {},
        },
    }
    base["Details"]["ContactData"].update(contact)
    return base


def _assert_well_formed(request: FlowRequest, event: dict[str, Any]) -> None:
    assert request.channel == request.channel.upper()
    assert request.customer_endpoint_type == request.customer_endpoint_type.upper()
    assert all(isinstance(v, str) for v in request.parameters.values())
    assert all(isinstance(v, str) for v in request.attributes.values())
    contact = event["Details"].get("ContactData") or {}
    raw_id = contact.get("ContactId")
    if isinstance(raw_id, str) and raw_id.replace("-", "").isalnum() and len(raw_id) <= 128:
        assert request.contact_id == raw_id


def test_sample_events_exist() -> None:
    assert len(SAMPLE_EVENTS) >= 2


@pytest.mark.parametrize("path", SAMPLE_EVENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_event_parses(path: Path) -> None:
    event = _load(path)

    request = parse_flow_event(event)

    _assert_well_formed(request, event)
    assert request.contact_id  # the project's own samples all carry a real contact id
    assert request.channel in {"VOICE", "CHAT", "TASK"}
    assert request.dropped_fields == ()


@pytest.mark.skipif(not REFERENCE_FLOW_EVENTS, reason="reference-events folder is not available")
@pytest.mark.parametrize("path", REFERENCE_FLOW_EVENTS, ids=lambda p: p.name)
def test_every_reference_contact_flow_event_parses(path: Path) -> None:
    event = _load(path)

    request = parse_flow_event(event)

    _assert_well_formed(request, event)


def test_full_event_is_read_field_by_field() -> None:
    event = _event(
        ContactId=" 6c1f3e2a-0b7d-4c59-9e21-3a8f5d6b7c01 ",
        Channel="voice",
        CustomerEndpoint={"Address": " +14155552671 ", "Type": "telephone_number"},
        LanguageCode="ja-JP",
        Attributes={"zendeskUserId": "42"},
    )
    event["Details"]["Parameters"] = {"phoneNumber": "(415) 555-0134"}

    request = parse_flow_event(event)

    assert request == FlowRequest(
        contact_id=CONTACT_ID,
        initial_contact_id=CONTACT_ID,
        instance_arn="arn:aws:connect:us-east-1:123456789012:instance/abc",
        channel="VOICE",
        customer_address="+14155552671",
        customer_endpoint_type="TELEPHONE_NUMBER",
        language_code="ja-JP",
        parameters={"phoneNumber": "(415) 555-0134"},
        attributes={"zendeskUserId": "42"},
        dropped_fields=(),
    )


@pytest.mark.parametrize(
    "event",
    [None, [], "ContactFlowEvent", 42, {}, {"Name": "ContactFlowEvent"}, {"Details": None}, {"Details": "x"}],
)
def test_event_without_details_object_is_invalid(event: Any) -> None:
    with pytest.raises(InvalidFlowEvent, match="no Details object"):
        parse_flow_event(event)


def test_invalid_flow_event_is_a_value_error_with_a_flow_error_type() -> None:
    assert issubclass(InvalidFlowEvent, ValueError)
    assert InvalidFlowEvent.error_type == "InvalidEvent"


@pytest.mark.parametrize("channel", ["Voice", "voice", "VOICE"])
def test_channel_is_upper_cased(channel: str) -> None:
    assert parse_flow_event(_event(Channel=channel)).channel == "VOICE"


def test_null_endpoints_queue_and_language_become_empty_values() -> None:
    event = _event(CustomerEndpoint=None, SystemEndpoint=None, Queue=None, LanguageCode=None, Attributes=None)
    event["Details"]["Parameters"] = None

    request = parse_flow_event(event)

    assert request.customer_address == ""
    assert request.customer_endpoint_type == ""
    assert request.language_code == ""
    assert request.parameters == {}
    assert request.attributes == {}
    assert request.contact_id == CONTACT_ID


@pytest.mark.parametrize("endpoint", [{"Address": None, "Type": None}, {"Address": 14155552671}, "oops", []])
def test_malformed_customer_endpoint_gives_empty_address(endpoint: Any) -> None:
    request = parse_flow_event(_event(CustomerEndpoint=endpoint))

    assert request.customer_address == ""
    assert request.customer_endpoint_type == ""


def test_parameters_only_event_parses_with_empty_contact_fields() -> None:
    event = {"Details": {"Parameters": {"sf_operation": "phoneLookup", "sf_phone": "+441122334455"}}}

    request = parse_flow_event(event)

    assert request == FlowRequest(parameters={"sf_operation": "phoneLookup", "sf_phone": "+441122334455"})
    assert request.value("sf_phone") == "+441122334455"


def test_contact_data_that_is_not_an_object_is_ignored() -> None:
    request = parse_flow_event({"Details": {"ContactData": "nope", "Parameters": {"a": "b"}}})

    assert request.contact_id == ""
    assert request.parameters == {"a": "b"}


def test_non_string_values_are_stringified_or_dropped_and_reported() -> None:
    event = _event(Attributes={"vip": True, "score": 7, "nested": {"a": "b"}, "plain": "x", "gone": None})
    event["Details"]["Parameters"] = {
        "retries": 3,
        "ratio": 0.5,
        "enabled": False,
        "list": ["a"],
        "phoneNumber": "+14155552671",
        "empty": None,
    }

    request = parse_flow_event(event)

    assert request.parameters == {
        "retries": "3",
        "ratio": "0.5",
        "enabled": "false",
        "phoneNumber": "+14155552671",
    }
    assert request.attributes == {"vip": "true", "score": "7", "plain": "x"}
    assert request.dropped_fields == ("Parameters.list", "Attributes.nested")


def test_parsing_does_not_modify_the_event() -> None:
    event = _event(Attributes={"nested": {"a": "b"}, "n": 1})
    before = copy.deepcopy(event)

    parse_flow_event(event)

    assert event == before


@pytest.mark.parametrize(
    "contact_id",
    [
        "a" * 129,  # too long
        "abc'; DROP TABLE contacts;--",
        "abc def",
        "../../etc/passwd",
        "-leading-dash",
        "id\nwith-newline",
        "<script>",
        "",
        42,
        None,
        ["6c1f3e2a"],
    ],
)
def test_unsafe_contact_ids_become_empty(contact_id: Any) -> None:
    request = parse_flow_event(_event(ContactId=contact_id, InitialContactId=contact_id))

    assert request.contact_id == ""
    assert request.initial_contact_id == ""


@pytest.mark.parametrize("contact_id", ["a" * 128, "A", "ASDAcxcasDFSSDFs", "Acxsada-asdasdaxA", CONTACT_ID])
def test_safe_contact_ids_are_kept(contact_id: str) -> None:
    assert parse_flow_event(_event(ContactId=contact_id)).contact_id == contact_id


@pytest.mark.parametrize(
    ("parameters", "attributes", "expected"),
    [
        ({"phoneNumber": "+1 111"}, {"phoneNumber": "+1 222"}, "+1 111"),  # parameter wins
        ({}, {"phoneNumber": " +1 222 "}, "+1 222"),  # falls back to the attribute, stripped
        ({"phoneNumber": "   "}, {"phoneNumber": "+1 222"}, "+1 222"),  # blank parameter does not win
        ({"phoneNumber": " +1 111 "}, {}, "+1 111"),
        ({}, {}, ""),
    ],
)
def test_flow_request_value_prefers_parameter_over_attribute(
    parameters: dict[str, str], attributes: dict[str, str], expected: str
) -> None:
    request = FlowRequest(parameters=parameters, attributes=attributes)

    assert request.value("phoneNumber") == expected
