"""The sentiment function's throughput against a naive one, on the local stack.

The batch is what the Transcripts table's stream delivers after five calls' Contact Lens records went
through transcription_consumer: every stored final segment as an INSERT with its NEW_IMAGE. The
sentiment function analyses the batch at once, writes the results back in batches, re-aggregates each
contact once and pushes one frame per panel. The naive function, measured in the same run on the same
stack with the same analyser, does it one record at a time: analyse, UpdateItem the segment, query the
contact's segments to re-aggregate, UpdateItem the contact, post to each panel. Both leave the same
items and the panels see the same sentiment. Rounds are interleaved (replays are idempotent) and the
row reports medians; moto's per-item cost floors both sides, as for the consumer.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from connect_zendesk.adapters.dynamo import from_item, to_item
from connect_zendesk.realtime.analysis import Document, LocalAnalyser
from connect_zendesk.realtime.sentiment import AGGREGATE_ATTRIBUTES, aggregate
from connect_zendesk_local.contact_lens_events import call_records, kinesis_event
from connect_zendesk_local.panel_client import PanelClient
from connect_zendesk_local.stack import LocalStack, function_output_to

from bench.report import Row, latency_row, median_ms

CALLS = 5
ROUNDS = 15
THROUGHPUT_BUDGET = 0.5  # at least twice the naive function's speed
# A stream batch's sentiment should reach the agent's panel within two seconds of the segments: a
# rising negative streak is shown while the agent can still react to it.
PANEL_FRESHNESS_SECONDS = 2.0
BATCH_LATENCY_SHARE = 1.0


def run(stack: LocalStack) -> list[Row]:
    assert stack.event_sources is not None
    with function_output_to(io.StringIO()):
        with stack.event_sources.paused():
            rows = _measure(stack)
        stack.event_sources.drain(timeout=300)  # the write-backs' stream records, before the next benchmark
    return rows


def _measure(stack: LocalStack) -> list[Row]:
    contacts = [str(uuid.uuid4()) for _ in range(CALLS)]
    panels = [PanelClient.for_contact(stack, contact).connect() for contact in contacts]
    try:
        event = _stream_batch(stack, contacts)
        naive = _NaiveSentiment(stack)
        stack.invoke("sentiment", event)  # warm: imports, clients, the lexicon
        naive.process(event)
        batched, slow = [], []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            answer = stack.invoke("sentiment", event)
            batched.append(time.perf_counter() - started)
            assert answer == {"batchItemFailures": []}, answer
            started = time.perf_counter()
            naive.process(event)
            slow.append(time.perf_counter() - started)
    finally:
        for panel in panels:
            panel.close()
    fast_ms, slow_ms = median_ms(batched), median_ms(slow)
    size = len(event["Records"])
    return [
        Row(
            f"sentiment throughput, {size}-record stream batch",
            f"{fast_ms:.0f} ms vs {slow_ms:.0f} ms ({slow_ms / fast_ms:.1f}x faster)",
            fast_ms / slow_ms,
            THROUGHPUT_BUDGET,
            f"naive sentiment (one record at a time), medians of {ROUNDS} interleaved rounds",
        ),
        latency_row(
            f"warm sentiment, {size}-record stream batch",
            batched,
            PANEL_FRESHNESS_SECONDS,
            BATCH_LATENCY_SHARE,
            f"{PANEL_FRESHNESS_SECONDS:.0f} s for sentiment to reach the panel",
        ),
    ]


def _stream_batch(stack: LocalStack, contacts: list[str]) -> dict[str, Any]:
    """Five calls through the consumer, then their stored segments as the table's stream delivers them."""
    per_call = [list(call_records(contact)) for contact in contacts]
    records = [record for group in zip(*per_call, strict=False) for record in group]
    answer = stack.invoke("transcription_consumer", kinesis_event(records))
    assert answer == {"batchItemFailures": []}, answer
    table = stack.template.physical["TranscriptsTable"]
    dynamodb = stack.client("dynamodb")
    items = [
        item
        for contact in contacts
        for item in dynamodb.query(
            TableName=table.ref,
            KeyConditionExpression="contactId = :c",
            ExpressionAttributeValues={":c": {"S": contact}},
        )["Items"]
    ]
    items.sort(key=lambda item: item.get("observedAt", {}).get("N", "0"))
    now = int(datetime.now(UTC).timestamp())
    return {
        "Records": [
            {
                "eventID": str(n),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": now,
                    "Keys": {"contactId": item["contactId"], "position": item["position"]},
                    "NewImage": item,
                    "SequenceNumber": f"{n + 1:021d}",
                    "SizeBytes": len(json.dumps(item)),
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": f"{table.attributes['Arn']}/stream/bench",
            }
            for n, item in enumerate(items)
        ]
    }


class _NaiveSentiment:
    """The sentiment step written naively: every record alone, from analysis to the panel."""

    def __init__(self, stack: LocalStack) -> None:
        assert stack.gateway is not None
        self._dynamodb = stack.client("dynamodb")
        self._analyser = LocalAnalyser()
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
            image = from_item(record["dynamodb"]["NewImage"])
            contact_id = str(image["contactId"])
            wants_sentiment = not image.get("sentiment")
            document = Document(str(image["text"]), str(image["language"]), want_sentiment=wants_sentiment)
            (result,) = self._analyser.analyse([document])
            phrases = [{"text": text, "score": str(round(score, 4))} for text, score in result.key_phrases]
            self._dynamodb.update_item(
                TableName=self._transcripts,
                Key={"contactId": {"S": contact_id}, "position": {"S": str(image["position"])}},
                UpdateExpression="SET analyzedAt = :at, analysisBackend = :b, keyPhrases = :k",
                ExpressionAttributeValues=to_item(
                    {":at": datetime.now(UTC).isoformat(), ":b": "local", ":k": phrases}
                ),
            )
            segments = self._dynamodb.query(
                TableName=self._transcripts,
                KeyConditionExpression="contactId = :c",
                ExpressionAttributeValues={":c": {"S": contact_id}},
                ProjectionExpression=", ".join(f"#a{i}" for i in range(len(AGGREGATE_ATTRIBUTES))),
                ExpressionAttributeNames={f"#a{i}": name for i, name in enumerate(AGGREGATE_ATTRIBUTES)},
            )["Items"]
            result_aggregate = aggregate([from_item(item) for item in segments])
            self._dynamodb.update_item(
                TableName=self._contacts,
                Key={"contactId": {"S": contact_id}},
                UpdateExpression="SET sentiment = :s",
                ExpressionAttributeValues=to_item({":s": _decimals(result_aggregate.speakers)}),
            )
            self._post(contact_id, {"type": "sentiment", "speakers": result_aggregate.speakers})

    def _post(self, contact_id: str, message: dict[str, Any]) -> None:
        connections = self._dynamodb.query(
            TableName=self._connections,
            IndexName="ByContact",
            KeyConditionExpression="contactId = :c",
            ExpressionAttributeValues={":c": {"S": contact_id}},
        )["Items"]
        for connection in connections:
            data = json.dumps({"v": 1, "contactId": contact_id, "messages": [message]}, default=str).encode()
            self._management.post_to_connection(ConnectionId=connection["connectionId"]["S"], Data=data)


def _decimals(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str), parse_float=Decimal)
