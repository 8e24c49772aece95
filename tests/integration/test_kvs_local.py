"""The KVS audio path on the local stack, over real HTTP: Lambda's Invoke API, GetDataEndpoint/GetMedia
served from espeak-ng + ffmpeg media, boto3 clients, the Contacts table on moto server."""

from __future__ import annotations

import itertools
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from connect_zendesk.kvs.fragments import read_fragments
from connect_zendesk_local.connect_events import load_event
from connect_zendesk_local.kvs_local import DEMO_STREAM_ARN
from connect_zendesk_local.stack import LocalStack, function_output_to
from support import dynamo_item, require_media_tools

pytestmark = pytest.mark.integration


@pytest.fixture
def kvs_stack(stack: LocalStack) -> LocalStack:
    require_media_tools()
    assert stack.kvs is not None
    return stack


def transcript(stack: LocalStack, contact_id: str) -> list[dict[str, Any]]:
    return stack.transcript(contact_id)


def test_start_streaming_transcribes_the_call_through_the_local_services(kvs_stack: LocalStack) -> None:
    assert kvs_stack.kvs is not None
    event = load_event("start_streaming/voice_call.json")
    contact_id = event["Details"]["ContactData"]["ContactId"]

    response = kvs_stack.invoke("start_streaming", event)
    assert response["lambdaResult"] == "Success"
    assert kvs_stack.kvs.lambda_api.wait_idle(timeout=60)

    (run,) = kvs_stack.kvs.lambda_api.runs
    assert run.function == "KvsTranscriberFunction"
    assert (run.result["status"], run.result["segments"], run.error) == ("ended", 4, "")
    segments = transcript(kvs_stack, contact_id)
    assert [s["speaker"] for s in segments] == ["AGENT", "CUSTOMER", "AGENT", "CUSTOMER"]
    assert segments[1]["text"] == "Hi, my printer went offline again this morning."
    assert all(s["source"] == "kvs" for s in segments)
    item = dynamo_item(kvs_stack.template, "ContactsTable", {"contactId": contact_id})
    assert item is not None
    assert item["transcriptStatus"] == "COMPLETED"
    # GetMedia was asked from Connect's StartFragmentNumber
    media_requests = [r for r in kvs_stack.kvs.media.requests if r["path"] == "/getMedia"]
    audio = event["Details"]["ContactData"]["MediaStreams"]["Customer"]["Audio"]
    assert media_requests[0]["StartSelector"]["AfterFragmentNumber"] == audio["StartFragmentNumber"]


def test_a_call_longer_than_an_invocation_continues_in_a_new_one(kvs_stack: LocalStack) -> None:
    # Given invocations of 6 s (1 s margin, 1 s to find a silence) and audio arriving in real time
    assert kvs_stack.kvs is not None
    kvs_stack.kvs.media.pace = 0.5  # seconds per one-second fragment: twice real time
    limits = {
        "KVS_MAX_INVOCATION_SECONDS": "6",
        "KVS_CONTINUATION_MARGIN_SECONDS": "1",
        "KVS_SEAM_WINDOW_SECONDS": "1",
    }
    spec = kvs_stack.template.function("kvs_transcriber")
    original = dict(spec.environment)
    kvs_stack.template.document["Resources"]["KvsTranscriberFunction"]["Properties"]["Timeout"] = 6
    kvs_stack.template.document["Resources"]["KvsTranscriberFunction"]["Properties"]["Environment"][
        "Variables"
    ].update(limits)
    event = load_event("start_streaming/voice_call.json")
    contact_id = event["Details"]["ContactData"]["ContactId"]
    try:
        kvs_stack.invoke("start_streaming", event)
        assert kvs_stack.kvs.lambda_api.wait_idle(timeout=90)
    finally:
        kvs_stack.kvs.media.pace = 0.0
    statuses = [run.result["status"] for run in kvs_stack.kvs.lambda_api.runs]
    assert statuses[-1] == "ended"
    assert set(statuses[:-1]) == {"continued"}
    assert len(statuses) >= 2
    # Every fragment was read by one invocation or, at a seam, re-read only for its remaining samples
    fragments = sum(run.result["fragments"] for run in kvs_stack.kvs.lambda_api.runs)
    assert 15 <= fragments <= 15 + len(statuses) - 1
    segments = transcript(kvs_stack, contact_id)
    # Four utterances; a seam that found no silence in its 1 s window splits one (never duplicates it)
    assert 4 <= len(segments) <= 4 + len(statuses) - 1
    for speaker in ("AGENT", "CUSTOMER"):
        spans = [(s["beginOffsetMs"], s["endOffsetMs"]) for s in segments if s["speaker"] == speaker]
        assert all(end <= begin for (_, end), (begin, _) in itertools.pairwise(spans)), spans
    assert original["KVS_MAX_INVOCATION_SECONDS"] == "900"


def test_getmedia_serves_fragments_from_the_requested_number(kvs_stack: LocalStack) -> None:
    assert kvs_stack.kvs is not None
    control = boto3.client("kinesisvideo", endpoint_url=kvs_stack.kvs.media.url, region_name="us-east-1")
    endpoint = control.get_data_endpoint(StreamARN=DEMO_STREAM_ARN, APIName="GET_MEDIA")["DataEndpoint"]
    media = boto3.client("kinesis-video-media", endpoint_url=endpoint, region_name="us-east-1")
    all_fragments = kvs_stack.kvs.media.fragments(DEMO_STREAM_ARN)
    assert all_fragments is not None
    start = all_fragments[5].number
    body = media.get_media(
        StreamARN=DEMO_STREAM_ARN,
        StartSelector={"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": start},
    )["Payload"]
    fragments = list(read_fragments(iter(lambda: body.read(4096), b"")))
    assert [f.number for f in fragments] == [f.number for f in all_fragments[5:]]

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        control.get_data_endpoint(StreamARN=DEMO_STREAM_ARN.replace("demo", "nope"), APIName="GET_MEDIA")
    with pytest.raises(ClientError, match="InvalidArgumentException"):
        media.get_media(StreamARN=DEMO_STREAM_ARN, StartSelector={"StartSelectorType": "NOW"})


def test_the_lambda_api_runs_functions_synchronously_too(stack: LocalStack) -> None:
    assert stack.kvs is not None
    client = boto3.client("lambda", endpoint_url=stack.kvs.lambda_api.url, region_name="us-east-1")
    with function_output_to(__import__("io").StringIO()):
        answer = client.invoke(
            FunctionName="arn:aws:lambda:us-east-1:123456789012:function:KvsTranscriberFunction",
            Payload=json.dumps({"not": "a job"}).encode(),
        )
    assert json.loads(answer["Payload"].read())["status"] == "rejected"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")


def test_an_unknown_stream_fails_the_job_without_retries(kvs_stack: LocalStack) -> None:
    assert kvs_stack.kvs is not None
    job = load_event("kvs_transcriber/unknown_stream.json")
    with function_output_to(__import__("io").StringIO()):
        result = kvs_stack.invoke("kvs_transcriber", job)
    assert result["status"] == "failed"
    item = dynamo_item(kvs_stack.template, "ContactsTable", {"contactId": job["contactId"]})
    assert item is not None
    assert item["transcriptStatus"] == "FAILED"
