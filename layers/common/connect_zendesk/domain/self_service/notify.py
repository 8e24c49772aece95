"""Confirmation text messages, in the caller's language, to the number they are calling from."""

from __future__ import annotations

from connect_zendesk.domain.self_service.turn import Turn
from connect_zendesk.messages import message


def send_sms(turn: Turn, key: str, *, to: str = "", **values: object) -> bool:
    """True when the SMS went out. Never raises: a failed SMS must not undo what the caller did."""
    number = to or turn.sms_number
    if not number:
        return False
    return turn.services.sms.send(number, message(turn.locale, key, **values))
