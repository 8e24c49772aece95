"""Warm latency of the functions no other benchmark times: start_streaming, the panel's token, its
WebSocket authorizer and routes, the connect-time ticket step, the top bar's recording action, the
metering and reconciliation runs, and kvs_transcriber over the demo call.

Each is invoked on the local stack with the events its caller sends (a Zendesk-signed token request,
the authorizer's REQUEST event with a granted token, the routes' events with the authorizer context)
and the answer is checked, so a fast refusal cannot pass for a fast answer. The ratio is p99 over the
function's own Lambda timeout (a tenth or less on loopback), except for start_streaming, a
contact-flow step held to the flow's time budget, and kvs_transcriber, held to the length of the call.
"""

from __future__ import annotations

import copy
import io
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from connect_zendesk.realtime.signed_tokens import ZENDESK_JWT_AUDIENCE, sign_zendesk_jwt
from connect_zendesk.settings import Settings
from connect_zendesk_local.connect_agents import answer_call, sample_agent_arn
from connect_zendesk_local.connect_events import load_event
from connect_zendesk_local.kvs_fixtures import missing_media_tools
from connect_zendesk_local.panel_client import panel_grant
from connect_zendesk_local.stack import LocalStack, function_output_to
from connect_zendesk_local.zendesk_app import (
    DEMO_AGENT_ID,
    app_shared_secret,
    http_api_event,
    signed_token_request,
)

from bench.report import Row, latency_row

SAMPLES = 100  # p99 is the second-slowest sample
KVS_RUNS = 5
LATENCY_SHARE = 0.1
KVS_REAL_TIME_SHARE = 0.5  # a run must take at most half the call's duration (with the scripted Transcribe)
DEMO_CALL_SECONDS = 15.0  # the demo call's KVS stream: 15 one-second fragments


def run(stack: LocalStack) -> list[Row]:
    with function_output_to(io.StringIO()):
        rows = [
            _start_streaming_row(stack),
            _timeout_row(stack, "panel_token", "token for a Zendesk-signed request", _panel_token(stack)),
            _timeout_row(stack, "panel_authorizer", "granted token, Allow", _panel_authorizer(stack)),
            _timeout_row(stack, "agent_socket", "$connect route", _agent_socket(stack, "connect.json")),
            _timeout_row(stack, "agent_socket", "sync route", _agent_socket(stack, "sync.json")),
            _timeout_row(stack, "agent_connected", "new leg of an unknown caller", _agent_connected(stack)),
            _timeout_row(stack, "agent_actions", "pause recording", _agent_actions(stack)),
            _timeout_row(stack, "resolution_metering", "scheduled run", _metering(stack)),
            _timeout_row(stack, "post_call_reconciliation", "scheduled run", _reconciliation(stack)),
        ]
        kvs = _kvs_transcriber_row(stack)
    return rows if kvs is None else [*rows, kvs]


def _timed(work: Callable[[], None], samples: int = SAMPLES) -> list[float]:
    work()  # warm: imports, clients, secrets
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        work()
        durations.append(time.perf_counter() - started)
    return durations


def _timeout_row(stack: LocalStack, function: str, case: str, work: Callable[[], None]) -> Row:
    timeout = stack.template.function(function).timeout
    return latency_row(
        f"warm {function}, {case}", _timed(work), timeout, LATENCY_SHARE, f"{timeout} s Lambda timeout"
    )


def _expect(condition: bool, answer: Any) -> None:
    if not condition:
        raise AssertionError(f"unexpected answer: {answer!r}")


# ---------------------------------------------------------------------------- start_streaming
def _start_streaming_row(stack: LocalStack) -> Row:
    """A voice contact with a media stream: the step queues kvs_transcriber (Lambda's asynchronous
    Invoke API on loopback) and answers. The queued run reads a stream the local KVS does not hold and
    ends at once; it is awaited between samples, outside the timed part."""
    assert stack.kvs is not None
    lambda_api = stack.kvs.lambda_api
    budget = Settings.from_env(
        stack.template.function("start_streaming").environment
    ).flow_time_budget_seconds
    template = load_event("start_streaming/voice_call.json")

    def one() -> float:
        event = copy.deepcopy(template)
        contact = event["Details"]["ContactData"]
        contact["ContactId"] = contact["InitialContactId"] = str(uuid.uuid4())
        audio = contact["MediaStreams"]["Customer"]["Audio"]
        audio["StreamARN"] = audio["StreamARN"].replace("demo-contact", f"bench-{uuid.uuid4().hex[:8]}")
        started = time.perf_counter()
        answer = stack.invoke("start_streaming", event)
        elapsed = time.perf_counter() - started
        _expect(answer.get("lambdaResult") == "Success", answer)
        lambda_api.wait_idle(timeout=30)
        return elapsed

    one()
    durations = [one() for _ in range(SAMPLES)]
    return latency_row(
        "warm start_streaming, voice call", durations, budget, LATENCY_SHARE, f"time budget {budget:.1f} s"
    )


# ---------------------------------------------------------------------------- agent side panel
def _panel_token(stack: LocalStack) -> Callable[[], None]:
    contact_id = str(uuid.uuid4())
    answer_call(stack, contact_id)  # a token goes only to the agent agent_connected recorded

    def work() -> None:
        answer = stack.invoke("panel_token", signed_token_request(stack.template, stack.client, contact_id))
        _expect(answer.get("statusCode") == 200, answer)

    return work


def _panel_authorizer(stack: LocalStack) -> Callable[[], None]:
    contact_id = str(uuid.uuid4())
    grant = panel_grant(stack, contact_id)
    event = load_event("panel_authorizer/forged_token.json")
    event["queryStringParameters"] = {"contactId": contact_id, "token": grant["token"]}

    def work() -> None:
        answer = stack.invoke("panel_authorizer", event)
        _expect(answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer)

    return work


def _agent_socket(stack: LocalStack, sample: str) -> Callable[[], None]:
    event = load_event(f"agent_socket/{sample}")
    event["requestContext"]["authorizer"]["contactId"] = str(uuid.uuid4())
    event["requestContext"]["authorizer"]["tokenExpiresAt"] = str(int(time.time()) + 3600)

    def work() -> None:
        event["requestContext"]["connectionId"] = uuid.uuid4().hex
        answer = stack.invoke("agent_socket", event)
        _expect(answer.get("statusCode") == 200, answer)

    return work


def _agent_connected(stack: LocalStack) -> Callable[[], None]:
    """A new contact leg each time (a leg already done is skipped and would time nothing)."""
    sample = load_event("agent_connected/connected_to_agent.json")
    envelope = json.loads(sample["Records"][0]["body"])
    sample_contact = envelope["detail"]["contactId"]

    def work() -> None:
        contact_id = str(uuid.uuid4())
        body = json.dumps(envelope).replace(sample_contact, contact_id)
        event = {"Records": [{**sample["Records"][0], "messageId": uuid.uuid4().hex, "body": body}]}
        answer = stack.invoke("agent_connected", event)
        _expect(answer == {"batchItemFailures": []}, answer)

    return work


def _agent_actions(stack: LocalStack) -> Callable[[], None]:
    assert stack.connect is not None, "the local stack runs the Connect emulator"
    contact_id = str(uuid.uuid4())
    instance_id = sample_agent_arn().split("instance/", 1)[1].split("/", 1)[0]
    contact = {"Id": contact_id, "InitialContactId": contact_id, "Channel": "VOICE"}
    stack.connect.put_contact(instance_id, contact)
    answer_call(stack, contact_id)
    secret = app_shared_secret(stack.template, stack.client)
    issuer = f"https://{stack.template.parameters['ZendeskSubdomain']}.zendesk.com"

    def work() -> None:
        now = int(time.time())
        claims = {"iss": issuer, "aud": ZENDESK_JWT_AUDIENCE, "sub": DEMO_AGENT_ID, "contact_id": contact_id}
        token = sign_zendesk_jwt({**claims, "iat": now, "exp": now + 120}, secret)
        body = {"contactId": contact_id, "action": "suspend"}
        event = http_api_event(body, {"Authorization": f"Bearer {token}"}, path="/recording")
        answer = stack.invoke("agent_actions", event)
        _expect(answer.get("statusCode") == 200, answer)

    return work


# ---------------------------------------------------------------------------- after the call
def _metering(stack: LocalStack) -> Callable[[], None]:
    event = load_event("resolution_metering/scheduled.json")

    def work() -> None:
        answer = stack.invoke("resolution_metering", event)
        _expect("automated" in answer, answer)

    return work


def _reconciliation(stack: LocalStack) -> Callable[[], None]:
    event = load_event("post_call_reconciliation/scheduled.json")

    def work() -> None:
        answer = stack.invoke("post_call_reconciliation", event)
        _expect("reconciled" in answer, answer)

    return work


# ---------------------------------------------------------------------------- KVS audio path
def _kvs_transcriber_row(stack: LocalStack) -> Row | None:
    """The demo call (15 s of audio, four utterances) through kvs_transcriber directly, media served as
    fast as GetMedia can (the scripted Transcribe stand-in listens to the audio it is sent)."""
    if missing_media_tools():
        print(f"  kvs_transcriber skipped: {', '.join(missing_media_tools())} not installed")
        return None
    event = load_event("kvs_transcriber/demo_call.json")

    def work() -> None:
        job = {**event, "runId": str(uuid.uuid4())}
        answer = stack.invoke("kvs_transcriber", job)
        _expect(answer.get("status") == "ended", answer)

    return latency_row(
        "warm kvs_transcriber, 15 s demo call",
        _timed(work, KVS_RUNS),
        DEMO_CALL_SECONDS,
        KVS_REAL_TIME_SHARE,
        f"the call's {DEMO_CALL_SECONDS:.0f} s of audio",
    )
