"""Lambda's event source mappings, played locally: Kinesis and DynamoDB streams to their functions.

For each SAM `Kinesis` or `DynamoDB` event in template.yaml a poller reads the stream from moto
(Kinesis GetRecords, DynamoDB Streams GetRecords), builds the event Lambda would send (Kinesis
records with base64 data, sequence numbers and arrival times; DynamoDB stream records with typed
images), invokes the function, and honours its answer as Lambda does with ReportBatchItemFailures:
the batch is retried from the lowest failed sequence number. A record that still fails after
MaximumRetryAttempts (the remaining batch bisected down to that record, as BisectBatchOnFunctionError
does) is described on the OnFailure SQS destination — shard, sequence number, stream ARN, in
Lambda's own failure-record shape — and the shard moves on past it.

The local streams are new and empty when the pollers start, so reading from TRIM_HORIZON is the
same as the template's StartingPosition LATEST and cannot miss a record written right after start.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from connect_zendesk_local.cfn_template import Template

Invoke = Callable[[str, dict[str, Any]], Any]
_serializer = TypeSerializer()


@dataclass
class EventSourceMapping:
    function: str  # logical id
    kind: str  # "Kinesis" or "DynamoDB"
    source_arn: str
    batch_size: int
    max_retries: int
    failure_queue_arn: str = ""
    reports_item_failures: bool = True


def mappings_from_template(template: Template) -> list[EventSourceMapping]:
    found: list[EventSourceMapping] = []
    for logical_id, body in template.resources_of_type("AWS::Serverless::Function").items():
        for event in (body.get("Properties", {}).get("Events") or {}).values():
            kind = event.get("Type")
            if kind not in ("Kinesis", "DynamoDB"):
                continue
            props = template.resolve(event.get("Properties", {}))
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination", ""
            )
            found.append(
                EventSourceMapping(
                    function=logical_id,
                    kind=kind,
                    source_arn=str(props["Stream"]),
                    batch_size=int(props.get("BatchSize", 100)),
                    max_retries=int(props.get("MaximumRetryAttempts", 0)),
                    failure_queue_arn=str(destination),
                    reports_item_failures="ReportBatchItemFailures"
                    in (props.get("FunctionResponseTypes") or []),
                )
            )
    return found


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)  # fetched, not yet acknowledged
    attempts: int = 0


class StreamPoller:
    """One mapping's poller: fetch, invoke, acknowledge or retry, hand over what keeps failing."""

    def __init__(
        self, mapping: EventSourceMapping, client: Callable[[str], Any], invoke: Invoke, region: str
    ) -> None:
        self.mapping = mapping
        self._client = client
        self._invoke = invoke
        self._region = region
        self._shards: dict[str, _Shard] = {}
        self._discovered = 0.0
        self.invocations = 0
        self.failed_records: list[str] = []  # sequence numbers handed to the failure destination

    # ------------------------------------------------------------------ reading
    def _discover(self) -> None:
        if self._shards and time.monotonic() - self._discovered < 1.0:
            return
        self._discovered = time.monotonic()
        if self.mapping.kind == "Kinesis":
            kinesis = self._client("kinesis")
            name = self.mapping.source_arn.rsplit("/", 1)[-1]
            for shard in kinesis.list_shards(StreamName=name)["Shards"]:
                if shard["ShardId"] not in self._shards:
                    iterator = kinesis.get_shard_iterator(
                        StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                    self._shards[shard["ShardId"]] = _Shard(shard["ShardId"], iterator)
        else:
            streams = self._client("dynamodbstreams")
            description = streams.describe_stream(StreamArn=self.mapping.source_arn)["StreamDescription"]
            for shard in description["Shards"]:
                if shard["ShardId"] not in self._shards:
                    iterator = streams.get_shard_iterator(
                        StreamArn=self.mapping.source_arn,
                        ShardId=shard["ShardId"],
                        ShardIteratorType="TRIM_HORIZON",
                    )["ShardIterator"]
                    self._shards[shard["ShardId"]] = _Shard(shard["ShardId"], iterator)

    def _fetch(self, shard: _Shard) -> None:
        if shard.iterator is None or len(shard.pending) >= self.mapping.batch_size:
            return
        if self.mapping.kind == "Kinesis":
            answer = self._client("kinesis").get_records(
                ShardIterator=shard.iterator, Limit=self.mapping.batch_size
            )
            shard.pending.extend(self._kinesis_record(shard.shard_id, r) for r in answer.get("Records", []))
        else:
            answer = self._client("dynamodbstreams").get_records(
                ShardIterator=shard.iterator, Limit=self.mapping.batch_size
            )
            shard.pending.extend(self._table_record(r) for r in answer.get("Records", []))
        shard.iterator = answer.get("NextShardIterator")

    def _kinesis_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        arrival = record.get("ApproximateArrivalTimestamp")
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": arrival.timestamp()
                if isinstance(arrival, datetime)
                else time.time(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::123456789012:role/{self.mapping.function}Role",
            "awsRegion": self._region,
            "eventSourceARN": self.mapping.source_arn,
        }

    def _table_record(self, record: dict[str, Any]) -> dict[str, Any]:
        body = dict(record["dynamodb"])
        created = body.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            body["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID", uuid.uuid4().hex),
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": body,
            "eventSourceARN": self.mapping.source_arn,
        }

    @staticmethod
    def _sequence(record: dict[str, Any]) -> str:
        return str(
            record["kinesis"]["sequenceNumber"]
            if "kinesis" in record
            else record["dynamodb"]["SequenceNumber"]
        )

    @property
    def pending(self) -> int:
        return sum(len(shard.pending) for shard in self._shards.values())

    # ------------------------------------------------------------------ one round
    def poll_once(self) -> int:
        """Fetch and deliver one batch per shard; the number of records delivered."""
        self._discover()
        delivered = 0
        for shard in self._shards.values():
            self._fetch(shard)
            if shard.pending:
                delivered += self._deliver(shard)
        return delivered

    def _deliver(self, shard: _Shard) -> int:
        batch = shard.pending[: self.mapping.batch_size]
        self.invocations += 1
        try:
            answer = self._invoke(self.mapping.function, {"Records": batch})
            failed = self._failures(answer, batch)
        except Exception:  # noqa: BLE001 - a function error fails the whole batch, as in Lambda
            failed = [self._sequence(batch[0])]
        if not failed:
            del shard.pending[: len(batch)]
            shard.attempts = 0
            return len(batch)
        sequences = [self._sequence(r) for r in batch]
        first = (
            min(sequences.index(s) for s in failed if s in sequences)
            if any(s in sequences for s in failed)
            else 0
        )
        del shard.pending[:first]  # checkpoint before the first failure
        shard.attempts += 1
        if shard.attempts > self.mapping.max_retries:
            # Retries exhausted: bisecting isolates the failing record; its description goes to the
            # failure destination and the shard continues after it.
            poison = shard.pending.pop(0)
            shard.attempts = 0
            self._hand_over(shard.shard_id, poison)
        return first

    def _failures(self, answer: Any, batch: list[dict[str, Any]]) -> list[str]:
        if not self.mapping.reports_item_failures or not isinstance(answer, dict):
            return []
        items = answer.get("batchItemFailures") or []
        identifiers = [str(item.get("itemIdentifier") or "") for item in items if isinstance(item, dict)]
        if any(not identifier for identifier in identifiers):
            return [self._sequence(batch[0])]  # an empty identifier fails the whole batch
        return identifiers

    def _hand_over(self, shard_id: str, record: dict[str, Any]) -> None:
        sequence = self._sequence(record)
        self.failed_records.append(sequence)
        if not self.mapping.failure_queue_arn:
            return
        info_key = "KinesisBatchInfo" if self.mapping.kind == "Kinesis" else "DDBStreamBatchInfo"
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self._region}:123456789012:function:{self.mapping.function}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.mapping.max_retries + 1,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": ""},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            info_key: {
                "shardId": shard_id,
                "startSequenceNumber": sequence,
                "endSequenceNumber": sequence,
                "batchSize": 1,
                "streamArn": self.mapping.source_arn,
            },
        }
        sqs = self._client("sqs")
        name = self.mapping.failure_queue_arn.rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))


class EventSources:
    """Runs every mapping's poller in one background thread; `drain()` waits until all are idle."""

    def __init__(
        self, template: Template, client: Callable[[str], Any], invoke: Invoke, interval: float = 0.05
    ) -> None:
        self.pollers = [
            StreamPoller(m, client, invoke, template.region) for m in mappings_from_template(template)
        ]
        self._interval = interval
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle_rounds = 0
        self.errors: list[str] = []

    def start(self) -> EventSources:
        self._thread = threading.Thread(target=self._run, name="event-sources", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def poller(self, function: str) -> StreamPoller:
        return next(
            p for p in self.pollers if p.mapping.function == function or function in p.mapping.function
        )

    def round(self) -> int:
        with self._lock:
            delivered = 0
            for poller in self.pollers:
                try:
                    delivered += poller.poll_once()
                except Exception as exc:  # noqa: BLE001 - a stopped backend must not kill the thread
                    self.errors.append(f"{poller.mapping.function}: {exc}")
            busy = delivered or any(poller.pending for poller in self.pollers)
            self._idle_rounds = 0 if busy else self._idle_rounds + 1
            return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set() or not self.round():
                self._stop.wait(self._interval)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No polling inside the block (a benchmark invoking a function directly is measured alone)."""
        self._paused.set()
        with self._lock:  # a round in flight finishes first
            pass
        try:
            yield
        finally:
            self._paused.clear()

    def drain(self, timeout: float = 15.0, quiet_rounds: int = 3) -> None:
        """Wait until every stream has been read to its end several rounds in a row.

        The first round runs here: the quiet rounds counted before this call cannot have seen records
        written just before it (by a background invocation, say), and must not end the wait."""
        deadline = time.monotonic() + timeout
        self.round()
        while time.monotonic() < deadline:
            if self._idle_rounds >= quiet_rounds:
                return
            time.sleep(self._interval)
        raise TimeoutError("stream records still flowing after the drain timeout")


def typed_image(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values as a DynamoDB stream image (for tests building table stream events)."""
    return {key: _serializer.serialize(value) for key, value in values.items()}
