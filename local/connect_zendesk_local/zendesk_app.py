"""Zendesk's part for the side-panel app's signed request, played locally.

In Zendesk the app calls `client.request({secure: true, jwt: {...}})` and Zendesk's proxy signs a
JWT (HS256) with the app's secure `shared_secret` setting. Locally the same JWT is signed with the
stack's own ZendeskAppSharedSecret (read from moto's Secrets Manager) and sent to the panel_token
function as API Gateway's HTTP API would (payload format 2.0).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from connect_zendesk.realtime.signed_tokens import ZENDESK_JWT_AUDIENCE, sign_zendesk_jwt

from connect_zendesk_local.cfn_template import Template

DEMO_AGENT_ID = "22450000000102"  # Alex, the agent agent_connected maps the sample Connect agent to


def http_api_event(
    body: Any, headers: dict[str, str], method: str = "POST", path: str = "/panel-token"
) -> dict[str, Any]:
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **{k.lower(): v for k, v in headers.items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "localhttp01",
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "Zendesk",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": json.dumps(body) if not isinstance(body, str) else body,
        "isBase64Encoded": False,
    }


def app_shared_secret(template: Template, client: Any) -> str:
    secret_id = template.physical["ZendeskAppSharedSecret"].ref
    return str(
        json.loads(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])[
            "shared_secret"
        ]
    )


def signed_token_request(
    template: Template, client: Any, contact_id: str, agent_id: str = DEMO_AGENT_ID, lifetime: int = 300
) -> dict[str, Any]:
    """The HTTP API event Zendesk's proxy would send for the app's secure token request."""
    now = int(time.time())
    claims = {
        "iss": f"https://{template.parameters['ZendeskSubdomain']}.zendesk.com",
        "aud": ZENDESK_JWT_AUDIENCE,
        "sub": agent_id,
        "contact_id": contact_id,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    jwt = sign_zendesk_jwt(claims, app_shared_secret(template, client))
    return http_api_event({"contactId": contact_id}, {"Authorization": f"Bearer {jwt}"})
