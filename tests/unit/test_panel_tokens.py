"""Signed tokens: the panel's WebSocket token and the JWT Zendesk signs for the app's requests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from connect_zendesk.realtime.signed_tokens import (
    MAX_ZENDESK_JWT_LIFETIME_SECONDS,
    ZENDESK_JWT_AUDIENCE,
    TokenRejected,
    bearer_token,
    issue_panel_token,
    sign_zendesk_jwt,
    verify_panel_token,
    verify_zendesk_jwt,
)

KEY = "k" * 64
NOW = 1_795_000_000
ISSUER = "https://demo.zendesk.com"
SECRET = "app-shared-secret-of-32-bytes-or-more"  # HS256 wants 32 bytes (RFC 7518 3.2)


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---------------------------------------------------------------------------- panel tokens
def test_a_panel_token_is_scoped_to_one_contact_and_one_agent_for_minutes() -> None:
    token, grant = issue_panel_token(KEY, contact_id="contact-1", agent_id="9001", now=NOW, ttl_seconds=300)

    checked = verify_panel_token(token, [KEY], now=NOW + 299, contact_id="contact-1")

    assert checked == grant
    assert (checked.contact_id, checked.agent_id, checked.expires_at) == ("contact-1", "9001", NOW + 300)
    assert verify_panel_token(token, [KEY], now=NOW, contact_id=None).contact_id == "contact-1"


def test_the_previous_key_is_accepted_during_a_rotation() -> None:
    token, _ = issue_panel_token("old-key", contact_id="c", agent_id="a", now=NOW, ttl_seconds=60)
    assert verify_panel_token(token, ["new-key", "old-key"], now=NOW, contact_id="c").agent_id == "a"


def forge(token: str, **changes: Any) -> str:
    prefix, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{prefix}.{b64({**claims, **changes})}.{signature}"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda t: None, "no token"),
        (lambda t: "", "no token"),
        (lambda t: "garbage", "not a panel token"),
        (lambda t: "xx1" + t[3:], "not a panel token"),
        (lambda t: t[:-4] + "AAAA", "bad signature"),
        (lambda t: forge(t, cid="contact-2"), "bad signature"),
        (lambda t: t.rsplit(".", 1)[0] + ".%%%", "not base64url"),
    ],
)
def test_missing_malformed_and_forged_panel_tokens_are_refused(make: Any, reason: str) -> None:
    token, _ = issue_panel_token(KEY, contact_id="contact-1", agent_id="9001", now=NOW, ttl_seconds=300)
    with pytest.raises(TokenRejected, match=reason):
        verify_panel_token(make(token), [KEY], now=NOW, contact_id="contact-1")


def test_an_expired_panel_token_is_refused() -> None:
    token, _ = issue_panel_token(KEY, contact_id="c", agent_id="a", now=NOW, ttl_seconds=300)
    with pytest.raises(TokenRejected, match="expired"):
        verify_panel_token(token, [KEY], now=NOW + 300, contact_id="c")


def test_a_token_for_another_contact_is_refused() -> None:
    token, _ = issue_panel_token(KEY, contact_id="contact-1", agent_id="a", now=NOW, ttl_seconds=300)
    with pytest.raises(TokenRejected, match="another contact"):
        verify_panel_token(token, [KEY], now=NOW, contact_id="contact-2")


def signed_panel(claims: dict[str, Any], key: str = KEY) -> str:
    import hashlib
    import hmac

    payload = b64(claims)
    signature = hmac.new(key.encode(), f"cz1.{payload}".encode(), hashlib.sha256).digest()
    return f"cz1.{payload}.{b64(signature)}"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "elsewhere", "cid": "c", "aid": "a", "iat": NOW, "exp": NOW + 60}, "audience"),
        (
            {
                "aud": "connect-zendesk-panel-socket",
                "cid": "c",
                "aid": "a",
                "iat": NOW + 3600,
                "exp": NOW + 7200,
            },
            "future",
        ),
        ({"aud": "connect-zendesk-panel-socket", "cid": "c", "aid": "a", "iat": NOW, "exp": "later"}, "exp"),
        (
            {"aud": "connect-zendesk-panel-socket", "cid": "../x", "aid": "a", "iat": NOW, "exp": NOW + 60},
            "contact id",
        ),
        (
            {"aud": "connect-zendesk-panel-socket", "cid": "c", "aid": True, "iat": NOW, "exp": NOW + 60},
            "agent id",
        ),
    ],
)
def test_validly_signed_panel_tokens_with_bad_claims_are_refused(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenRejected, match=reason):
        verify_panel_token(signed_panel(claims), [KEY], now=NOW, contact_id=None)


def test_a_token_whose_payload_is_not_an_object_is_refused() -> None:
    with pytest.raises(TokenRejected, match="not a JSON object"):
        verify_panel_token(signed_panel([1, 2]), [KEY], now=NOW, contact_id=None)  # type: ignore[arg-type]


def test_issuing_refuses_ids_that_could_not_be_verified_later() -> None:
    with pytest.raises(TokenRejected):
        issue_panel_token(KEY, contact_id="", agent_id="a", now=NOW, ttl_seconds=60)


# ---------------------------------------------------------------------------- Zendesk's JWT
def zendesk_claims(**changes: Any) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": ZENDESK_JWT_AUDIENCE,
        "sub": "22450000009001",
        "contact_id": "contact-1",
        "iat": NOW,
        "exp": NOW + 300,
        **changes,
    }


def test_a_request_signed_by_zendesk_names_the_contact_and_the_agent() -> None:
    claims = verify_zendesk_jwt(
        sign_zendesk_jwt(zendesk_claims(), SECRET), SECRET, issuer=ISSUER, now=NOW + 10
    )
    assert (claims.contact_id, claims.agent_id, claims.issuer, claims.expires_at) == (
        "contact-1",
        "22450000009001",
        ISSUER,
        NOW + 300,
    )


def test_an_audience_list_and_a_trailing_slash_issuer_are_accepted() -> None:
    token = sign_zendesk_jwt(zendesk_claims(aud=["other", ZENDESK_JWT_AUDIENCE], iss=ISSUER + "/"), SECRET)
    assert verify_zendesk_jwt(token, SECRET, issuer=ISSUER, now=NOW).contact_id == "contact-1"


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(header)}.{b64(claims)}."


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "no Zendesk JWT"),
        ("", "no Zendesk JWT"),
        ("a.b", "not a JWT"),
        (unsigned({"alg": "none"}, zendesk_claims()), "algorithm 'none'"),
        (unsigned({"alg": "RS256"}, zendesk_claims()), "algorithm 'RS256'"),
        (sign_zendesk_jwt(zendesk_claims(), "not-the-secret"), "bad signature"),
        (sign_zendesk_jwt(zendesk_claims(), SECRET)[:-3] + "abc", "bad signature"),
        (sign_zendesk_jwt(zendesk_claims(exp=NOW - 31, iat=NOW - 100), SECRET), "expired"),
        (sign_zendesk_jwt(zendesk_claims(exp=None), SECRET), "exp"),
        (sign_zendesk_jwt(zendesk_claims(iat=NOW + 120, exp=NOW + 300), SECRET), "future"),
        (sign_zendesk_jwt(zendesk_claims(nbf=NOW + 120), SECRET), "not valid yet"),
        (
            sign_zendesk_jwt(zendesk_claims(exp=NOW + MAX_ZENDESK_JWT_LIFETIME_SECONDS + 5), SECRET),
            "lifetime",
        ),
        (sign_zendesk_jwt(zendesk_claims(iss="https://evil.zendesk.com"), SECRET), "issuer"),
        (sign_zendesk_jwt(zendesk_claims(aud="someone-else"), SECRET), "audience"),
        (sign_zendesk_jwt(zendesk_claims(contact_id=None), SECRET), "contact_id"),
        (sign_zendesk_jwt(zendesk_claims(contact_id="x y"), SECRET), "contact_id"),
        (sign_zendesk_jwt(zendesk_claims(sub=""), SECRET), "sub"),
        (f"{b64(b'not json')}.{b64(zendesk_claims())}.sig", "not JSON"),
    ],
)
def test_missing_expired_forged_and_mis_addressed_zendesk_requests_are_refused(
    token: str | None, reason: str
) -> None:
    with pytest.raises(TokenRejected, match=reason):
        verify_zendesk_jwt(token, SECRET, issuer=ISSUER, now=NOW)


def test_without_a_configured_secret_nothing_is_accepted() -> None:
    with pytest.raises(TokenRejected, match="no shared secret"):
        verify_zendesk_jwt(sign_zendesk_jwt(zendesk_claims(), SECRET), "", issuer=ISSUER, now=NOW)


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({"Authorization": "Bearer abc"}, "abc"),
        ({"authorization": "JWT abc "}, "abc"),
        ({"AUTHORIZATION": "Token abc"}, "abc"),
        ({"authorization": "Basic abc"}, None),
        ({"authorization": "Bearer "}, None),
        ({}, None),
        (None, None),
    ],
)
def test_bearer_tokens_are_read_from_the_authorization_header(headers: Any, token: str | None) -> None:
    assert bearer_token(headers) == token


# ---------------------------------------------------------------------------- hostile claims (issue 12)
TEN_YEARS = 10 * 365 * 86400


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        # NaN compares false with everything: before, this ten-year token passed the lifetime check
        (zendesk_claims(iat=float("nan"), exp=NOW + TEN_YEARS), "NaN"),
        (zendesk_claims(exp=float("nan")), "NaN"),
        (zendesk_claims(exp=float("inf")), "Infinity"),
        (zendesk_claims(nbf=float("-inf")), "Infinity"),
        (zendesk_claims(exp=10**30), "claim exp is out of range"),
        (zendesk_claims(iat=-5), "claim iat is out of range"),
        (zendesk_claims(iat="yesterday"), "claim iat is not a number"),
        (zendesk_claims(extra=[[[[["deep"]]]]]), "nested deeper"),
    ],
)
def test_zendesk_jwts_with_non_finite_or_out_of_range_times_are_refused(
    claims: dict[str, Any], reason: str
) -> None:
    token = sign_zendesk_jwt(claims, SECRET)
    with pytest.raises(TokenRejected, match=reason):
        verify_zendesk_jwt(token, SECRET, issuer=ISSUER, now=NOW)


def test_a_zendesk_jwt_nested_100000_deep_is_refused_not_a_recursion_error() -> None:
    deep_claims = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    token = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(deep_claims)}.sig"
    with pytest.raises(TokenRejected, match="token longer than"):
        verify_zendesk_jwt(token, SECRET, issuer=ISSUER, now=NOW)
    small_but_deep = f"{b64({'alg': 'HS256'})}.{b64(b'[' * 2000 + b']' * 2000)}.sig"
    with pytest.raises(TokenRejected, match="nested deeper"):
        verify_zendesk_jwt(small_but_deep, SECRET, issuer=ISSUER, now=NOW)


def test_a_token_signed_with_another_hmac_algorithm_is_refused() -> None:
    import jwt as pyjwt

    token = pyjwt.encode(zendesk_claims(), SECRET, algorithm="HS512")
    with pytest.raises(TokenRejected, match="algorithm 'HS512' not accepted"):
        verify_zendesk_jwt(token, SECRET, issuer=ISSUER, now=NOW)


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub"])
def test_zendesk_jwts_without_a_required_claim_are_refused(missing: str) -> None:
    claims = {k: v for k, v in zendesk_claims().items() if k != missing}
    with pytest.raises(TokenRejected, match=f"claim {missing} missing|{missing}"):
        verify_zendesk_jwt(sign_zendesk_jwt(claims, SECRET), SECRET, issuer=ISSUER, now=NOW)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iat": float("nan")}, "NaN"),
        ({"exp": float("nan")}, "NaN"),
        ({"exp": float("inf")}, "Infinity"),
        ({"exp": NOW + TEN_YEARS, "iat": -1.0}, "claim iat is out of range"),
    ],
)
def test_panel_tokens_with_non_finite_or_out_of_range_times_are_refused(
    changes: dict[str, Any], reason: str
) -> None:
    claims = {"aud": "connect-zendesk-panel-socket", "cid": "c", "aid": "a", "iat": NOW, "exp": NOW + 60}
    with pytest.raises(TokenRejected, match=reason):
        verify_panel_token(signed_panel({**claims, **changes}), [KEY], now=NOW, contact_id=None)


def test_oversized_panel_tokens_are_refused_before_any_signature_check() -> None:
    with pytest.raises(TokenRejected, match="token longer than"):
        verify_panel_token("cz1." + "A" * 9000 + ".sig", [KEY], now=NOW, contact_id=None)


def test_the_real_time_functions_load_pyjwt_only_when_a_zendesk_jwt_is_verified() -> None:
    import subprocess
    import sys

    probe = "import sys, connect_zendesk.realtime.handlers; print('jwt' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"  # the authorizer and the stream consumers never pay for it
