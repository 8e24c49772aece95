"""The panel-token endpoint: a request the Zendesk app signed becomes a short-lived WebSocket token.

The Zendesk app sends `POST {"contactId": ...}` with `client.request({secure: true, jwt: {...}})`;
Zendesk's proxy adds `Authorization: Bearer <JWT>` signed (HS256) with the app's shared secret,
which lives in a secure app setting and in this stack's Secrets Manager secret, never in the
browser. A valid JWT whose `contact_id` claim is the contact asked for yields a panel token for that
contact and the JWT's agent (`sub`), valid for PANEL_TOKEN_TTL_SECONDS, but only when that agent is
the one agent_connected assigned the contact to, or in a supervisor group (realtime/panel_access.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.errors import ServiceError
from connect_zendesk.observability import logger, metrics
from connect_zendesk.realtime.panel_access import may_open_panel
from connect_zendesk.realtime.signed_tokens import (
    CONTACT_ID,
    TokenRejected,
    ZendeskClaims,
    bearer_token,
    issue_panel_token,
    verify_zendesk_jwt,
)
from connect_zendesk.realtime.wiring import RealtimeServices
from connect_zendesk.untrusted import SMALL_BODY, UntrustedInput, decode_json_object


def http_response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body),
    }


def _request_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The request body as a JSON object, read by the bounded decoder (UntrustedInput when refused)."""
    raw = event.get("body")
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        raise UntrustedInput("body is not text")
    if not event.get("isBase64Encoded"):
        return decode_json_object(raw, SMALL_BODY)
    if len(raw) > SMALL_BODY.max_bytes * 4 // 3 + 4:
        raise UntrustedInput(f"body exceeds {SMALL_BODY.max_bytes} bytes")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise UntrustedInput("body is not base64") from None
    return decode_json_object(decoded, SMALL_BODY)


def issue_token(event: Mapping[str, Any], services: RealtimeServices) -> dict[str, Any]:
    request = event.get("requestContext")
    http = request.get("http") if isinstance(request, Mapping) else None
    method = str((http.get("method") if isinstance(http, Mapping) else None) or "POST").upper()
    if method != "POST":
        return http_response(405, {"message": "Use POST"})
    try:
        # Before the JWT check: a hostile body costs no secret read and no signature check.
        body = _request_body(event)
    except UntrustedInput as exc:
        logger.warning("panel token request refused", extra={"reason": str(exc)})
        return http_response(400, {"message": "Body must be a JSON object"})
    now = services.clock()
    try:
        claims = verify_zendesk_jwt(
            bearer_token(event.get("headers")),
            services.zendesk_app_secret(),
            issuer=services.settings.zendesk_app_issuer,
            now=now,
        )
    except TokenRejected as exc:
        logger.warning("panel token refused", extra={"reason": str(exc)})
        metrics.add_metric(name="PanelTokenRefused", unit=MetricUnit.Count, value=1)
        return http_response(401, {"message": "Unauthorized"})
    refused = _refused(body, claims, services)
    if refused is not None:
        return refused
    token, grant = issue_panel_token(
        services.panel_signing_keys()[0],
        contact_id=claims.contact_id,
        agent_id=claims.agent_id,
        now=now,
        ttl_seconds=services.settings.panel_token_ttl_seconds,
    )
    logger.info("panel token issued", extra={"contact_id": grant.contact_id, "agent_id": grant.agent_id})
    metrics.add_metric(name="PanelTokensIssued", unit=MetricUnit.Count, value=1)
    endpoint = services.settings.panel_socket_endpoint.rstrip("/")
    stage = services.settings.panel_socket_stage
    return http_response(
        200,
        {
            "token": token,
            "contactId": grant.contact_id,
            "agentId": grant.agent_id,
            "expiresAt": grant.expires_at,
            "websocketUrl": f"{endpoint}/{stage}" if stage else endpoint,
        },
    )


def _refused(
    body: Mapping[str, Any], claims: ZendeskClaims, services: RealtimeServices
) -> dict[str, Any] | None:
    """The answer when the signed agent may not have a token for the contact asked for; None when they may."""
    requested = body.get("contactId", claims.contact_id)
    if not isinstance(requested, str) or not CONTACT_ID.match(requested):
        return http_response(400, {"message": "contactId is not a contact id"})
    if requested != claims.contact_id:
        logger.warning("panel token refused", extra={"reason": "contact differs from the signed claim"})
        metrics.add_metric(name="PanelTokenRefused", unit=MetricUnit.Count, value=1)
        return http_response(403, {"message": "Forbidden"})
    try:
        because = may_open_panel(
            claims.contact_id,
            claims.agent_id,
            assigned_agent=services.assignments.assigned_agent,
            supervisor_groups=services.settings.agent_connected.supervisor_group_ids,
            group_ids=services.supervisor_group_ids,
        )
    except ServiceError as exc:
        logger.warning("panel token: assignment unknown", extra={"reason": str(exc)})
        return http_response(503, {"message": "Try again"})
    if not because:
        # Only the agent on the contact (or a supervisor): a valid Zendesk session is not enough.
        logger.warning("panel token refused", extra={"reason": "not the contact's agent"})
        metrics.add_metric(name="PanelTokenRefused", unit=MetricUnit.Count, value=1)
        return http_response(403, {"message": "Forbidden"})
    return None
