"""The chaos run, small: 24 contacts at once on the local stack with the full fault mix (Zendesk 30 %
429, 10 % 5xx, 5 % five-second answers; DynamoDB throttling; 10 % of DISCONNECTED events never
delivered), through function processes."""

from __future__ import annotations

import json

import pytest
from connect_zendesk_local.chaos import ChaosConfig, flow_response_problems, print_report, run_chaos, save

pytestmark = pytest.mark.integration


def test_two_dozen_contacts_under_faults_keep_every_contract_and_write_each_note_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Given the chaos fault mix, and the local SQS clock compressed to one second
    config = ChaosConfig(contacts=24, workers=4, contact_threads=12, max_visibility_seconds=1, seed=11)

    # When 24 contacts call, talk to the bot, are transcribed and hang up at once
    report = run_chaos(config, progress=lambda _line: None)

    # Then every check holds: answers within contract and budget, one note per contact, queues drained
    failed = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
    assert failed == []
    # ... and the faults really happened
    injected = report.figures["injected"]
    assert {"rate_limit", "server_error", "delay", "none"} <= set(injected["zendesk"])
    assert sum(injected["dynamodb_throttled"].values()) > 0
    assert report.figures["post_call"]["retried"] > 0
    # ... events were lost, and the sweep brought each back: no note lost (checked above)
    post_call = report.figures["post_call"]
    assert post_call["events_dropped"] > 0
    assert post_call["reconciled"] == post_call["events_dropped"]
    assert report.figures["latency"]["caller_lookup"]["invocations"] == 24
    # The report is printed and saved as JSON
    path = save(report, tmp_path / "chaos.json")
    assert json.loads(path.read_text(encoding="utf-8"))["ok"] is True
    print_report(report)


def test_a_flow_answer_breaking_the_connect_contract_is_named() -> None:
    assert flow_response_problems({"lambdaResult": "Success", "ticketId": "1"}) == []
    assert flow_response_problems(["Success"]) == ["not a map: list"]
    assert flow_response_problems({"lambdaResult": "Maybe", "n": 1}) == [
        "'n' is not a string",
        "lambdaResult 'Maybe'",
    ]
    assert flow_response_problems({"lambdaResult": "Error", "x": "y" * 33_000}) == ["32 KB or more"]
