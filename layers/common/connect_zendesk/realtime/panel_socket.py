"""The agent panel's WebSocket API: who may connect, the connection registry, and the panel's actions.

- Authorizer ($connect, REQUEST type): the `token` query parameter must be a valid panel token for
  the `contactId` query parameter; the answer is an IAM policy for that one route, with the contact
  and agent in its context (API Gateway hands that context to every later route of the connection).
- $connect stores the connection (contact, agent, expiry) and marks the agent connected on the
  contact; $disconnect removes it.
- `saveNote` appends the agent's note to the contact once per note id and shows it on every panel
  of the contact (a note over MAX_NOTE_BYTES of UTF-8 is cut between characters, and the note
  shown says so: `shortened`); `sync` answers with everything stored so far (transcript,
  categories, summary, sentiment, notes), which a panel asks for when it opens and after every
  reconnect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.adapters.connections_table import PanelConnection
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.agent_notes import MAX_NOTE_BYTES, MAX_NOTE_CHARS, NOTE_ID, fit_note
from connect_zendesk.realtime.segments import Segment
from connect_zendesk.realtime.signed_tokens import CONTACT_ID, TokenRejected, verify_panel_token
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.untrusted import SMALL_BODY, UntrustedInput, decode_json_object

MAX_CONNECTION_SECONDS = 2 * 60 * 60  # API Gateway closes a WebSocket connection after two hours
SNAPSHOT_SEGMENT_LIMIT = 2000


def _policy(
    effect: str, principal: str, resource: str, context: Mapping[str, str] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        answer["context"] = dict(context)
    return answer


def authorize(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    resource = str(event.get("methodArn") or "")
    query = event.get("queryStringParameters") or {}
    query = query if isinstance(query, Mapping) else {}
    requested = query.get("contactId")
    token = query.get("token")
    try:
        grant = verify_panel_token(
            token if isinstance(token, str) else None,
            services.panel_signing_keys(),
            now=services.clock(),
            contact_id=str(requested) if requested else None,
        )
    except TokenRejected as exc:
        logger.warning("panel connection refused", extra={"reason": str(exc)})
        metrics.add_metric(name="PanelConnectRefused", unit=MetricUnit.Count, value=1)
        return _policy("Deny", "anonymous", resource)
    logger.info(
        "panel connection allowed", extra={"contact_id": grant.contact_id, "agent_id": grant.agent_id}
    )
    return _policy(
        "Allow",
        grant.agent_id,
        resource,
        {"contactId": grant.contact_id, "agentId": grant.agent_id, "tokenExpiresAt": str(grant.expires_at)},
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    """An object of the event, or an empty one where the event holds something else."""
    return value if isinstance(value, Mapping) else {}


def _context(event: Mapping[str, Any]) -> tuple[str, str, str]:
    request = _mapping(event.get("requestContext"))
    authorizer = _mapping(request.get("authorizer"))
    contact_id = str(authorizer.get("contactId") or "")
    return (
        str(request.get("connectionId") or ""),
        # Our authorizer only passes ids it signed; anything else is refused, and never logged (the
        # contact_id log key is not scrubbed).
        contact_id if CONTACT_ID.match(contact_id) else "",
        str(authorizer.get("agentId") or authorizer.get("principalId") or ""),
    )


def _status(code: int, message: str = "") -> dict[str, Any]:
    return {"statusCode": code, "body": message}


def route_key(event: Mapping[str, Any]) -> str:
    return str(_mapping(event.get("requestContext")).get("routeKey") or "")


def on_connect(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    connection_id, contact_id, agent_id = _context(event)
    if not (connection_id and contact_id):
        logger.error("connect without an authorized contact")
        return _status(403, "Forbidden")
    now = services.clock()
    # The connection lives as long as its token; a "reauth" message with a fresh token extends it.
    expires_at = min(
        _token_expiry(event) or int(now) + MAX_CONNECTION_SECONDS, int(now) + MAX_CONNECTION_SECONDS
    )
    services.connections.add(
        PanelConnection(connection_id, contact_id, agent_id, expires_at),
        connected_at=_iso(now),
    )
    services.contacts.mark_agent_connected(contact_id)
    logger.append_keys(contact_id=contact_id)
    logger.info("panel connected")
    metrics.add_metric(name="PanelConnected", unit=MetricUnit.Count, value=1)
    return _status(200, "Connected")


def on_disconnect(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    connection_id, _, _ = _context(event)
    if connection_id:
        services.connections.remove(connection_id)
    return _status(200, "Disconnected")


def on_message(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    connection_id, contact_id, agent_id = _context(event)
    if not (connection_id and contact_id):
        return _status(403, "Forbidden")
    logger.append_keys(contact_id=contact_id)
    try:
        body = _body(event)
    except UntrustedInput as exc:
        # Too deep, too large, NaN, not a JSON object: refused before any read or write.
        logger.warning("panel message refused", extra={"reason": str(exc)})
        metrics.add_metric(name="PanelMessageRefused", unit=MetricUnit.Count, value=1)
        _reply(services, connection_id, contact_id, {"type": "error", "code": "InvalidMessage"})
        return _status(400, "Invalid message")
    action = str(body.get("action", ""))
    handlers: dict[str, Callable[[], dict[str, Any]]] = {
        "saveNote": lambda: _save_note(services, connection_id, contact_id, agent_id, body),
        "sync": lambda: _sync(services, connection_id, contact_id),
        "reauth": lambda: _reauth(services, connection_id, contact_id, agent_id, body),
    }
    handler = handlers.get(action)
    if handler is None:
        _reply(
            services,
            connection_id,
            contact_id,
            {"type": "error", "code": "UnknownAction", "action": action[:40]},
        )
        return _status(400, "Unknown action")
    return handler()


def _token_expiry(event: Mapping[str, Any]) -> int | None:
    authorizer = _mapping(_mapping(event.get("requestContext")).get("authorizer"))
    raw = str(authorizer.get("tokenExpiresAt") or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def _reauth(
    services: RealtimeServices, connection_id: str, contact_id: str, agent_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """A fresh panel token (same contact, same agent) extends the connection to the token's expiry."""
    now = services.clock()
    token = body.get("token")
    try:
        grant = verify_panel_token(
            token if isinstance(token, str) else None,
            services.panel_signing_keys(),
            now=now,
            contact_id=contact_id,
        )
        if grant.agent_id != agent_id:
            raise TokenRejected("token is for another agent")
    except TokenRejected as exc:
        logger.warning("panel re-authentication refused", extra={"reason": str(exc)})
        metrics.add_metric(name="PanelReauthRefused", unit=MetricUnit.Count, value=1)
        _reply(services, connection_id, contact_id, {"type": "error", "code": "ReauthRefused"})
        return _status(403, "Forbidden")
    expires_at = min(grant.expires_at, int(now) + MAX_CONNECTION_SECONDS)
    services.connections.extend(connection_id, expires_at)
    metrics.add_metric(name="PanelReauthenticated", unit=MetricUnit.Count, value=1)
    _reply(services, connection_id, contact_id, {"type": "reauthenticated", "expiresAt": expires_at})
    return _status(200, "Reauthenticated")


def _body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The message as a JSON object, read by the bounded decoder (UntrustedInput when refused)."""
    raw = event.get("body")
    if not isinstance(raw, str):
        raise UntrustedInput("body is not text")
    return decode_json_object(raw, SMALL_BODY)


def _reply(
    services: RealtimeServices, connection_id: str, contact_id: str, *messages: dict[str, Any]
) -> None:
    services.pusher.send(connection_id, contact_id, list(messages))


def _save_note(
    services: RealtimeServices, connection_id: str, contact_id: str, agent_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    note_id, text = str(body.get("noteId", "")), body.get("text")
    if (
        not NOTE_ID.match(note_id)
        or not isinstance(text, str)
        or not text.strip()
        or len(text) > MAX_NOTE_CHARS
    ):
        _reply(
            services,
            connection_id,
            contact_id,
            {"type": "error", "code": "InvalidNote", "noteId": note_id[:64]},
        )
        return _status(400, "Invalid note")
    text, shortened = fit_note(text.strip())
    if shortened:
        logger.warning("agent note cut to fit", extra={"max_bytes": MAX_NOTE_BYTES})
    stored = services.contacts.append_agent_note(contact_id, note_id=note_id, agent_id=agent_id, text=text)
    if not stored and not _note_exists(services, contact_id, note_id):
        _reply(
            services, connection_id, contact_id, {"type": "error", "code": "TooManyNotes", "noteId": note_id}
        )
        return _status(409, "Too many notes")
    metrics.add_metric(name="AgentNotesSaved", unit=MetricUnit.Count, value=1 if stored else 0)
    note = {
        "type": "note",
        "noteId": note_id,
        "agentId": agent_id,
        "text": text,
        "at": _iso(services.clock()),
    }
    if shortened:  # the agent sees what was kept, and that the rest was not
        note["shortened"] = "true"
    services.pusher.push({contact_id: [note]})
    return _status(200, "Saved")


def _note_exists(services: RealtimeServices, contact_id: str, note_id: str) -> bool:
    record = services.contacts.get(contact_id) or {}
    return note_id in set(record.get("agentNoteIds") or ())


def _sync(services: RealtimeServices, connection_id: str, contact_id: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"type": "snapshot"}]
    items = services.transcripts.contact_segments(contact_id)[-SNAPSHOT_SEGMENT_LIMIT:]
    messages.extend(Segment.from_item(item).panel_view() for item in items)
    messages.extend(contact_messages(services.contacts.get(contact_id) or {}))
    _reply(services, connection_id, contact_id, *messages)
    return _status(200, "Synced")


def contact_messages(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The panel messages a stored Contacts record gives (status, categories, summary, sentiment, notes)."""
    messages: list[dict[str, Any]] = []
    if record.get("transcriptStatus"):
        messages.append({"type": "status", "transcriptStatus": str(record["transcriptStatus"])})
    if record.get("categories"):
        messages.append({"type": "categories", "categories": sorted(str(c) for c in record["categories"])})
    if record.get("postContactSummary") or record.get("postContactSummaryStatus"):
        messages.append(
            {
                "type": "summary",
                "content": str(record.get("postContactSummary", "")),
                "status": str(record.get("postContactSummaryStatus", "COMPLETED")),
            }
        )
    if isinstance(record.get("sentiment"), Mapping):
        messages.append(
            {
                "type": "sentiment",
                "speakers": _plain(record["sentiment"]),
                "keyPhrases": _plain(record.get("keyPhrases") or []),
            }
        )
    for note in record.get("agentNotes") or []:
        if isinstance(note, Mapping):
            messages.append({"type": "note", **{k: str(v) for k, v in note.items()}})
    return messages


def _plain(value: Any) -> Any:
    """DynamoDB numbers (Decimal) as JSON numbers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, bool)):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
