"""The panel's WebSocket API and token endpoint on moto: authorizer, routes, notes, snapshot, tokens."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from connect_zendesk.realtime.agent_notes import MAX_NOTE_BYTES, note_attribute, notes_key
from connect_zendesk.realtime.signed_tokens import ZENDESK_JWT_AUDIENCE, issue_panel_token, sign_zendesk_jwt
from connect_zendesk.realtime.wiring import RealtimeServices, use_realtime_services
from connect_zendesk.settings import get_settings
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template
from connect_zendesk_local.contact_lens_events import kinesis_event, lens_record, transcript
from connect_zendesk_local.functions import forget_loaded_handlers, load_handler
from connect_zendesk_local.lambda_context import LocalLambdaContext
from connect_zendesk_local.zendesk_app import http_api_event
from realtime_doubles import FakeGateway
from unit_doubles import NOW

Handler = Callable[[Any], dict[str, Any]]
CONTACT = "contact-0001"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/live/$connect"


def assign(realtime_env: dict[str, str], contact_id: str, zendesk_agent_id: int) -> None:
    """What agent_connected records when the agent answers (Contacts agentLeg)."""
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=realtime_env["CONTACTS_TABLE"],
        Key={"contactId": {"S": contact_id}},
        UpdateExpression="SET agentLeg = :leg",
        ExpressionAttributeValues={
            ":leg": {"M": {"status": {"S": "DONE"}, "zendeskAgentId": {"N": str(zendesk_agent_id)}}}
        },
    )


@pytest.fixture
def load(aws: Template, realtime: RealtimeServices, realtime_env: dict[str, str]) -> Callable[[str], Handler]:
    assign(realtime_env, CONTACT, 9001)  # the JWTs below are agent 9001's

    def loader(name: str) -> Handler:
        forget_loaded_handlers()
        handler = load_handler(aws.function(name))
        return lambda event: handler(event, LocalLambdaContext(function_name=name))

    return loader


def signing_key(realtime: RealtimeServices) -> str:
    return realtime.panel_signing_keys()[0]


def authorizer_event(token: str | None, contact_id: str | None = CONTACT) -> dict[str, Any]:
    query = {k: v for k, v in {"token": token, "contactId": contact_id}.items() if v is not None}
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {"Host": "api1.execute-api.us-east-1.amazonaws.com"},
        "queryStringParameters": query,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "conn-1"},
    }


def effect(answer: dict[str, Any]) -> str:
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement["Resource"] == METHOD_ARN
    return str(statement["Effect"])


# ---------------------------------------------------------------------------- authorizer
def test_the_authorizer_allows_a_valid_token_for_its_contact(
    load: Callable[[str], Handler], realtime: RealtimeServices
) -> None:
    token, _ = issue_panel_token(
        signing_key(realtime), contact_id=CONTACT, agent_id="9001", now=NOW.timestamp(), ttl_seconds=300
    )

    answer = load("panel_authorizer")(authorizer_event(token))

    assert effect(answer) == "Allow"
    assert answer["principalId"] == "9001"
    assert answer["context"] == {
        "contactId": CONTACT,
        "agentId": "9001",
        "tokenExpiresAt": str(int(NOW.timestamp()) + 300),
    }


@pytest.mark.parametrize("case", ["missing", "expired", "forged", "wrong contact", "other stack's key"])
def test_the_authorizer_refuses_missing_expired_forged_and_wrong_contact_tokens(
    load: Callable[[str], Handler], realtime: RealtimeServices, case: str
) -> None:
    key, now = signing_key(realtime), NOW.timestamp()
    token, _ = issue_panel_token(
        key, contact_id=CONTACT, agent_id="9001", now=now - (600 if case == "expired" else 0), ttl_seconds=300
    )
    event = {
        "missing": authorizer_event(None),
        "expired": authorizer_event(token),
        "forged": authorizer_event(token[:-6] + "AAAAAA"),
        "wrong contact": authorizer_event(token, contact_id="contact-0002"),
        "other stack's key": authorizer_event(
            issue_panel_token("x" * 64, contact_id=CONTACT, agent_id="1", now=now, ttl_seconds=60)[0]
        ),
    }[case]

    assert effect(load("panel_authorizer")(event)) == "Deny"


MISSING_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"


def services_with(realtime: RealtimeServices, **changes: str) -> RealtimeServices:
    return RealtimeServices(dataclasses.replace(realtime.settings, **changes), clock=realtime.clock)  # type: ignore[arg-type]


def test_the_authorizer_denies_when_its_secret_is_unreadable(
    load: Callable[[str], Handler], realtime: RealtimeServices
) -> None:
    now = NOW.timestamp()
    token, _ = issue_panel_token(
        signing_key(realtime), contact_id=CONTACT, agent_id="9001", now=now, ttl_seconds=300
    )
    authorizer = load("panel_authorizer")
    with use_realtime_services(services_with(realtime, panel_token_secret_arn=MISSING_SECRET)):
        assert effect(authorizer(authorizer_event(token))) == "Deny"


def test_the_authorizer_denies_when_misconfigured(
    load: Callable[[str], Handler], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PANEL_TOKEN_SECRET_ARN")
    assert effect(load("panel_authorizer")(authorizer_event("cz1.x.y"))) == "Deny"


# ---------------------------------------------------------------------------- routes
def route_event(
    route: str, body: Any = None, connection_id: str = "conn-1", contact_id: str = CONTACT
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
            "connectionId": connection_id,
            "authorizer": {"principalId": "9001", "contactId": contact_id, "agentId": "9001"},
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def contact(aws: Template, key: str = CONTACT) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical["ContactsTable"].ref)
    return table.get_item(Key={"contactId": key}).get("Item", {})


def test_connect_registers_the_panel_and_disconnect_forgets_it(
    load: Callable[[str], Handler], realtime: RealtimeServices, aws: Template
) -> None:
    socket = load("agent_socket")

    assert socket(route_event("$connect"))["statusCode"] == 200
    (connection,) = realtime.connections.for_contact(CONTACT, NOW.timestamp())
    assert (connection.connection_id, connection.agent_id) == ("conn-1", "9001")
    assert connection.expires_at == int(NOW.timestamp()) + 7200
    assert contact(aws)["agentConnected"] is True

    assert socket(route_event("$disconnect"))["statusCode"] == 200
    assert realtime.connections.for_contact(CONTACT, NOW.timestamp()) == []


def test_connect_without_an_authorized_contact_is_refused(load: Callable[[str], Handler]) -> None:
    assert load("agent_socket")(route_event("$connect", contact_id=""))["statusCode"] == 403
    assert load("agent_socket")(route_event("sync", contact_id=""))["statusCode"] == 403


def test_a_note_is_saved_once_per_note_id_and_shown_on_every_panel(
    load: Callable[[str], Handler], aws: Template, gateway: FakeGateway
) -> None:
    socket = load("agent_socket")
    socket(route_event("$connect", connection_id="conn-1"))
    socket(route_event("$connect", connection_id="conn-2"))
    note = {"action": "saveNote", "noteId": "note-0000001", "text": "  Customer wants a technician  "}

    assert socket(route_event("saveNote", note))["statusCode"] == 200
    assert socket(route_event("saveNote", note))["statusCode"] == 200  # resent after a reconnect

    notes_item = contact(aws, notes_key(CONTACT))  # the contact's notes item, a note per attribute
    stored = notes_item[note_attribute("note-0000001")]
    assert notes_item["agentNoteIds"] == {"note-0000001"}
    assert (stored["noteId"], stored["agentId"], stored["text"]) == (
        "note-0000001",
        "9001",
        "Customer wants a technician",
    )
    assert "agentNotes" not in contact(aws)  # the contact's own item keeps its 400 KB for the rest
    for connection in ("conn-1", "conn-2"):
        assert gateway.messages(connection, "note")[0]["text"] == "Customer wants a technician"
        assert "shortened" not in gateway.messages(connection, "note")[0]


def test_a_note_over_the_byte_bound_is_cut_between_characters_and_the_panel_is_told(
    load: Callable[[str], Handler], aws: Template, gateway: FakeGateway
) -> None:
    socket = load("agent_socket")
    socket(route_event("$connect", connection_id="conn-1"))
    text = "お客様は技術者の訪問を希望" * 100  # 1,300 characters (under the 2,000 typed), 3,900 bytes
    note = {"action": "saveNote", "noteId": "note-0000001", "text": text}

    assert socket(route_event("saveNote", note))["statusCode"] == 200

    stored = contact(aws, notes_key(CONTACT))[note_attribute("note-0000001")]
    assert len(stored["text"].encode("utf-8")) == MAX_NOTE_BYTES  # 1,000 whole 3-byte characters
    assert text.startswith(stored["text"])
    (shown,) = gateway.messages("conn-1", "note")
    assert (shown["text"], shown["shortened"]) == (stored["text"], "true")


@pytest.mark.parametrize(
    "body",
    [
        {"action": "saveNote", "noteId": "short", "text": "x"},
        {"action": "saveNote", "noteId": "note-0000001", "text": ""},
        {"action": "saveNote", "noteId": "note-0000001", "text": 42},
        {"action": "saveNote", "noteId": "note-0000001", "text": "x" * 2001},
    ],
)
def test_invalid_notes_are_refused_with_an_error_to_the_sender(
    load: Callable[[str], Handler], gateway: FakeGateway, body: Any
) -> None:
    assert load("agent_socket")(route_event("saveNote", body))["statusCode"] == 400
    assert gateway.messages("conn-1", "error")[0]["code"] == "InvalidNote"


def test_notes_stop_at_the_limit(
    load: Callable[[str], Handler], gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connect_zendesk.adapters import contact_realtime

    monkeypatch.setattr(contact_realtime, "MAX_NOTES", 2)
    socket = load("agent_socket")
    answers = [
        socket(route_event("saveNote", {"action": "saveNote", "noteId": f"note-000000{n}", "text": "n"}))[
            "statusCode"
        ]
        for n in range(3)
    ]
    assert answers == [200, 200, 409]
    assert gateway.messages("conn-1", "error")[0]["code"] == "TooManyNotes"


def test_sync_answers_with_the_stored_transcript_and_contact_state(
    load: Callable[[str], Handler], gateway: FakeGateway
) -> None:
    records = [
        lens_record(CONTACT, "STARTED"),
        lens_record(
            CONTACT, "SEGMENTS", [transcript("t-2", "CUSTOMER", "second", 3000, 4000, sentiment="NEGATIVE")]
        ),
        lens_record(CONTACT, "SEGMENTS", [transcript("t-1", "AGENT", "first", 1000, 2000, sentiment=None)]),
        lens_record(CONTACT, "SEGMENTS", [{"Categories": {"MatchedCategories": ["Billing"]}}]),
        lens_record(
            CONTACT,
            "SEGMENTS",
            [{"PostContactSummary": {"Content": "Billing question", "Status": "COMPLETED"}}],
        ),
    ]
    load("transcription_consumer")(kinesis_event(records))
    socket = load("agent_socket")
    socket(route_event("saveNote", {"action": "saveNote", "noteId": "note-0000001", "text": "called back"}))
    gateway.frames.clear()

    assert socket(route_event("sync", {"action": "sync"}))["statusCode"] == 200

    messages = gateway.messages("conn-1")
    assert messages[0] == {"type": "snapshot"}
    assert [m["text"] for m in messages if m["type"] == "segment"] == ["first", "second"]
    kinds = {m["type"] for m in messages}
    assert {"status", "categories", "summary", "note"} <= kinds
    assert next(m for m in messages if m["type"] == "summary")["content"] == "Billing question"


def test_sync_includes_the_sentiment_aggregate(
    load: Callable[[str], Handler], realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    realtime.contacts.record_sentiment(
        CONTACT,
        {"CUSTOMER": {"score": 0, "counts": {}, "trend": []}},
        [{"text": "x", "score": 1, "count": 2}],
    )
    load("agent_socket")(route_event("sync", {"action": "sync"}))
    (sentiment,) = gateway.messages("conn-1", "sentiment")
    assert sentiment["keyPhrases"] == [{"text": "x", "score": 1, "count": 2}]


@pytest.mark.parametrize("body", [{"action": "dance"}, {"no": "action"}])
def test_unknown_actions_get_an_error_frame(
    load: Callable[[str], Handler], gateway: FakeGateway, body: Any
) -> None:
    assert load("agent_socket")(route_event("$default", body))["statusCode"] == 400
    assert gateway.messages("conn-1", "error")[0]["code"] == "UnknownAction"


@pytest.mark.parametrize("body", ["not json", [1, 2], "[" * 100_000 + "]" * 100_000, '{"action": NaN}'])
def test_messages_that_are_not_a_bounded_json_object_get_an_error_frame(
    load: Callable[[str], Handler], gateway: FakeGateway, body: Any
) -> None:
    # Given a panel message the bounded decoder refuses (not JSON, not an object, 100,000 deep, NaN)
    answer = load("agent_socket")(route_event("$default", body))
    # Then the route answers 400 (not a 500) and tells the panel why, without touching any table
    assert answer["statusCode"] == 400
    assert gateway.messages("conn-1", "error")[0]["code"] == "InvalidMessage"


@pytest.mark.parametrize("context", [True, "x", [1], None])
@pytest.mark.parametrize("where", ["requestContext", "authorizer"])
def test_a_request_context_that_is_not_an_object_is_refused_not_a_500(
    load: Callable[[str], Handler], context: Any, where: str
) -> None:
    # Given a WebSocket event whose requestContext (or its authorizer) is not an object
    event = route_event("sync", {"action": "sync"})
    if where == "requestContext":
        event["requestContext"] = context
    else:
        event["requestContext"]["authorizer"] = context
    # Then the route refuses it as unauthorized instead of failing inside the code
    assert load("agent_socket")(event)["statusCode"] == 403


def test_an_authorizer_context_holding_something_else_than_a_contact_id_is_refused_and_not_logged(
    load: Callable[[str], Handler], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a $connect whose authorizer context names a phone number instead of a contact id
    event = route_event("$connect", contact_id="+14155552671")
    # Then the connection is refused and the number never reaches the (unscrubbed) contact_id log key
    assert load("agent_socket")(event)["statusCode"] == 403
    assert "4155552671" not in caplog.text


def test_an_authorizer_token_that_is_not_text_is_refused_not_a_crash(
    load: Callable[[str], Handler], caplog: pytest.LogCaptureFixture
) -> None:
    event = authorizer_event(None)
    event["queryStringParameters"]["token"] = True
    assert effect(load("panel_authorizer")(event)) == "Deny"
    assert "panel connection refused" in caplog.messages
    assert "unexpected failure" not in caplog.messages


def test_a_storage_failure_is_an_error_status_not_an_exception(
    load: Callable[[str], Handler], aws: Template
) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName=aws.physical["ConnectionsTable"].ref
    )
    assert load("agent_socket")(route_event("$connect"))["statusCode"] == 503


def test_an_unexpected_failure_is_a_500(
    load: Callable[[str], Handler], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connect_zendesk.realtime import handlers

    def explode(event: Any, services: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(handlers, "on_disconnect", explode)
    assert load("agent_socket")(route_event("$disconnect"))["statusCode"] == 500


# ---------------------------------------------------------------------------- token endpoint
def app_secret(aws: Template) -> str:
    secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=aws.physical["ZendeskAppSharedSecret"].ref
    )
    return str(json.loads(secret["SecretString"])["shared_secret"])


def jwt(aws: Template, **changes: Any) -> str:
    now = int(NOW.timestamp())
    claims = {
        "iss": "https://demo.zendesk.com",
        "aud": ZENDESK_JWT_AUDIENCE,
        "sub": "9001",
        "contact_id": CONTACT,
        "iat": now,
        "exp": now + 120,
    }
    secret = changes.pop("secret", None) or app_secret(aws)
    return sign_zendesk_jwt({**claims, **changes}, secret)


def token_request(authorization: str | None, body: Any = None, method: str = "POST") -> dict[str, Any]:
    headers = {"Authorization": authorization} if authorization else {}
    return http_api_event({"contactId": CONTACT} if body is None else body, headers, method=method)


def test_a_panel_token_only_for_the_agent_agent_connected_assigned(
    load: Callable[[str], Handler], aws: Template, realtime_env: dict[str, str]
) -> None:
    endpoint = load("panel_token")
    assert endpoint(token_request(f"Bearer {jwt(aws, sub='9002')}"))["statusCode"] == 403
    other = "contact-0002"  # nobody assigned yet: not even a valid Zendesk agent gets in
    unassigned = token_request(f"Bearer {jwt(aws, contact_id=other)}", {"contactId": other})
    assert endpoint(unassigned)["statusCode"] == 403
    assign(realtime_env, other, 9001)
    assert endpoint(unassigned)["statusCode"] == 200


def test_a_supervisor_group_member_gets_a_token_for_any_contact(
    load: Callable[[str], Handler], aws: Template, realtime: RealtimeServices
) -> None:
    endpoint = load("panel_token")
    asked: list[str] = []

    def groups(agent_id: str) -> set[int]:
        asked.append(agent_id)
        return {77} if agent_id == "5005" else {12}

    realtime.__dict__["supervisor_group_ids"] = groups
    realtime.settings = dataclasses.replace(
        realtime.settings,
        agent_connected=dataclasses.replace(realtime.settings.agent_connected, supervisor_group_ids=(77,)),
    )
    assert endpoint(token_request(f"Bearer {jwt(aws, sub='5005')}"))["statusCode"] == 200
    assert endpoint(token_request(f"Bearer {jwt(aws, sub='6006')}"))["statusCode"] == 403
    assert asked == ["5005", "6006"]


def test_a_zendesk_signed_request_gets_a_panel_token_that_the_authorizer_accepts(
    load: Callable[[str], Handler], aws: Template
) -> None:
    answer = load("panel_token")(token_request(f"Bearer {jwt(aws)}"))

    assert answer["statusCode"] == 200
    assert answer["headers"]["Cache-Control"] == "no-store"
    body = json.loads(answer["body"])
    assert (body["contactId"], body["agentId"], body["expiresAt"]) == (
        CONTACT,
        "9001",
        int(NOW.timestamp()) + 300,
    )
    assert body["websocketUrl"].startswith("wss://")
    assert body["websocketUrl"].endswith("/live")
    assert effect(load("panel_authorizer")(authorizer_event(body["token"]))) == "Allow"


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("missing", 401),
        ("expired", 401),
        ("forged", 401),
        ("other issuer", 401),
        ("wrong contact", 403),
        ("NaN issue time, ten-year expiry", 401),
        ("NaN expiry", 401),
        ("infinite expiry", 401),
    ],
)
def test_unsigned_expired_forged_and_wrong_contact_requests_get_no_token(
    load: Callable[[str], Handler], aws: Template, case: str, status: int
) -> None:
    now = int(NOW.timestamp())
    authorization = {
        "missing": None,
        "expired": f"Bearer {jwt(aws, iat=now - 400, exp=now - 100)}",
        "forged": f"Bearer {jwt(aws, secret='guessed')}",
        "other issuer": f"Bearer {jwt(aws, iss='https://other.zendesk.com')}",
        "wrong contact": f"Bearer {jwt(aws, contact_id='contact-0002')}",
        # json.dumps writes NaN and Infinity; Zendesk never would, a forger signing with a leaked secret might
        "NaN issue time, ten-year expiry": f"Bearer {jwt(aws, iat=float('nan'), exp=now + 10 * 365 * 86400)}",
        "NaN expiry": f"Bearer {jwt(aws, exp=float('nan'))}",
        "infinite expiry": f"Bearer {jwt(aws, exp=float('inf'))}",
    }[case]

    answer = load("panel_token")(token_request(authorization))

    assert answer["statusCode"] == status
    assert "token" not in json.loads(answer["body"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ([1], 400),
        ({"contactId": "bad id!"}, 400),
        ({}, 200),
        ("", 200),
        ('{"contactId": ' * 100_000 + "1" + "}" * 100_000, 400),  # json.loads: RecursionError
        ('{"contactId": NaN}', 400),
    ],
)
def test_token_request_bodies_are_validated(
    load: Callable[[str], Handler], aws: Template, body: Any, status: int
) -> None:
    assert load("panel_token")(token_request(f"Bearer {jwt(aws)}", body))["statusCode"] == status


def test_base64_bodies_are_read_and_other_methods_refused(
    load: Callable[[str], Handler], aws: Template
) -> None:
    import base64

    event = token_request(f"Bearer {jwt(aws)}")
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert load("panel_token")(event)["statusCode"] == 200
    assert load("panel_token")(token_request(None, method="GET"))["statusCode"] == 405


def test_a_request_context_without_an_http_object_is_read_as_a_post(load: Callable[[str], Handler]) -> None:
    event = token_request(None)
    event["requestContext"]["http"] = 1
    assert load("panel_token")(event)["statusCode"] == 401
    event["headers"] = 1  # and headers that are not an object are no Authorization header
    assert load("panel_token")(event)["statusCode"] == 401


def test_the_token_endpoint_is_unavailable_when_misconfigured(
    load: Callable[[str], Handler], aws: Template, realtime: RealtimeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = load("panel_token")
    with use_realtime_services(services_with(realtime, zendesk_app_secret_arn=MISSING_SECRET)):
        assert endpoint(token_request(f"Bearer {jwt(aws)}"))["statusCode"] == 503
    monkeypatch.delenv("ZENDESK_APP_ISSUER")
    get_settings.cache_clear()  # a new container reads its environment again
    assert load("panel_token")(token_request(f"Bearer {jwt(aws)}"))["statusCode"] == 503


@pytest.mark.parametrize(
    "name", ["transcription_consumer", "sentiment", "agent_socket", "panel_authorizer", "panel_token"]
)
def test_every_new_function_has_sample_events(name: str) -> None:
    assert list((PROJECT_ROOT / "events" / name).glob("*.json")), f"events/{name}/ has no samples"


# ---------------------------------------------------------------------------- token expiry and reauth
def test_a_connection_lives_as_long_as_its_token_and_a_fresh_token_extends_it(
    load: Callable[[str], Handler], realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    socket = load("agent_socket")
    now = int(NOW.timestamp())
    event = route_event("$connect")
    event["requestContext"]["authorizer"]["tokenExpiresAt"] = str(now + 300)
    assert socket(event)["statusCode"] == 200
    (connection,) = realtime.connections.for_contact(CONTACT, now)
    assert connection.expires_at == now + 300

    fresh, _ = issue_panel_token(
        signing_key(realtime), contact_id=CONTACT, agent_id="9001", now=now, ttl_seconds=600
    )
    assert socket(route_event("reauth", {"action": "reauth", "token": fresh}))["statusCode"] == 200
    (connection,) = realtime.connections.for_contact(CONTACT, now)
    assert connection.expires_at == now + 600
    assert gateway.messages("conn-1", "reauthenticated")[-1]["expiresAt"] == now + 600

    someone_else, _ = issue_panel_token(
        signing_key(realtime), contact_id=CONTACT, agent_id="9002", now=now, ttl_seconds=3000
    )
    for token in (someone_else, "cz1.forged.token", None):
        assert socket(route_event("reauth", {"action": "reauth", "token": token}))["statusCode"] == 403
    assert [m["code"] for m in gateway.messages("conn-1", "error")] == ["ReauthRefused"] * 3
    (connection,) = realtime.connections.for_contact(CONTACT, now)
    assert connection.expires_at == now + 600


def test_a_connection_past_its_token_is_closed_on_the_next_push(
    load: Callable[[str], Handler], realtime: RealtimeServices, gateway: FakeGateway
) -> None:
    from connect_zendesk.realtime.panel_push import PanelPusher

    now = int(NOW.timestamp())
    socket = load("agent_socket")
    for connection_id, expires in (("conn-old", now + 300), ("conn-new", now + 3000)):
        event = route_event("$connect", connection_id=connection_id)
        event["requestContext"]["authorizer"]["tokenExpiresAt"] = str(expires)
        socket(event)
    later = PanelPusher(realtime.connections, gateway, clock=lambda: now + 301)
    report = later.push({CONTACT: [{"type": "status", "status": "live"}]})
    assert gateway.closed == ["conn-old"]  # @connections DELETE
    assert report.frames_sent == 1
    assert [c.connection_id for c in realtime.connections.for_contact(CONTACT, now)] == ["conn-new"]
