"""DescribeUser for the connect-time step's agent mapping (`GET /users/{InstanceId}/{UserId}`).

Answers `{"User": {"Id", "Arn", "Username", "IdentityInfo": {"Email", "FirstName", "LastName"}, ...}}`
as Connect documents it; an unknown user is ResourceNotFoundException (404), an id out of the
documented lengths InvalidParameterException (400). Users are seeded with `put_user`.
Registered in the server's route table (one entry, like DescribeContact).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import Any

from connect_zendesk_local.connect_emulator import server
from connect_zendesk_local.connect_emulator.server import ConnectApiError, ConnectEmulator

_USERS: weakref.WeakKeyDictionary[ConnectEmulator, dict[tuple[str, str], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def put_user(
    emulator: ConnectEmulator, instance_id: str, user_id: str, *, username: str, email: str = ""
) -> None:
    """Seed a Connect user (an agent) of the instance."""
    identity = {"FirstName": username.split("@", maxsplit=1)[0], "LastName": "Agent"}
    if email:
        identity["Email"] = email
    _USERS.setdefault(emulator, {})[(instance_id, user_id)] = {
        "Id": user_id,
        "Arn": f"arn:aws:connect:us-east-1:123456789012:instance/{instance_id}/agent/{user_id}",
        "Username": username,
        "IdentityInfo": identity,
        "PhoneConfig": {"PhoneType": "SOFT_PHONE", "AutoAccept": False, "AfterContactWorkTimeLimit": 0},
        "SecurityProfileIds": [],
        "RoutingProfileId": "routing-profile-1",
    }


def describe_user(emulator: ConnectEmulator, params: Mapping[str, str], _body: Any) -> dict[str, Any]:
    instance_id, user_id = params["InstanceId"], params["UserId"]
    if not 1 <= len(instance_id) <= 100 or not 1 <= len(user_id) <= 256:
        raise ConnectApiError(400, "InvalidParameterException", "1 validation error detected")
    user = _USERS.get(emulator, {}).get((instance_id, user_id))
    if user is None:
        raise ConnectApiError(404, "ResourceNotFoundException", "User not found")
    return {"User": dict(user)}


server.ROUTES = (
    *server.ROUTES,
    ("GET", re.compile(r"^/users/(?P<InstanceId>[^/]+)/(?P<UserId>[^/]+)$"), "DescribeUser", describe_user),
)
