"""The agent side panel on the local stack: Kinesis -> consumer -> Transcripts stream -> sentiment,
a real WebSocket through the gateway emulator with the template's authorizer, @connections pushes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from connect_zendesk.adapters.connections_table import DynamoConnections, PanelConnection
from connect_zendesk.realtime.agent_notes import note_attribute, notes_key
from connect_zendesk_local.cfn_template import PROJECT_ROOT
from connect_zendesk_local.contact_lens_events import call_records, lens_record
from connect_zendesk_local.panel_client import PanelClient, panel_grant, put_records
from connect_zendesk_local.stack import LocalStack


def new_contact() -> str:
    return str(uuid.uuid4())


def contact_item(stack: LocalStack, contact_id: str) -> dict[str, Any]:
    table = stack.template.physical["ContactsTable"].ref
    return (
        stack.client("dynamodb")
        .get_item(TableName=table, Key={"contactId": {"S": contact_id}})
        .get("Item", {})
    )


def test_a_call_flows_from_kinesis_to_the_panel_with_sentiment_and_the_alert(stack: LocalStack) -> None:
    assert stack.event_sources is not None
    contact_id = new_contact()
    panel = PanelClient.for_contact(stack, contact_id).connect()
    try:
        put_records(stack, list(call_records(contact_id)))

        first_partial = panel.wait_for(lambda m: m["type"] == "partial")
        panel.wait_for(lambda m: m["type"] == "segment" and m["speaker"] == "CUSTOMER")
        alert = panel.wait_for(lambda m: m["type"] == "alert")
        panel.wait_for(lambda m: m["type"] == "status" and m["transcriptStatus"] == "COMPLETED")
        stack.event_sources.drain()
    finally:
        panel.close()

    assert first_partial.message["speaker"] == "AGENT"
    assert alert.message["streak"] >= 3
    record = contact_item(stack, contact_id)
    assert record["transcriptStatus"] == {"S": "COMPLETED"}
    assert set(record["categories"]["SS"]) == {"PrinterIssue", "EscalationRisk"}
    assert record["sentiment"]["M"]["CUSTOMER"]["M"]["counts"]["M"]["NEGATIVE"] == {"N": "4"}


def test_a_stale_connection_answers_410_and_is_removed(stack: LocalStack) -> None:
    assert stack.event_sources is not None
    contact_id = new_contact()
    connections = DynamoConnections(stack.template.physical["ConnectionsTable"].ref)
    connections.add(
        PanelConnection("closedLongAgo=", contact_id, "a", int(time.time()) + 600), connected_at="x"
    )

    put_records(stack, [lens_record(contact_id, "STARTED")])
    stack.event_sources.drain()

    assert connections.for_contact(contact_id, time.time()) == []


def test_a_poison_record_ends_on_the_failure_queue_and_the_stream_goes_on(stack: LocalStack) -> None:
    assert stack.event_sources is not None
    contact_id = new_contact()
    kinesis = stack.client("kinesis")
    stream = stack.template.physical["TranscriptStream"].ref
    kinesis.put_record(StreamName=stream, Data=b"not a Contact Lens record", PartitionKey=contact_id)
    put_records(stack, [lens_record(contact_id, "COMPLETED")])

    stack.event_sources.drain()

    messages = stack.client("sqs").receive_message(
        QueueUrl=stack.template.physical["RealtimeFailureQueue"].ref
    )["Messages"]
    assert json.loads(messages[0]["Body"])["KinesisBatchInfo"]["streamArn"].endswith(stream)
    assert contact_item(stack, contact_id)["transcriptStatus"] == {"S": "COMPLETED"}


def test_a_record_nested_100000_deep_fails_alone_and_the_stream_goes_on(stack: LocalStack) -> None:
    # Given a Kinesis record nested 100,000 deep (json.loads: RecursionError) between good records
    assert stack.event_sources is not None
    contact_id = new_contact()
    kinesis = stack.client("kinesis")
    stream = stack.template.physical["TranscriptStream"].ref
    put_records(stack, [lens_record(contact_id, "STARTED")])
    deep = (
        b'{"ContactId": "x", "EventType": "SEGMENTS", "Segments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    kinesis.put_record(StreamName=stream, Data=deep, PartitionKey=contact_id)
    put_records(stack, [lens_record(contact_id, "COMPLETED")])

    stack.event_sources.drain()

    # Then that record alone is described on the failure queue, and the records after it are stored
    messages = stack.client("sqs").receive_message(
        QueueUrl=stack.template.physical["RealtimeFailureQueue"].ref, MaxNumberOfMessages=10
    )["Messages"]
    assert [json.loads(m["Body"])["KinesisBatchInfo"]["batchSize"] for m in messages] == [1]
    assert contact_item(stack, contact_id)["transcriptStatus"] == {"S": "COMPLETED"}


def test_hostile_panel_frames_get_an_error_frame_and_the_socket_keeps_working(stack: LocalStack) -> None:
    assert stack.gateway is not None
    contact_id = new_contact()
    panel = PanelClient.for_contact(stack, contact_id).connect()
    try:
        panel.wait_for(lambda m: m["type"] == "snapshot")
        panel.send_text('{"action": "saveNote", "text": ' + "[" * 100_000 + "]" * 100_000 + "}")
        deep = panel.wait_for(lambda m: m["type"] == "error")
        panel.send_text('{"action": "saveNote", "noteId": "note-nan-00001", "text": NaN}')
        not_finite = panel.wait_for(lambda m: m["type"] == "error" and m is not deep.message)
        panel.send({"action": "saveNote", "noteId": "note-after-hostile", "text": "still here"})
        note = panel.wait_for(lambda m: m["type"] == "note")
    finally:
        panel.close()

    assert (deep.message["code"], not_finite.message["code"]) == ("InvalidMessage", "InvalidMessage")
    assert note.message["text"] == "still here"
    notes = contact_item(stack, notes_key(contact_id))
    assert [notes[name]["M"]["text"] for name in notes if name.startswith(note_attribute(""))] == [
        {"S": "still here"}
    ]


def handshake_status(url: str) -> int:
    import asyncio

    async def attempt() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                socket = await session.ws_connect(url)
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status
            await socket.close()
            return 101

    return asyncio.run(attempt())


def test_the_authorizer_guards_the_handshake(stack: LocalStack) -> None:
    assert stack.gateway is not None
    contact_id = new_contact()
    grant = panel_grant(stack, contact_id)
    base = grant["websocketUrl"]

    assert handshake_status(f"{base}?contactId={contact_id}&token={grant['token']}") == 101
    assert handshake_status(f"{base}?contactId={contact_id}") == 401  # no identity source: no Lambda call
    assert handshake_status(f"{base}?contactId={contact_id}&token={grant['token'][:-4]}AAAA") == 403
    assert handshake_status(f"{base}?contactId={new_contact()}&token={grant['token']}") == 403


def test_notes_are_saved_over_the_socket_and_management_calls_work(stack: LocalStack) -> None:
    assert stack.gateway is not None
    contact_id = new_contact()
    panel = PanelClient.for_contact(stack, contact_id).connect()
    try:
        panel.wait_for(lambda m: m["type"] == "snapshot")
        panel.send({"action": "saveNote", "noteId": "note-integration-1", "text": "Refund approved"})
        note = panel.wait_for(lambda m: m["type"] == "note")
        panel.send({"action": "dance"})
        error = panel.wait_for(lambda m: m["type"] == "error")
        management = stack.client("apigatewaymanagementapi")
    finally:
        panel.close()

    assert note.message["text"] == "Refund approved"
    assert error.message["code"] == "UnknownAction"
    stored = contact_item(stack, notes_key(contact_id))[note_attribute(note.message["noteId"])]
    assert stored["M"]["text"] == {"S": "Refund approved"}
    assert management is not None


def test_the_management_api_gets_deletes_and_answers_gone(stack: LocalStack) -> None:
    import boto3
    from botocore.exceptions import ClientError

    assert stack.gateway is not None
    contact_id = new_contact()
    panel = PanelClient.for_contact(stack, contact_id).connect()
    panel.wait_for(lambda m: m["type"] == "snapshot")
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.gateway.management_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    (connection_id,) = stack.gateway.connection_ids()
    try:
        assert management.get_connection(ConnectionId=connection_id)["Identity"]["SourceIp"] == "127.0.0.1"
        management.delete_connection(ConnectionId=connection_id)
        deadline = time.monotonic() + 5
        while stack.gateway.connection_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(ClientError, match="GoneException"):
            management.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    finally:
        panel.close()
    assert ("$disconnect", connection_id) in stack.gateway.events


EVENT_FILES = sorted(
    path
    for name in ("transcription_consumer", "sentiment", "agent_socket", "panel_authorizer", "panel_token")
    for path in (PROJECT_ROOT / "events" / name).glob("*.json")
)


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_event_runs_on_the_local_stack(stack: LocalStack, path: Path) -> None:
    answer = stack.invoke(path.parent.name, json.loads(path.read_text()))

    if path.parent.name in {"transcription_consumer", "sentiment"}:
        failed = answer["batchItemFailures"]
        assert len(failed) == (1 if path.name == "poison_record.json" else 0)
    elif path.parent.name == "panel_authorizer":
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    elif path.parent.name == "panel_token":
        assert answer["statusCode"] == 401
    else:
        assert answer["statusCode"] == 200


def test_make_invoke_runs_a_new_function_from_a_shell() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "connect_zendesk_local.invoke",
            "transcription_consumer",
            "events/transcription_consumer/lifecycle.json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(result.stdout) == {"batchItemFailures": []}
