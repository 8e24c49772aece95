"""template.yaml's KVS audio path: what the transcriber's code relies on being deployed."""

from __future__ import annotations

from typing import Any

from connect_zendesk_local.cfn_template import PhysicalResource, Template, load_template

DOCUMENT = load_template()
RESOURCES: dict[str, dict[str, Any]] = DOCUMENT["Resources"]
PARAMETERS: dict[str, dict[str, Any]] = DOCUMENT["Parameters"]
TRANSCRIBER = RESOURCES["KvsTranscriberFunction"]["Properties"]
REQUIRED = {"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"}


def statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in properties.get("Policies", []):
        for item in policy["Statement"]:
            found.append(item["Fn::If"][1] if "Fn::If" in item else item)
    return found


def test_failed_asynchronous_invocations_land_in_a_queue_after_two_retries() -> None:
    config = TRANSCRIBER["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    destination = config["DestinationConfig"]["OnFailure"]
    assert destination["Type"] == "SQS"
    queue = destination["Destination"]["Fn::GetAtt"][0]
    assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"
    assert RESOURCES[queue]["Properties"]["SqsManagedSseEnabled"] is True


def test_the_invocation_limit_always_leaves_time_to_read_before_the_margin() -> None:
    assert TRANSCRIBER["Timeout"] == {"Ref": "KvsMaxInvocationSeconds"}
    longest_margin = PARAMETERS["KvsContinuationMarginSeconds"]["MaxValue"]
    longest_window = PARAMETERS["KvsSeamWindowSeconds"]["MaxValue"]
    assert longest_margin + longest_window < PARAMETERS["KvsMaxInvocationSeconds"]["MinValue"]
    assert PARAMETERS["KvsMaxInvocationSeconds"]["MaxValue"] == 900  # Lambda's limit


def test_the_transcriber_reads_only_the_instances_streams_and_invokes_only_itself() -> None:
    by_sid = {s["Sid"]: s for s in statements(TRANSCRIBER)}
    assert by_sid["ReadCallAudio"]["Action"] == ["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetMedia"]
    assert "stream/${KvsStreamPrefix}*" in by_sid["ReadCallAudio"]["Resource"]["Fn::Sub"]
    assert by_sid["StoreRecordings"]["Resource"] == {"Fn::Sub": "${RecordingsBucket.Arn}/*"}
    assert by_sid["DecryptCallAudio"]["Condition"]["StringEquals"]["kms:ViaService"]
    continue_policy = RESOURCES["KvsTranscriberContinuePolicy"]["Properties"]
    assert continue_policy["Roles"] == [{"Ref": "KvsTranscriberFunctionRole"}]
    (statement,) = continue_policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["lambda:InvokeFunction"]
    assert statement["Resource"] == {"Fn::GetAtt": ["KvsTranscriberFunction", "Arn"]}
    start = statements(RESOURCES["StartStreamingFunction"]["Properties"])
    assert [s["Resource"] for s in start] == [{"Fn::GetAtt": ["KvsTranscriberFunction", "Arn"]}]


def test_recordings_exist_only_when_asked_for() -> None:
    without = Template(DOCUMENT, parameters=REQUIRED)
    with_recordings = Template(DOCUMENT, parameters={**REQUIRED, "KvsRecordCalls": "true"})
    assert "RecordingsBucket" not in without.resources_of_type("AWS::S3::Bucket")
    assert "RecordingsBucket" in with_recordings.resources_of_type("AWS::S3::Bucket")
    assert "RecordingsBucketPolicy" in with_recordings.resources_of_type("AWS::S3::BucketPolicy")
    bucket = RESOURCES["RecordingsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    rule = bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert rule["ExpirationInDays"] == {"Ref": "RecordingRetentionDays"}


def test_the_transcriber_environment_matches_its_settings() -> None:
    from connect_zendesk.settings import Settings

    template = Template(DOCUMENT, parameters=REQUIRED)
    template.physical["ContactsTable"] = PhysicalResource("contacts")
    template.physical["TranscriptsTable"] = PhysicalResource("transcripts")
    template.physical["ConnectionsTable"] = PhysicalResource("connections")
    template.physical["PanelWebSocketApi"] = PhysicalResource("api", {"ApiEndpoint": "wss://api.example"})
    environment = template.function("kvs_transcriber").environment
    kvs = Settings.from_env(environment).kvs
    assert (kvs.recordings_bucket, kvs.max_invocation_seconds, kvs.default_language) == ("", 900, "en-US")
    assert environment["TRANSCRIBE_PII_REDACTION"] == "false"
    # its segments go where Contact Lens segments go
    settings = Settings.from_env(environment)
    assert (settings.transcripts_table, settings.connections_table) == ("transcripts", "connections")
    assert settings.panel_socket_endpoint == "wss://api.example"
