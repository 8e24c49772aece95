"""Connect contact-flow events for the demo, tests and benchmarks, built from one documented shape."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from connect_zendesk_local.cfn_template import PROJECT_ROOT

EVENTS_DIR = PROJECT_ROOT / "events"


def load_event(relative: str) -> Any:
    return json.loads((EVENTS_DIR / relative).read_text(encoding="utf-8"))


def contact_flow_event(
    address: str | None,
    *,
    contact_id: str | None = None,
    language: str = "en-US",
    channel: str = "VOICE",
    parameters: dict[str, str] | None = None,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The known-caller sample with the caller, contact and language swapped in."""
    event: dict[str, Any] = copy.deepcopy(load_event("caller_lookup/known_caller.json"))
    data = event["Details"]["ContactData"]
    contact_id = contact_id or str(uuid.uuid4())
    data.update(ContactId=contact_id, InitialContactId=contact_id, PreviousContactId=contact_id)
    data.update(LanguageCode=language, Channel=channel, Attributes=attributes or {})
    data["CustomerEndpoint"] = None if address is None else {"Address": address, "Type": "TELEPHONE_NUMBER"}
    event["Details"]["Parameters"] = parameters or {}
    return event
