"""Tolerant parsing of the Connect "Invoke AWS Lambda function" event.

Real events vary (see CONTRACTS.md A.6): null endpoints, "Voice" vs "VOICE", events with only
`Details.Parameters`, extra fields. Anything we cannot use becomes an empty value, never an exception,
except an event that is not a contact-flow event at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connect_zendesk.untrusted import EVENT, UntrustedInput, check_shape

_CONTACT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}$")


class InvalidFlowEvent(ValueError):
    error_type = "InvalidEvent"


@dataclass(frozen=True)
class FlowRequest:
    contact_id: str = ""
    initial_contact_id: str = ""
    instance_arn: str = ""
    channel: str = ""
    customer_address: str = ""
    customer_endpoint_type: str = ""
    language_code: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    dropped_fields: tuple[str, ...] = ()  # non-string or nested values we ignored, for the log
    # Details.ContactData.MediaStreams.Customer.Audio (Start media streaming); '' when null or absent
    audio_stream_arn: str = ""
    audio_start_fragment_number: str = ""
    audio_start_timestamp: str = ""

    def value(self, name: str) -> str:
        """A flow parameter, else the contact attribute of the same name, else ''."""
        return self.parameters.get(name, "").strip() or self.attributes.get(name, "").strip()


def parse_flow_event(event: Any) -> FlowRequest:
    if not isinstance(event, Mapping) or not isinstance(event.get("Details"), Mapping):
        raise InvalidFlowEvent("event has no Details object: not a Connect contact-flow event")
    try:
        check_shape(event, EVENT)  # Connect sends flat string maps: depth and NaN only come from forgeries
    except UntrustedInput as exc:
        raise InvalidFlowEvent(f"event refused: {exc}") from None
    details = event["Details"]
    contact = _mapping(details.get("ContactData"))
    endpoint = _mapping(contact.get("CustomerEndpoint"))
    dropped: list[str] = []
    parameters = _string_map(details.get("Parameters"), "Parameters", dropped)
    attributes = _string_map(contact.get("Attributes"), "Attributes", dropped)
    return FlowRequest(
        contact_id=_contact_id(contact.get("ContactId")),
        initial_contact_id=_contact_id(contact.get("InitialContactId")),
        instance_arn=_text(contact.get("InstanceARN")),
        channel=_text(contact.get("Channel")).upper(),
        customer_address=_text(endpoint.get("Address")),
        customer_endpoint_type=_text(endpoint.get("Type")).upper(),
        language_code=_text(contact.get("LanguageCode")),
        parameters=parameters,
        attributes=attributes,
        dropped_fields=tuple(dropped),
        **_customer_audio(contact),
    )


def _customer_audio(contact: Mapping[str, Any]) -> dict[str, str]:
    audio = _mapping(_mapping(_mapping(contact.get("MediaStreams")).get("Customer")).get("Audio"))
    return {
        "audio_stream_arn": _text(audio.get("StreamARN")),
        "audio_start_fragment_number": _text(audio.get("StartFragmentNumber")),
        "audio_start_timestamp": _text(audio.get("StartTimestamp")),
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _contact_id(value: Any) -> str:
    text = _text(value)
    return text if _CONTACT_ID.match(text) else ""


def _string_map(value: Any, where: str, dropped: list[str]) -> dict[str, str]:
    """Connect sends string maps; numbers and booleans from hand-made events are stringified."""
    result: dict[str, str] = {}
    for key, item in _mapping(value).items():
        if isinstance(item, str):
            result[str(key)] = item
        elif isinstance(item, bool):
            result[str(key)] = "true" if item else "false"
        elif isinstance(item, (int, float)):
            result[str(key)] = str(item)
        elif item is not None:
            dropped.append(f"{where}.{key}")
    return result
