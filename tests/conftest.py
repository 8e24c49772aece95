"""Fixtures shared by every test layer.

Unit tests run against moto's in-process `mock_aws` with tables created from template.yaml; they
never open a socket. Integration and e2e tests start the local stack (moto server and the Zendesk
emulator on loopback) and talk to it over real HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from connect_zendesk.services import reset_caches
from connect_zendesk_local.aws_resources import provision
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.kvs_fixtures import DEMO_SCRIPT, CallMedia, CallScript, Utterance, build_call
from connect_zendesk_local.lambda_context import LocalLambdaContext
from hypothesis import settings
from moto import mock_aws
from support import require_media_tools

# `make test` is a gate: property tests and fuzzing see the same examples on every run, so a red CI
# is reproducible. HYPOTHESIS_PROFILE=explore draws new ones (a fuzzing campaign); whatever it finds
# becomes a focused unit test.
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))

UNIT_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "connect-zendesk",
    "POWERTOOLS_METRICS_NAMESPACE": "ConnectZendesk",
}


# What a local stack sets for the KVS audio path (connect_zendesk_local.kvs_local.LocalKvs.environment).
LOCAL_KVS_ENV = (
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_KINESIS_VIDEO",
    "TRANSCRIBE_BACKEND",
    "TRANSCRIBE_SCRIPT",
)


@pytest.fixture(autouse=True)
def _isolated_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with the environment of a fresh Lambda container and no cached clients."""
    for name in (
        "AWS_ENDPOINT_URL",
        "ZENPY_FORCE_NETLOC",
        "ZENPY_FORCE_SCHEME",
        "AWS_PROFILE",
        *LOCAL_KVS_ENV,
        "AWS_ENDPOINT_URL_CONNECT",  # the local stack's Connect emulator
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in UNIT_ENV.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def template() -> Template:
    return Template.from_file(parameters={"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"})


@pytest.fixture
def aws(template: Template) -> Iterator[Template]:
    """moto's in-process AWS with the template's tables and secret; the template knows their names."""
    with mock_aws():
        provision(
            template,
            lambda service: boto3.client(service, region_name="us-east-1"),
            secret_values={"ZendeskApiTokenSecret": {"api_token": "unit-test-token"}},
        )
        yield template


@pytest.fixture
def function_env(aws: Template, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The caller_lookup function's template environment, applied to this process."""
    env = aws.function("caller_lookup").environment
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="test-function", timeout_seconds=8)


# ---------------------------------------------------------------------------- KVS audio path
@pytest.fixture(scope="session")
def demo_call(tmp_path_factory: pytest.TempPathFactory) -> CallMedia:
    """The demo call, spoken by espeak-ng and muxed by ffmpeg in Connect's fragment layout (once per run)."""
    require_media_tools()
    return build_call(DEMO_SCRIPT, tmp_path_factory.mktemp("demo-call"))


@pytest.fixture(scope="session")
def long_call(tmp_path_factory: pytest.TempPathFactory) -> CallMedia:
    """A two-minute call of 24 alternating lines, for continuations across several invocations."""
    require_media_tools()
    return build_call(LONG_SCRIPT, tmp_path_factory.mktemp("long-call"))


LONG_SCRIPT = CallScript(
    contact_id="0c0ffee0-0000-4000-8000-00000000a11d",
    utterances=tuple(
        Utterance(
            "CUSTOMER" if index % 2 else "AGENT",
            f"Line {index + 1}, about order {1000 + index}.",
            500 + index * 5000,
        )
        for index in range(24)
    ),
)
