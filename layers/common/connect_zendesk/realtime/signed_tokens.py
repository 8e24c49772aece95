"""HMAC-SHA256 signed tokens: the panel's WebSocket token, and the JWT Zendesk signs for the app.

Two token kinds, one careful verifier:

- `PanelToken` (issued by panel_token, checked by the WebSocket authorizer): a compact JWS-like
  string `cz1.<payload>.<signature>`, base64url, signed with the stack's own signing key (a generated
  Secrets Manager secret that never leaves AWS). Claims: contact id, agent id, issue and expiry time,
  audience, a random id. Lifetime: minutes.
- The ZAF JWT: a Zendesk app's `client.request({secure: true, jwt: {algorithm: "HS256",
  secret_key: "{{setting.shared_secret}}", ...}})` is sent through Zendesk's proxy, which signs a
  JWT (HS256) with the app's secure setting and puts it in the Authorization header, so the shared
  secret never reaches the browser. Verified with PyJWT (algorithm pinned to HS256, signature,
  required claims, issuer, audience); the times (expiry, issue, not-before, bounded lifetime) are
  checked here against the stack's clock, as finite epoch seconds, because PyJWT truncates them
  with int() and takes its own clock.

Both kinds are size-bounded and their JSON parts go through the bounded decoder first (no deep
nesting, no NaN or Infinity), so a hostile token is a 401, never a 500. Every failure raises
TokenRejected with a reason for the logs; callers answer 401/403 without it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connect_zendesk.untrusted import TOKEN_PART, UntrustedInput, decode_json_object, epoch_seconds

PANEL_TOKEN_PREFIX = "cz1"  # noqa: S105 - a format marker, not a secret
PANEL_TOKEN_AUDIENCE = "connect-zendesk-panel-socket"  # noqa: S105
ZENDESK_JWT_AUDIENCE = "connect-zendesk-panel"
CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_CHARS = 8 * 1024  # a panel token is ~250 characters, Zendesk's JWT well under 1 KB
MAX_ZENDESK_JWT_LIFETIME_SECONDS = 600
CONTACT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


class TokenRejected(Exception):
    """The token is missing, malformed, forged, expired, or not for this contact/audience."""


@dataclass(frozen=True)
class PanelGrant:
    contact_id: str
    agent_id: str
    expires_at: int
    token_id: str = ""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise TokenRejected("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenRejected("not base64url") from None


def _sign(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _json_object(raw: bytes, part: str) -> dict[str, Any]:
    try:
        return decode_json_object(raw, TOKEN_PART)
    except UntrustedInput as exc:  # e.g. "body is not JSON", "body holds NaN, ...", "body nested deeper ..."
        raise TokenRejected(f"{part} refused: {exc}") from None


def _time(claims: Mapping[str, Any], name: str) -> float:
    """A time claim: finite epoch seconds between 1970 and 9999 (NaN compares false with everything)."""
    try:
        return epoch_seconds(claims.get(name), f"claim {name}")
    except UntrustedInput as exc:
        raise TokenRejected(str(exc)) from None


def _optional_time(claims: Mapping[str, Any], name: str) -> float | None:
    return None if claims.get(name) is None else _time(claims, name)


def _bounded(token: str | None, missing: str) -> str:
    if not token:
        raise TokenRejected(missing)
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected(f"token longer than {MAX_TOKEN_CHARS} characters")
    return token


def _checked_id(value: Any, pattern: re.Pattern[str], what: str) -> str:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not pattern.fullmatch(text):
        raise TokenRejected(f"{what} missing or malformed")
    return text


# ---------------------------------------------------------------------------- panel tokens
def issue_panel_token(
    key: str, *, contact_id: str, agent_id: str, now: float, ttl_seconds: int
) -> tuple[str, PanelGrant]:
    grant = PanelGrant(
        contact_id=_checked_id(contact_id, CONTACT_ID, "contact id"),
        agent_id=_checked_id(agent_id, AGENT_ID, "agent id"),
        expires_at=int(now) + ttl_seconds,
        token_id=secrets.token_urlsafe(12),
    )
    claims = {
        "aud": PANEL_TOKEN_AUDIENCE,
        "cid": grant.contact_id,
        "aid": grant.agent_id,
        "iat": int(now),
        "exp": grant.expires_at,
        "jti": grant.token_id,
    }
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{PANEL_TOKEN_PREFIX}.{payload}".encode()
    return f"{PANEL_TOKEN_PREFIX}.{payload}.{_b64encode(_sign(key.encode(), signing_input))}", grant


def verify_panel_token(
    token: str | None, keys: Sequence[str], *, now: float, contact_id: str | None
) -> PanelGrant:
    """The grant of a valid token; `keys` are the current signing key and, during a rotation, the old one."""
    parts = _bounded(token, "no token").split(".")
    if len(parts) != 3 or parts[0] != PANEL_TOKEN_PREFIX:
        raise TokenRejected("not a panel token")
    signature = _b64decode(parts[2])
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    if not any(hmac.compare_digest(_sign(key.encode(), signing_input), signature) for key in keys if key):
        raise TokenRejected("bad signature")
    claims = _json_object(_b64decode(parts[1]), "payload")
    if claims.get("aud") != PANEL_TOKEN_AUDIENCE:
        raise TokenRejected("wrong audience")
    expires_at = _time(claims, "exp")
    issued_at = _time(claims, "iat")
    if now >= expires_at:
        raise TokenRejected("expired")
    if issued_at > now + CLOCK_SKEW_SECONDS:
        raise TokenRejected("issued in the future")
    grant = PanelGrant(
        contact_id=_checked_id(claims.get("cid"), CONTACT_ID, "contact id"),
        agent_id=_checked_id(claims.get("aid"), AGENT_ID, "agent id"),
        expires_at=int(expires_at),
        token_id=str(claims.get("jti", "")),
    )
    if contact_id is not None and grant.contact_id != contact_id:
        raise TokenRejected("token is for another contact")
    return grant


# ---------------------------------------------------------------------------- Zendesk-signed JWT
@dataclass(frozen=True)
class ZendeskClaims:
    contact_id: str
    agent_id: str
    issuer: str
    expires_at: int


def bearer_token(headers: Any) -> str | None:
    for name, value in (headers if isinstance(headers, Mapping) else {}).items():
        if str(name).lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() in {"bearer", "jwt", "token"} and token.strip():
                return token.strip()
    return None


def verify_zendesk_jwt(
    token: str | None, shared_secret: str, *, issuer: str, audience: str = ZENDESK_JWT_AUDIENCE, now: float
) -> ZendeskClaims:
    token = _bounded(token, "no Zendesk JWT")
    if not shared_secret:
        raise TokenRejected("no shared secret configured")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("not a JWT")
    # Bounded decoding first: PyJWT's json.loads would recurse on deep nesting and accept NaN.
    header = _json_object(_b64decode(parts[0]), "header")
    if header.get("alg") != "HS256":  # never "none", never an algorithm the caller picks
        raise TokenRejected(f"algorithm {header.get('alg')!r} not accepted")
    _json_object(_b64decode(parts[1]), "claims")
    claims = _pyjwt_claims(token, shared_secret, issuer=issuer, audience=audience)
    expires_at = _time(claims, "exp")
    if now >= expires_at + CLOCK_SKEW_SECONDS:
        raise TokenRejected("expired")
    issued_at = _optional_time(claims, "iat")
    if issued_at is not None and issued_at > now + CLOCK_SKEW_SECONDS:
        raise TokenRejected("issued in the future")
    not_before = _optional_time(claims, "nbf")
    if not_before is not None and not_before > now + CLOCK_SKEW_SECONDS:
        raise TokenRejected("not valid yet")
    if expires_at - (issued_at if issued_at is not None else now) > MAX_ZENDESK_JWT_LIFETIME_SECONDS:
        raise TokenRejected("lifetime too long")
    return ZendeskClaims(
        contact_id=_checked_id(claims.get("contact_id"), CONTACT_ID, "contact_id claim"),
        agent_id=_checked_id(claims.get("sub"), AGENT_ID, "sub claim"),
        issuer=str(claims["iss"]),
        expires_at=int(expires_at),
    )


def _pyjwt_claims(token: str, shared_secret: str, *, issuer: str, audience: str) -> dict[str, Any]:
    """Signature, algorithm, required claims, issuer and audience, as PyJWT checks them."""
    # Imported here: every real-time function loads this module, only panel_token verifies JWTs
    # (PyJWT also imports `cryptography` where it is installed, ~70 ms).
    import jwt  # noqa: PLC0415 - lazy: only panel_token and the local stack use PyJWT

    reasons: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
        (jwt.InvalidSignatureError, "bad signature"),
        (jwt.InvalidAlgorithmError, "algorithm not accepted"),
        (jwt.InvalidIssuerError, "wrong issuer"),
        (jwt.InvalidAudienceError, "wrong audience"),
    )
    try:
        return jwt.decode(
            token,
            shared_secret,
            algorithms=["HS256"],
            audience=audience,
            issuer=[issuer.rstrip("/"), issuer.rstrip("/") + "/"],
            leeway=CLOCK_SKEW_SECONDS,
            # Times are checked by the caller against the injected clock, as finite numbers.
            options={
                "require": ["exp", "iss", "aud", "sub"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRejected(f"claim {exc.claim} missing") from None
    except jwt.PyJWTError as exc:
        reason = next((text for kind, text in reasons if isinstance(exc, kind)), f"invalid: {exc}")
        raise TokenRejected(reason) from None


def sign_zendesk_jwt(claims: Mapping[str, Any], shared_secret: str) -> str:
    """What Zendesk's proxy does for a secure request (used by the local stack and the tests)."""
    import jwt  # noqa: PLC0415 - lazy: only panel_token and the local stack use PyJWT

    return jwt.encode(dict(claims), shared_secret, algorithm="HS256")
