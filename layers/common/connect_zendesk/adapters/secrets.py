"""The Zendesk API token, read from Secrets Manager and cached for a few minutes per container.

The token never leaves this module except as the argument that builds the HTTP client: it is not
logged, not put in environment variables, not returned to a caller.
"""

from __future__ import annotations

import json
import threading
import time

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.errors import NotConfigured, StorageError

MAX_AGE_SECONDS = 300  # a rotated token is picked up within five minutes
_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}


def zendesk_api_token(secret_id: str) -> str:
    with _lock:
        cached = _cache.get(secret_id)
        if cached and time.monotonic() - cached[1] < MAX_AGE_SECONDS:
            return cached[0]
    token = _read(secret_id)
    with _lock:
        _cache[secret_id] = (token, time.monotonic())
    return token


def forget_zendesk_api_token(secret_id: str | None = None) -> None:
    """Drop the cached token (after a 401, the secret may have been rotated)."""
    with _lock:
        if secret_id is None:
            _cache.clear()
        else:
            _cache.pop(secret_id, None)


def _read(secret_id: str) -> str:
    if not secret_id:
        raise NotConfigured("ZENDESK_SECRET_ARN is not set")
    try:
        response = aws_client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"}:
            raise NotConfigured(f"Zendesk secret unreadable: {code}") from None
        raise StorageError(f"Secrets Manager failed: {code}") from None
    except BotoCoreError as exc:
        raise StorageError(f"Secrets Manager unreachable: {type(exc).__name__}") from None
    return _token_from(response.get("SecretString") or "")


def _token_from(secret_string: str) -> str:
    """The secret holds {"api_token": "..."}; a bare token string is accepted too."""
    text = secret_string.strip()
    token = text
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise NotConfigured("Zendesk secret is not valid JSON") from None
        token = str(document.get("api_token") or document.get("token") or "").strip()
    if not token:
        raise NotConfigured("Zendesk secret has no api_token yet: put the API token in the secret")
    return token


def secret_fields(secret_id: str, *fields: str) -> dict[str, str]:
    """Named string fields of a JSON secret (the panel signing key, the Zendesk app's shared secret).

    Cached like the API token (`forget_zendesk_api_token()` forgets these too); a secret without the
    first field is a configuration error, the others are optional (e.g. a previous key in rotation).
    """
    cache_key = f"{secret_id}#{'/'.join(fields)}"
    with _lock:
        cached = _cache.get(cache_key)
        if cached and time.monotonic() - cached[1] < MAX_AGE_SECONDS:
            return dict(json.loads(cached[0]))
    if not secret_id:
        raise NotConfigured("secret ARN is not set")
    try:
        response = aws_client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"}:
            raise NotConfigured(f"secret unreadable: {code}") from None
        raise StorageError(f"Secrets Manager failed: {code}") from None
    except BotoCoreError as exc:
        raise StorageError(f"Secrets Manager unreachable: {type(exc).__name__}") from None
    try:
        document = json.loads(response.get("SecretString") or "{}")
    except ValueError:
        raise NotConfigured("secret is not valid JSON") from None
    values = {name: str(document.get(name) or "") for name in fields} if isinstance(document, dict) else {}
    if not values.get(fields[0]):
        raise NotConfigured(f"secret has no {fields[0]}")
    with _lock:
        _cache[cache_key] = (json.dumps(values), time.monotonic())
    return values
