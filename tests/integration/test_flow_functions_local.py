"""Contact-flow functions on the local stack: real zenpy over HTTP to the Zendesk emulator, DynamoDB
and Secrets Manager in moto server, tables and environment from template.yaml."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.connect_events import contact_flow_event
from connect_zendesk_local.lambda_pool import LambdaPool
from connect_zendesk_local.stack import STATE_FILE, LocalStack
from connect_zendesk_local.zendesk_emulator import FaultConfig

JANE = "+14155552671"


def api_calls(stack: LocalStack) -> int:
    assert stack.zendesk is not None
    return sum(1 for r in stack.zendesk.requests_log() if r.path.startswith("/api/v2/"))


def call(stack: LocalStack, function: str, address: str | None = JANE, **kwargs: Any) -> dict[str, str]:
    response: dict[str, str] = stack.invoke(function, contact_flow_event(address, **kwargs))
    return response


def test_first_time_caller_costs_at_most_three_zendesk_calls_and_a_repeat_caller_at_most_one(
    stack: LocalStack,
) -> None:
    caller = call(stack, "caller_lookup")
    tickets = call(stack, "ticket_lookup")
    assert caller["lambdaResult"] == "Success"
    assert caller["customerFirstName"] == "Jane"
    assert tickets["lambdaResult"] == "Success"
    assert tickets["ticketSubject"] == "Printer offline"
    assert "updated 2 days ago" in tickets["ticketPrompt"]
    assert api_calls(stack) <= 3
    before = api_calls(stack)
    call(stack, "caller_lookup")
    call(stack, "ticket_lookup")
    assert api_calls(stack) - before <= 1


@pytest.mark.parametrize(
    ("address", "language", "expected"),
    [
        ("+14155550134", "en-US", {"customerName": "Carlos Ruiz"}),  # stored "(415) 555-0134"
        ("+442079460958", "en-US", {"lambdaResult": "Success"}),  # only a phone identity
        ("+12065550188", "en-US", {"lambdaResult": "Success", "matchCount": "2"}),  # shared household
        ("+16465552671", "en-US", {"lambdaResult": "NotFound"}),  # an agent, and Jane's last digits
        ("+81312345678", "ja-JP", {"customerFirstName": "山田太郎"}),
        ("+821023456789", "ko-KR", {"lambdaResult": "Success"}),
        ("+8613800138000", "zh-CN", {"lambdaResult": "Success"}),
    ],
)
def test_seeded_customers_are_recognised_whatever_format_zendesk_holds(
    stack: LocalStack, address: str, language: str, expected: dict[str, str]
) -> None:
    response = call(stack, "caller_lookup", address, language=language)
    assert {k: response[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("address", "language", "fragment"),
    [
        ("+81312345678", "ja-JP", "プリンターがオフライン"),
        ("+821023456789", "ko-KR", "업데이트되었습니다"),
        ("+8613800138000", "zh-CN", "更新"),
    ],
)
def test_ticket_prompt_speaks_the_callers_language(
    stack: LocalStack, address: str, language: str, fragment: str
) -> None:
    response = call(stack, "ticket_lookup", address, language=language)
    assert response["lambdaResult"] == "Success"
    assert fragment in response["ticketPrompt"]


def test_customer_without_tickets(stack: LocalStack) -> None:
    response = call(stack, "ticket_lookup", "+13125550199")
    assert (response["lambdaResult"], response["openTicketCount"]) == ("NotFound", "0")


def test_a_hanging_zendesk_is_answered_with_timeout_inside_the_budget(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stack.zendesk is not None
    monkeypatch.setenv("FLOW_TIME_BUDGET_MS", "1000")
    stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=30)
    started = time.monotonic()
    response = call(stack, "caller_lookup")
    elapsed = time.monotonic() - started
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "Timeout")
    # Connect's block times out at 8 s; the answer must come well before, not after the hang.
    assert elapsed < 4


@pytest.mark.parametrize("function", ["caller_lookup", "ticket_lookup"])
def test_the_first_call_of_a_fresh_environment_answers_timeout_while_zendesk_hangs(function: str) -> None:
    # A fresh execution environment (its own new process) whose very first call meets a hanging
    # Zendesk: the budget starts at handler entry, so the answer is the flow's Timeout branch. How
    # long it takes is a `make bench` row (bench/first_call.py), not asserted here.
    # The template's budget (3 s): a shorter one can run out on a busy machine before Zendesk is asked.
    with LocalStack() as stack:
        assert stack.zendesk is not None
        stack.zendesk.faults = FaultConfig(mode="hang", hang_seconds=30)
        with LambdaPool(stack, workers=1) as pool:
            first = pool.run(function, contact_flow_event(JANE))
        zendesk_requests = api_calls(stack)
    assert first.error is None
    assert first.first_call
    assert all(isinstance(value, str) for value in first.response.values())  # a flat string map
    # The flow's Timeout branch, and nothing about the caller (every other declared key is empty).
    assert {k: v for k, v in first.response.items() if v} == {"lambdaResult": "Error", "errorType": "Timeout"}
    assert zendesk_requests >= 1  # the time went on the hanging Zendesk request, not elsewhere


@pytest.mark.parametrize("retry_after", [30, None])
def test_rate_limited_zendesk_is_reported_at_once_without_sleeping(
    stack: LocalStack, retry_after: int | None
) -> None:
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig(mode="rate_limit", retry_after=retry_after)
    started = time.monotonic()
    response = call(stack, "caller_lookup")
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "RateLimited")
    assert api_calls(stack) == 1  # no retry either
    assert time.monotonic() - started < 4


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        (FaultConfig(mode="server_error"), "ZendeskUnavailable"),
        (FaultConfig(mode="server_error", error_status=500), "ZendeskUnavailable"),
        (FaultConfig(mode="malformed"), "ZendeskBadResponse"),
    ],
)
def test_zendesk_failures_reach_the_flow_as_error_types(
    stack: LocalStack, fault: FaultConfig, error_type: str
) -> None:
    assert stack.zendesk is not None
    stack.zendesk.faults = fault
    response = call(stack, "ticket_lookup")
    assert (response["lambdaResult"], response["errorType"]) == ("Error", error_type)


def test_slow_but_answering_zendesk_is_waited_for(stack: LocalStack) -> None:
    assert stack.zendesk is not None
    stack.zendesk.faults = FaultConfig(latency_ms=300)
    assert call(stack, "caller_lookup")["lambdaResult"] == "Success"


def test_a_rotated_token_is_picked_up_after_a_401(stack: LocalStack) -> None:
    secrets = stack.client("secretsmanager")
    secret_arn = stack.template.physical["ZendeskApiTokenSecret"].ref
    secrets.put_secret_value(SecretId=secret_arn, SecretString=json.dumps({"api_token": "wrong-token"}))
    response = call(stack, "caller_lookup")
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "ZendeskAuthError")
    # Given the operator fixes the secret, the next call succeeds without a redeploy
    secrets.put_secret_value(SecretId=secret_arn, SecretString=json.dumps({"api_token": "local-demo-token"}))
    assert call(stack, "caller_lookup", "+14155550134")["lambdaResult"] == "Success"


def test_an_unfilled_secret_is_a_configuration_error(stack: LocalStack) -> None:
    secret_arn = stack.template.physical["ZendeskApiTokenSecret"].ref
    stack.client("secretsmanager").put_secret_value(SecretId=secret_arn, SecretString='{"api_token": ""}')
    response = call(stack, "caller_lookup")
    assert (response["lambdaResult"], response["errorType"]) == ("Error", "ConfigurationError")


def test_contacts_and_cache_tables_hold_what_later_steps_need(stack: LocalStack) -> None:
    event = contact_flow_event(JANE)
    contact_id = event["Details"]["ContactData"]["ContactId"]
    stack.invoke("caller_lookup", event)
    stack.invoke("ticket_lookup", event)
    dynamodb = stack.client("dynamodb")
    item = dynamodb.get_item(
        TableName=stack.template.physical["ContactsTable"].ref, Key={"contactId": {"S": contact_id}}
    )["Item"]
    assert item["callerE164"] == {"S": JANE}
    assert next(t["N"] for t in item["offeredTicketIds"]["L"]) == "1001"
    by_caller = dynamodb.query(
        TableName=stack.template.physical["ContactsTable"].ref,
        IndexName="ByCaller",
        KeyConditionExpression="callerE164 = :c",
        ExpressionAttributeValues={":c": {"S": JANE}},
    )
    assert [i["contactId"]["S"] for i in by_caller["Items"]] == [contact_id]


# ---------------------------------------------------------------------------- command line


def _env() -> dict[str, str]:
    """A shell's environment: no endpoints of the test's own stack leak into the child."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "ZENPY_FORCE"))}


def _make_invoke(event: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """What `make invoke FN=caller_lookup EVENT=<event>` runs."""
    return subprocess.run(
        [sys.executable, "-m", "connect_zendesk_local.invoke", "caller_lookup", event],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=check,
    )


def test_make_invoke_prints_only_the_response_on_stdout() -> None:
    result = _make_invoke("events/caller_lookup/known_caller.json")
    response = json.loads(result.stdout)
    assert response["lambdaResult"] == "Success"
    assert "flow step answered" in result.stderr


def test_invoke_rejects_an_unreadable_event() -> None:
    result = _make_invoke("events/missing.json", check=False)
    assert result.returncode == 2
    assert "cannot read event" in result.stderr


@pytest.fixture
def running_stack() -> Iterator[subprocess.Popen[str]]:
    STATE_FILE.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "connect_zendesk_local.stack"],
        cwd=PROJECT_ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not STATE_FILE.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "local stack did not start"
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_invoke_uses_a_running_stack_and_the_stack_cleans_up(running_stack: subprocess.Popen[str]) -> None:
    state = json.loads(STATE_FILE.read_text(encoding="utf-8"))
    for _ in range(2):
        result = _make_invoke("events/caller_lookup/known_caller.json")
        assert json.loads(result.stdout)["lambdaResult"] == "Success"
    # The second call was answered from the running stack's cache: one Zendesk search in all.
    with urllib.request.urlopen(f"http://{state['zendesk_netloc']}/__emulator/requests") as answer:
        log = json.loads(answer.read())
    searches = [r for r in (log["requests"] if isinstance(log, dict) else log) if "search" in r["path"]]
    assert len(searches) == 1
    running_stack.send_signal(signal.SIGTERM)
    running_stack.wait(timeout=30)
    assert not STATE_FILE.exists()
