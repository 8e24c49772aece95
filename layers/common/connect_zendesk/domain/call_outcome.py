"""How a contact ended, for containment metering: escalated, bot-resolved candidate, or abandoned."""

from __future__ import annotations

import enum

from connect_zendesk.connect.contact_event import ContactEvent
from connect_zendesk.domain.call_record import ContactRecord


class Outcome(enum.StrEnum):
    ESCALATED = "escalated"  # an agent connected
    BOT_RESOLVED_CANDIDATE = "bot_resolved_candidate"  # self-service intent fulfilled, no agent or handoff
    ABANDONED = "abandoned"  # neither: the caller hung up, or waited in vain after a handoff

    @property
    def label(self) -> str:
        return {
            Outcome.ESCALATED: "handled by an agent",
            Outcome.BOT_RESOLVED_CANDIDATE: (
                "resolved in self-service without an agent (automated-resolution candidate)"
            ),
            Outcome.ABANDONED: "ended without an agent and without a completed self-service task",
        }[self]


def classify(event: ContactEvent, contact: ContactRecord) -> Outcome:
    if event.agent_connected or contact.agent_connected:
        return Outcome.ESCALATED
    # A handoff asked for an agent: even if one never came, the bot did not resolve the call.
    if contact.fulfilled_intents and contact.handoff is None:
        return Outcome.BOT_RESOLVED_CANDIDATE
    return Outcome.ABANDONED
