"""SuspendContactRecording / ResumeContactRecording (`POST /contact/suspend-recording`,
`POST /contact/resume-recording`, body `{"InstanceId", "ContactId", "InitialContactId"}`) for the top
bar's pause button. Answers `{}`; a contact the emulator does not hold is ResourceNotFoundException
(404), a body without the ids InvalidRequestException (400). Each call is kept in `recording_calls`.
Registered in the server's route table, like DescribeContact.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import Any

from connect_zendesk_local.connect_emulator import server
from connect_zendesk_local.connect_emulator.server import ConnectApiError, ConnectEmulator

_CALLS: weakref.WeakKeyDictionary[ConnectEmulator, list[tuple[str, str]]] = weakref.WeakKeyDictionary()


def recording_calls(emulator: ConnectEmulator) -> list[tuple[str, str]]:
    """(`suspend` or `resume`, contact id) of every accepted call, oldest first."""
    return _CALLS.setdefault(emulator, [])


def _handler(action: str) -> server.Handler:
    def handle(emulator: ConnectEmulator, _params: Mapping[str, str], body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        instance_id, contact_id = str(body.get("InstanceId") or ""), str(body.get("ContactId") or "")
        if not instance_id or not contact_id or not body.get("InitialContactId"):
            raise ConnectApiError(
                400, "InvalidRequestException", "InstanceId, ContactId and InitialContactId"
            )
        if emulator.contact(instance_id, contact_id) is None:
            raise ConnectApiError(404, "ResourceNotFoundException", "Contact not found")
        recording_calls(emulator).append((action, contact_id))
        return {}

    return handle


server.ROUTES = (
    *server.ROUTES,
    ("POST", re.compile(r"^/contact/suspend-recording$"), "SuspendContactRecording", _handler("suspend")),
    ("POST", re.compile(r"^/contact/resume-recording$"), "ResumeContactRecording", _handler("resume")),
)
