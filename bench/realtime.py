"""The agent side panel's real-time path on the local stack.

- Consumer throughput: one 100-record Kinesis batch (five calls at once, partials and finals, each
  call watched by an open panel) through transcription_consumer, against a one-request-per-segment
  baseline measured in the same run on the same stack: decode each record, PutItem each final,
  UpdateItem the contact for each lifecycle/category/summary, and post each message to each panel.
  Both write the same items and push the same messages. moto (in its own process) spends about the
  same time per item however it arrives, which floors both sides: the ratio measured here ran from
  8x to 14x on a 2-core machine, so the budget asks for at least 5x (a consumer slipping back to one
  request per segment measures about 1x) and the row reports the median of 15 interleaved rounds.
  The same rounds give the batch's warm latency, p99 against the one second Lambda takes between
  polls of a shard.
- End to end: a final transcript put on the Kinesis stream until the panel's WebSocket client
  receives it (stream poller, consumer, DynamoDB, @connections, WebSocket), against a stated budget
  of one second at p99 (Lambda polls a Kinesis shard about once a second).
"""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from typing import Any

import boto3
from connect_zendesk.adapters.dynamo import to_item
from connect_zendesk.realtime.contact_lens import (
    FinalTranscript,
    MatchedCategories,
    PartialUtterance,
    PostContactSummary,
    decode_record,
)
from connect_zendesk.realtime.transcription import final_segment, partial_view
from connect_zendesk_local.contact_lens_events import call_records, kinesis_event, lens_record, transcript
from connect_zendesk_local.panel_client import PanelClient, put_records
from connect_zendesk_local.stack import LocalStack, function_output_to

from bench.report import Row, latency_row, median_ms

BATCH = 100
CALLS = 5
ROUNDS = 15
E2E_SAMPLES = 100
E2E_PER_CALL = 20
E2E_BUDGET_SECONDS = 1.0
THROUGHPUT_BUDGET = 0.2  # at least 5x the naive consumer's speed (see the docstring)
POLL_INTERVAL_SECONDS = 1.0
BATCH_LATENCY_SHARE = 0.5


def _batch(contacts: list[str]) -> dict[str, Any]:
    per_call = [list(call_records(contact)) for contact in contacts]
    interleaved = [record for group in zip(*per_call, strict=False) for record in group]
    return kinesis_event(interleaved[:BATCH])


def run(stack: LocalStack) -> list[Row]:
    with function_output_to(io.StringIO()):
        return [*_throughput_rows(stack), _end_to_end_row(stack)]


# ---------------------------------------------------------------------------- throughput
def _throughput_rows(stack: LocalStack) -> list[Row]:
    assert stack.event_sources is not None
    with stack.event_sources.paused():  # the consumer alone: its writes must not wake the sentiment function
        return _throughput(stack)


def _throughput(stack: LocalStack) -> list[Row]:
    contacts = [str(uuid.uuid4()) for _ in range(CALLS)]
    panels = [PanelClient.for_contact(stack, contact).connect() for contact in contacts]
    try:
        event = _batch(contacts)
        baseline = _Baseline(stack)
        stack.invoke("transcription_consumer", event)  # warm: imports, clients, secret
        baseline.process(event)
        batched, naive = [], []
        for _ in range(ROUNDS):  # interleaved so machine noise hits both alike; replays are idempotent
            started = time.perf_counter()
            answer = stack.invoke("transcription_consumer", event)
            batched.append(time.perf_counter() - started)
            assert answer == {"batchItemFailures": []}, answer
            started = time.perf_counter()
            baseline.process(event)
            naive.append(time.perf_counter() - started)
    finally:
        for panel in panels:
            panel.close()
    fast, slow = median_ms(batched), median_ms(naive)
    return [
        Row(
            "transcription_consumer throughput, 100-record batch",
            f"{fast:.0f} ms vs {slow:.0f} ms ({slow / fast:.1f}x faster)",
            fast / slow,
            THROUGHPUT_BUDGET,
            f"naive consumer (one request per segment), medians of {ROUNDS} interleaved rounds",
        ),
        latency_row(
            "warm transcription_consumer, 100-record batch",
            batched,
            POLL_INTERVAL_SECONDS,
            BATCH_LATENCY_SHARE,
            f"{POLL_INTERVAL_SECONDS:.0f} s between polls of a shard",
        ),
    ]


class _Baseline:
    """The consumer written naively: one DynamoDB request per segment, one post per message."""

    def __init__(self, stack: LocalStack) -> None:
        assert stack.gateway is not None
        self._stack = stack
        self._dynamodb = stack.client("dynamodb")
        self._management = boto3.session.Session().client(
            "apigatewaymanagementapi",
            endpoint_url=stack.gateway.management_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local stack's dummy credentials
        )
        self._transcripts = stack.template.physical["TranscriptsTable"].ref
        self._contacts = stack.template.physical["ContactsTable"].ref
        self._connections = stack.template.physical["ConnectionsTable"].ref

    def process(self, event: dict[str, Any]) -> None:
        for record in event["Records"]:
            decoded = decode_record(base64.b64decode(record["kinesis"]["data"]))
            arrival = record["kinesis"]["approximateArrivalTimestamp"]
            if decoded.is_lifecycle:
                self._update(decoded.contact_id, "transcriptStatus", {"S": decoded.event_type})
                self._post(decoded.contact_id, {"type": "status", "transcriptStatus": decoded.event_type})
            for segment in decoded.segments:
                if isinstance(segment, PartialUtterance):
                    self._post(decoded.contact_id, partial_view(segment))
                elif isinstance(segment, FinalTranscript):
                    final = final_segment(decoded, segment, arrival)
                    self._dynamodb.put_item(TableName=self._transcripts, Item=to_item(final.to_item(90)))
                    self._post(decoded.contact_id, final.panel_view())
                elif isinstance(segment, MatchedCategories):
                    self._update(decoded.contact_id, "categories", {"SS": list(segment.names)})
                elif isinstance(segment, PostContactSummary):
                    self._update(decoded.contact_id, "postContactSummary", {"S": segment.content})

    def _update(self, contact_id: str, attribute: str, value: dict[str, Any]) -> None:
        self._dynamodb.update_item(
            TableName=self._contacts,
            Key={"contactId": {"S": contact_id}},
            UpdateExpression="SET #a = :v",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":v": value},
        )

    def _post(self, contact_id: str, message: dict[str, Any]) -> None:
        connections = self._dynamodb.query(
            TableName=self._connections,
            IndexName="ByContact",
            KeyConditionExpression="contactId = :c",
            ExpressionAttributeValues={":c": {"S": contact_id}},
        )["Items"]
        for connection in connections:
            data = json.dumps({"v": 1, "contactId": contact_id, "messages": [message]}).encode()
            self._management.post_to_connection(ConnectionId=connection["connectionId"]["S"], Data=data)


# ---------------------------------------------------------------------------- end to end
def _one_call_end_to_end(stack: LocalStack) -> list[float]:
    assert stack.event_sources is not None
    contact = str(uuid.uuid4())
    panel = PanelClient.for_contact(stack, contact).connect()
    delays: list[float] = []
    try:
        panel.wait_for(lambda m: m["type"] == "snapshot")
        for n in range(E2E_PER_CALL + 2):
            segment_id = f"e2e-{n}"
            record = lens_record(
                contact,
                "SEGMENTS",
                [
                    transcript(
                        segment_id, "CUSTOMER", f"sample {n}", n * 1000, n * 1000 + 500, sentiment="NEUTRAL"
                    )
                ],
            )
            (sent,) = put_records(stack, [record])
            received = panel.wait_for(lambda m, s=segment_id: m["type"] == "segment" and m["segmentId"] == s)
            if n >= 2:  # the first records of a call warm the containers
                delays.append(received.at - sent)
            stack.event_sources.drain(timeout=120)  # untimed: the sentiment step catches up between samples
    finally:
        panel.close()
    return delays


def _end_to_end_row(stack: LocalStack) -> Row:
    assert stack.event_sources is not None
    stack.event_sources.drain(timeout=300)  # what the paused throughput rounds left on the streams
    delays: list[float] = []
    while len(delays) < E2E_SAMPLES:  # calls of E2E_PER_CALL segments each, as calls are
        delays += _one_call_end_to_end(stack)
    delays = delays[:E2E_SAMPLES]
    return latency_row(
        "record to panel (end to end)",
        delays,
        E2E_BUDGET_SECONDS,
        1.0,
        f"{E2E_BUDGET_SECONDS:.0f} s: Kinesis, poller, consumer, DynamoDB, @connections, WebSocket",
    )
