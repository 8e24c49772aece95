"""The embedded local stack: moto server and the Zendesk emulator on loopback, resources from template.yaml.

    python -m connect_zendesk_local.stack      # run it in the foreground (Ctrl-C stops it)

While it runs, `make invoke` uses it (it finds .local-stack/stack.json); otherwise each
`make invoke` starts a private stack for the one call.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import boto3
from boto3.dynamodb.types import TypeDeserializer
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from connect_zendesk_local.aws_resources import provision
from connect_zendesk_local.cfn_template import PROJECT_ROOT, PhysicalResource, Template
from connect_zendesk_local.connect_agents import seed_demo_agent
from connect_zendesk_local.connect_emulator import ConnectEmulator
from connect_zendesk_local.event_sources import EventSources
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.kvs_local import LocalKvs
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.self_service_seed import seed_self_service
from connect_zendesk_local.sqs_poller import SqsPoller
from connect_zendesk_local.websocket_gateway import WebSocketGateway, socket_api_from_template
from connect_zendesk_local.zendesk_emulator import FaultConfig, ZendeskEmulator

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per moto request drowns the output

REGION = "us-east-1"
ZENDESK_EMAIL = "agent@example.com"
ZENDESK_TOKEN = "local-demo-token"  # the emulator's token, not a real credential
STATE_FILE = PROJECT_ROOT / ".local-stack" / "stack.json"
SERVICE_LOGGER = "connect-zendesk"  # POWERTOOLS_SERVICE_NAME in the template's Globals
LOCAL_PARAMETERS = {
    "ZendeskSubdomain": "demo",
    "ZendeskEmail": ZENDESK_EMAIL,
    "Environment": "dev",
    "SentimentBackend": "local",  # moto's Comprehend answers canned values
    # The note links to the contact in the Connect admin website of this (made-up) instance.
    "ConnectAccessUrl": "https://demo.my.connect.aws",
    # moto does not implement Comprehend entity detection (see README, "Local stack").
    "AnalyzeEntities": "false",
}


def process_environment(aws_endpoint: str, zendesk_netloc: str) -> dict[str, str]:
    """What a function process needs besides its template environment to talk to the local stack."""
    return {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "ZENPY_FORCE_NETLOC": zendesk_netloc,
        "ZENPY_FORCE_SCHEME": "http",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        "POWERTOOLS_DEV": "false",
    }


class LocalStack:
    def __init__(
        self,
        *,
        faults: FaultConfig | None = None,
        parameters: Mapping[str, str] | None = None,
        zendesk_dataset: dict[str, Any] | None = None,
        aws_in_own_process: bool = False,
    ) -> None:
        self._faults = faults
        self._parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self._dataset = zendesk_dataset
        self._moto: ThreadedMotoServer | None = None
        # The benchmarks run moto in its own process, so AWS's work does not share this process's
        # interpreter lock with the functions, as in AWS where DynamoDB is another machine.
        self._aws_in_own_process = aws_in_own_process
        self._moto_process: subprocess.Popen[bytes] | None = None
        self.zendesk: ZendeskEmulator | None = None
        self.gateway: WebSocketGateway | None = None
        self._clients: dict[str, Any] = {}
        self.event_sources: EventSources | None = None
        self.kvs: LocalKvs | None = None
        self.connect: ConnectEmulator | None = None
        self.template = Template.from_file(parameters=self._parameters, region=REGION)
        self.aws_endpoint = ""
        # Where invocations run: None runs them in this process, one at a time; the chaos run sets a
        # pool of function processes (connect_zendesk_local.lambda_pool), as Lambda's concurrency.
        self.invoker: Callable[[str, Any], Any] | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalStack:
        if self._aws_in_own_process:
            self.aws_endpoint = self._start_moto_process()
        else:
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            self.aws_endpoint = f"http://{host}:{port}"
        # moto keeps its state per process: a stack started after another must not inherit it.
        urllib.request.urlopen(urllib.request.Request(f"{self.aws_endpoint}/moto-api/reset", method="POST"))  # noqa: S310
        self.zendesk = ZendeskEmulator(
            port=0, dataset=self._dataset, faults=self._faults, email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN
        )
        self.zendesk.start()
        # Lambda's Invoke API and KVS media for the KVS audio path (moto implements neither).
        self.kvs = LocalKvs(lambda name, event: invoke_function(self.template, name, event)).start()
        # Amazon Connect's contact APIs (moto implements none): DescribeContact for the reconciliation.
        self.connect = ConnectEmulator().start()
        seed_demo_agent(self.connect)  # agent_connected's DescribeUser
        os.environ.update(self.environment)
        _reset_function_caches()
        self._start_gateway()
        provision(
            self.template, self.client, secret_values={"ZendeskApiTokenSecret": {"api_token": ZENDESK_TOKEN}}
        )
        seed_self_service(self.template, self.client)
        self.event_sources = EventSources(self.template, self.client, self.invoke).start()
        return self

    def _start_moto_process(self) -> str:
        with socket.socket() as probe:  # a free loopback port for the server to bind
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        self._moto_process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310 - loopback
                return endpoint
            except OSError:
                if time.monotonic() > deadline or self._moto_process.poll() is not None:
                    raise RuntimeError("the moto server process did not start") from None
                time.sleep(0.1)

    def _start_gateway(self) -> None:
        """The panel's WebSocket API on loopback; its ApiEndpoint is what the functions are given."""
        spec = socket_api_from_template(self.template)
        if spec is None:
            return
        self.gateway = WebSocketGateway(spec, self.invoke, region=REGION).start()
        self.template.physical[spec.logical_id] = PhysicalResource(
            ref=self.gateway.api_id,
            attributes={"ApiEndpoint": self.gateway.endpoint, "ApiId": self.gateway.api_id},
        )

    def stop(self) -> None:
        if self.kvs is not None:
            self.kvs.lambda_api.wait_idle(timeout=30)  # let queued invocations finish, as Lambda would
            self.kvs.stop()
        if self.connect is not None:
            self.connect.stop()
        if self.event_sources is not None:
            self.event_sources.stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.zendesk is not None:
            self.zendesk.stop()
        if self._moto is not None:
            self._moto.stop()
        if self._moto_process is not None:
            self._moto_process.terminate()
            try:
                self._moto_process.wait(10)
            except subprocess.TimeoutExpired:  # a loaded server may ignore SIGTERM for a while
                self._moto_process.kill()
                self._moto_process.wait(10)
        _reset_function_caches()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ use
    @property
    def environment(self) -> dict[str, str]:
        assert self.zendesk is not None, "start() the stack first"
        return {**process_environment(self.aws_endpoint, self.zendesk.netloc), **self._extra_environment()}

    def _extra_environment(self) -> dict[str, str]:
        """The endpoints of the servers besides moto and Zendesk (KVS path, Connect)."""
        kvs = self.kvs.environment if self.kvs is not None else {}
        connect = self.connect.environment if self.connect is not None else {}
        return {**kvs, **connect}

    def client(self, service: str) -> Any:
        """A boto3 client on the moto server, made once per service (clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def _new_client(self, service: str) -> Any:
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )

    def transcript(self, contact_id: str) -> list[dict[str, Any]]:
        """The contact's Transcripts items in call order, as plain Python values."""
        table = self.template.physical["TranscriptsTable"].ref
        pages = (
            self.client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=table,
                KeyConditionExpression="contactId = :c",
                ExpressionAttributeValues={":c": {"S": contact_id}},
            )
        )
        deserializer = TypeDeserializer()
        return [
            {key: deserializer.deserialize(value) for key, value in item.items()}
            for page in pages
            for item in page["Items"]
        ]

    def invoke(self, function: str, event: Any) -> Any:
        """Run a function on an event; the stream pollers, the gateway and SQS runners call this too."""
        if self.invoker is not None:
            return self.invoker(function, event)
        return invoke_function(self.template, function, event)

    def sqs_poller(self, function: str) -> SqsPoller:
        """Lambda's SQS event source mapping for `function`, as the template declares it."""
        queue_id, batch_size = sqs_event_source(self.template, function)
        queue = self.template.physical[queue_id]
        return SqsPoller(
            self.client("sqs"),
            queue.ref,
            queue.attributes["Arn"],
            lambda event: self.invoke(function, event),
            batch_size=batch_size,
            region=REGION,
        )

    def put_contact_event(self, detail: dict[str, Any], resources: list[str] | None = None) -> None:
        """What Amazon Connect does when a contact changes: an event on the default EventBridge bus."""
        answer = self.client("events").put_events(
            Entries=[
                {
                    "Source": "aws.connect",
                    "DetailType": "Amazon Connect Contact Event",
                    "Detail": json.dumps(detail),
                    "Resources": resources or [],
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused the event: {answer['Entries']}")

    def state(self) -> dict[str, Any]:
        """What another process needs to use this stack (`bind_to_state`): endpoints, resources."""
        assert self.zendesk is not None
        return {
            "pid": os.getpid(),
            "aws_endpoint": self.aws_endpoint,
            "zendesk_netloc": self.zendesk.netloc,
            "extra_environment": self._extra_environment(),
            "parameters": self._parameters,
            "physical": {
                k: {"ref": v.ref, "attributes": v.attributes} for k, v in self.template.physical.items()
            },
        }

    def save_state(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.state(), indent=2), encoding="utf-8")


def _reset_function_caches() -> None:
    # Imported here, not at the top: a function's package must first be imported after its
    # environment is set, as in Lambda (Powertools reads its settings at import).
    from connect_zendesk.services import reset_caches  # noqa: PLC0415

    reset_caches()
    forget_loaded_handlers()


_invocations = threading.RLock()


def sqs_event_source(template: Template, function: str) -> tuple[str, int]:
    """(queue logical id, batch size) of the function's SQS event source in the template: a SAM SQS
    event of the function, or an AWS::Lambda::EventSourceMapping naming it."""
    spec = template.function(function)
    sources = [
        (event["Properties"]["Queue"], event["Properties"].get("BatchSize", 10))
        for event in template.resources[spec.logical_id].get("Properties", {}).get("Events", {}).values()
        if event.get("Type") == "SQS"
    ] + [
        (body["Properties"]["EventSourceArn"], body["Properties"].get("BatchSize", 10))
        for body in template.resources.values()
        if body.get("Type") == "AWS::Lambda::EventSourceMapping"
        and body["Properties"].get("FunctionName")
        in ({"Ref": spec.logical_id}, {"Fn::GetAtt": [spec.logical_id, "Arn"]})
    ]
    for queue, batch_size in sources:
        if isinstance(queue, dict) and "Fn::GetAtt" in queue:
            return str(queue["Fn::GetAtt"][0]), int(batch_size)
    raise KeyError(f"{function} has no SQS event source in the template")


def invoke_function(template: Template, function: str, event: Any) -> Any:
    """Call a function's handler in this process with its template environment, like Lambda would.

    One invocation at a time (the stream pollers and the WebSocket gateway invoke from their own
    threads): each sees exactly its own environment, and Powertools' process-wide logger and metrics
    serve one invocation at a time, as in a Lambda execution environment.
    """
    with _invocations:
        spec = template.function(function)
        # Another function's template variables must not outlive its call (one function's queue URL
        # read by the next as its own), nor reach a process this one starts.
        for name in _template_variables(template).difference(spec.environment):
            os.environ.pop(name, None)
        os.environ.update(spec.environment)
        handler = load_handler(spec)
        context = LocalLambdaContext(
            function_name=spec.logical_id, memory_limit_in_mb=spec.memory_mb, timeout_seconds=spec.timeout
        )
        return handler(event, context)


@functools.lru_cache(maxsize=8)
def _template_variables(template: Template) -> frozenset[str]:
    """Every variable some function of the template sets in its environment (once per template)."""
    return frozenset(variable for spec in template.functions().values() for variable in spec.environment)


@contextlib.contextmanager
def function_output_to(stream: TextIO) -> Iterator[None]:
    """Send what functions print (Powertools JSON logs, EMF metrics) to `stream` instead of stdout.

    Powertools binds its log handler to the stdout of the moment the logger is created, so the
    handler's stream is switched as well as sys.stdout.
    """
    handlers = [h for h in logging.getLogger(SERVICE_LOGGER).handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.setStream(stream) for h in handlers]
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            if old is not None:
                handler.setStream(old)


def attach_running(path: Path = STATE_FILE) -> Template | None:
    """The template bound to a stack another process runs, if one is alive; its environment applied."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return bind_to_state(state)


def bind_to_state(state: Mapping[str, Any]) -> Template:
    """The template bound to the stack `LocalStack.state()` describes; its environment applied."""
    template = Template.from_file(parameters=state["parameters"], region=REGION)
    template.physical = {k: PhysicalResource(v["ref"], v["attributes"]) for k, v in state["physical"].items()}
    os.environ.update(process_environment(state["aws_endpoint"], state["zendesk_netloc"]))
    os.environ.update(state.get("extra_environment", {}))
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with LocalStack(faults=FaultConfig.from_env()) as stack:
        stack.save_state()
        assert stack.zendesk is not None
        print(f"moto server      {stack.aws_endpoint}", file=sys.stderr)
        print(f"Zendesk emulator {stack.zendesk.url}", file=sys.stderr)
        if stack.gateway is not None:
            print(f"panel WebSocket  {stack.gateway.url}", file=sys.stderr)
        print(f"state            {STATE_FILE.relative_to(PROJECT_ROOT)} (Ctrl-C to stop)", file=sys.stderr)
        try:
            stopping.wait()
        except KeyboardInterrupt:
            pass
        finally:
            STATE_FILE.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
