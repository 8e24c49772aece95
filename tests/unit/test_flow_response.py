"""Flat string-map responses for the Connect "Invoke AWS Lambda function" block (CONTRACTS.md A.2-A.5)."""

from __future__ import annotations

import json

import pytest
from connect_zendesk.connect.contracts import (
    CALLER_LOOKUP,
    FLOW_CONTRACTS,
    START_STREAMING,
    TICKET_LOOKUP,
    ZENDESK_LOOKUP_ENV,
    FlowContract,
)
from connect_zendesk.connect.flow_response import (
    MAX_RESPONSE_BYTES,
    MAX_VALUE_CHARS,
    FlowOutcome,
    LambdaResult,
    build_response,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CONTRACTS = list(FLOW_CONTRACTS.values())
CONNECT_LIMIT_BYTES = 32 * 1024


def _utf8_size(response: dict[str, str]) -> int:
    return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))


# ----------------------------------------------------------------------------- the contract table


def test_contract_table_is_keyed_by_function_name() -> None:
    assert FLOW_CONTRACTS == {
        "caller_lookup": CALLER_LOOKUP,
        "ticket_lookup": TICKET_LOOKUP,
        "start_streaming": START_STREAMING,
    }


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.function)
def test_every_contract_returns_lambda_result_skip_reason_and_error_type(contract: FlowContract) -> None:
    assert {"lambdaResult", "skipReason", "errorType"} <= set(contract.returns)
    assert len(set(contract.returns)) == len(contract.returns)
    assert contract.summary
    assert contract.required_env
    assert all(name.isupper() and " " not in name for name in contract.required_env)


def test_zendesk_lookups_require_zendesk_and_table_settings() -> None:
    assert CALLER_LOOKUP.required_env == TICKET_LOOKUP.required_env == ZENDESK_LOOKUP_ENV
    assert {"ZENDESK_SUBDOMAIN", "ZENDESK_SECRET_ARN", "CONTACTS_TABLE"} <= ZENDESK_LOOKUP_ENV


# ----------------------------------------------------------------------------- build_response


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.function)
@pytest.mark.parametrize("result", list(LambdaResult))
def test_every_contract_key_is_present_and_every_value_is_a_string(
    contract: FlowContract, result: LambdaResult
) -> None:
    response = build_response(contract, FlowOutcome(result))

    assert set(response) == set(contract.returns)
    assert all(isinstance(value, str) for value in response.values())
    assert response["lambdaResult"] == result.value
    assert all(response[key] == "" for key in contract.returns if key != "lambdaResult")


def test_values_are_flattened_to_strings() -> None:
    outcome = FlowOutcome(
        LambdaResult.SUCCESS,
        {"zendeskUserId": 360001234567, "customerName": "Jane Doe", "matchCount": 1},
    )

    response = build_response(CALLER_LOOKUP, outcome)

    assert response == {
        "lambdaResult": "Success",
        "zendeskUserId": "360001234567",
        "customerName": "Jane Doe",
        "customerFirstName": "",
        "matchCount": "1",
        "identity": "",
        "skipReason": "",
        "errorType": "",
    }


def test_lambda_result_comes_from_the_outcome_not_from_values() -> None:
    outcome = FlowOutcome(LambdaResult.NOT_FOUND, {"lambdaResult": "Success"})

    assert build_response(CALLER_LOOKUP, outcome)["lambdaResult"] == "NotFound"


def test_undeclared_key_raises_value_error_naming_it() -> None:
    outcome = FlowOutcome(LambdaResult.SUCCESS, {"ticketId": "1", "customerName": "Jane"})

    with pytest.raises(ValueError, match=r"caller_lookup does not declare returned keys \['ticketId'\]"):
        build_response(CALLER_LOOKUP, outcome)


@pytest.mark.parametrize(
    ("raw", "flat"),
    [
        ("line one\nline two", "line one line two"),
        ("tab\there", "tab here"),
        ("nul\x00byte", "nul byte"),
        ("bell\x07", "bell "),
        ("zero\u200bwidth", "zero width"),
        ("del\x7f", "del "),
        ("plain text stays", "plain text stays"),
        ("プリンター", "プリンター"),
    ],
)
def test_control_characters_are_replaced_by_spaces(raw: str, flat: str) -> None:
    response = build_response(CALLER_LOOKUP, FlowOutcome(LambdaResult.SUCCESS, {"customerName": raw}))

    assert response["customerName"] == flat


def test_each_value_is_capped() -> None:
    outcome = FlowOutcome(LambdaResult.SUCCESS, {"ticketPrompt": "x" * (MAX_VALUE_CHARS * 3)})

    response = build_response(TICKET_LOOKUP, outcome)

    assert response["ticketPrompt"] == "x" * MAX_VALUE_CHARS


def test_response_limit_leaves_headroom_under_connects_32_kb() -> None:
    assert MAX_RESPONSE_BYTES < CONNECT_LIMIT_BYTES


@pytest.mark.parametrize(
    "filler",
    [
        "x",
        "é",  # 2 bytes in UTF-8
        "工",  # 3 bytes
        "😀",  # 4 bytes
        '"',  # escaped by JSON: 2 bytes
        "\\",  # escaped by JSON: 2 bytes
    ],
)
@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.function)
def test_response_with_huge_values_stays_under_the_size_limit(contract: FlowContract, filler: str) -> None:
    huge = filler * (MAX_VALUE_CHARS * 4)
    values = {key: huge for key in contract.returns if key != "lambdaResult"}

    response = build_response(contract, FlowOutcome(LambdaResult.SUCCESS, values))

    assert _utf8_size(response) <= MAX_RESPONSE_BYTES
    assert set(response) == set(contract.returns)
    assert response["lambdaResult"] == "Success"
    for key, value in response.items():
        if key != "lambdaResult":
            assert value  # shortened, never emptied
            assert set(value) == {filler}


def test_size_limit_shortens_the_longest_values_first() -> None:
    values = {
        "ticketPrompt": "😀" * MAX_VALUE_CHARS,
        "ticketSubject": "😀" * MAX_VALUE_CHARS,
        "ticketIds": "😀" * MAX_VALUE_CHARS,
        "zendeskUserId": "😀" * MAX_VALUE_CHARS,
        "openTicketCount": "😀" * MAX_VALUE_CHARS,
        "ticketId": "😀" * MAX_VALUE_CHARS,
        "ticketStatus": "😀" * MAX_VALUE_CHARS,
        "skipReason": "😀" * MAX_VALUE_CHARS,
        "errorType": "short",
    }
    raw = dict(values, lambdaResult="Success")
    assert _utf8_size(raw) > MAX_RESPONSE_BYTES  # the case really needs shortening

    response = build_response(TICKET_LOOKUP, FlowOutcome(LambdaResult.SUCCESS, values))

    assert _utf8_size(response) <= MAX_RESPONSE_BYTES
    assert response["errorType"] == "short"
    assert response["lambdaResult"] == "Success"


def test_response_under_the_limit_is_not_shortened() -> None:
    values = {"ticketPrompt": "工" * MAX_VALUE_CHARS, "ticketSubject": "工" * MAX_VALUE_CHARS}

    response = build_response(TICKET_LOOKUP, FlowOutcome(LambdaResult.SUCCESS, values))

    assert response["ticketPrompt"] == values["ticketPrompt"]
    assert response["ticketSubject"] == values["ticketSubject"]


@settings(max_examples=100, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            key: st.one_of(st.text(max_size=3000), st.integers())
            for key in TICKET_LOOKUP.returns
            if key != "lambdaResult"
        },
    ),
    result=st.sampled_from(list(LambdaResult)),
)
def test_property_any_outcome_is_a_flat_string_map_within_limits(
    values: dict[str, str | int], result: LambdaResult
) -> None:
    response = build_response(TICKET_LOOKUP, FlowOutcome(result, values))

    assert set(response) == set(TICKET_LOOKUP.returns)
    assert all(isinstance(v, str) and len(v) <= MAX_VALUE_CHARS for v in response.values())
    assert _utf8_size(response) <= MAX_RESPONSE_BYTES
    assert response["lambdaResult"] == result.value
    assert json.loads(json.dumps(response)) == response


# ----------------------------------------------------------------------------- FlowOutcome shortcuts


def test_flow_outcome_error() -> None:
    outcome = FlowOutcome.error("Timeout")

    assert outcome == FlowOutcome(LambdaResult.ERROR, {"errorType": "Timeout"})
    assert build_response(CALLER_LOOKUP, outcome)["errorType"] == "Timeout"
    assert build_response(CALLER_LOOKUP, outcome)["lambdaResult"] == "Error"


def test_flow_outcome_skipped() -> None:
    outcome = FlowOutcome.skipped("Anonymous")

    assert outcome == FlowOutcome(LambdaResult.SKIPPED, {"skipReason": "Anonymous"})
    response = build_response(TICKET_LOOKUP, outcome)
    assert response["skipReason"] == "Anonymous"
    assert response["lambdaResult"] == "Skipped"


def test_lambda_result_values_are_the_flow_branch_names() -> None:
    assert [r.value for r in LambdaResult] == ["Success", "NotFound", "Skipped", "Error"]
