"""Automated-resolution (containment) metering.

A conversation whose contacts ended with a fulfilled self-service intent, no agent and no handoff is
a candidate. When its window has passed (72 h after its last candidate contact by default), it is
an automated resolution unless
- an agent connected on any of its contacts (escalated), or
- the same caller contacted the center again within the window (repeat_contact: the problem was
  not solved), or
- the caller's number is unknown, so a repeat contact cannot be ruled out (caller_unknown).
Each conversation is counted once, whatever number of contacts it had. The verdict is stored on its
contacts (`resolution`, set only if absent, which also makes the metric count once), added to their
analytics documents, and an automated resolution tags the ticket. Re-running is safe: an item leaves
the queue only after all of that is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices
from connect_zendesk.domain.call_outcome import Outcome
from connect_zendesk.domain.call_record import ContactRecord, iso
from connect_zendesk.domain.post_call_ports import PendingResolution
from connect_zendesk.errors import ServiceError
from connect_zendesk.observability import logger, metrics

AUTOMATED = "automated"
DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    at: str

    def to_item(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason, "at": self.at}

    def to_document(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason, "decided_at": self.at}


@dataclass
class MeteringReport:
    due: int = 0
    automated: int = 0
    disqualified: int = 0
    errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "automated": self.automated,
            "disqualified": self.disqualified,
            "errors": self.errors,
            "reasons": dict(self.reasons),
        }


def run_metering(services: CallServices) -> dict[str, Any]:
    now = services.now()
    window = timedelta(hours=services.settings.metering.window_hours)
    pending = services.resolution_queue.due(now)
    report = MeteringReport(due=len(pending))
    for item in pending:
        try:
            verdict = meter_conversation(item, now, window, services)
        except ServiceError as exc:
            # The item stays queued: the next run tries again.
            report.errors += 1
            metrics.add_metric(name="MeteringErrors", unit=MetricUnit.Count, value=1)
            logger.warning(
                "conversation not metered",
                extra={"conversation_id": item.conversation_id, "reason": str(exc)},
            )
            continue
        if verdict.verdict == AUTOMATED:
            report.automated += 1
        else:
            report.disqualified += 1
        report.reasons[verdict.reason] = report.reasons.get(verdict.reason, 0) + 1
    logger.info("metering run finished", extra=report.as_dict())
    return report.as_dict()


def meter_conversation(
    item: PendingResolution, now: datetime, window: timedelta, services: CallServices
) -> Verdict:
    contacts = [ContactRecord.from_item(cid, services.call_records.get(cid)) for cid in item.contact_ids]
    stored = next((c.resolution for c in contacts if c.resolution), None)
    verdict = _stored(stored) or decide(item, contacts, window, services, now)
    newly_recorded = [
        services.call_records.record_resolution(c.contact_id, verdict.to_item()) for c in contacts
    ]
    if any(newly_recorded):
        metrics.add_metric(name="MeteredConversations", unit=MetricUnit.Count, value=1)
        if verdict.verdict == AUTOMATED:
            metrics.add_metric(name="AutomatedResolutions", unit=MetricUnit.Count, value=1)
        else:
            metrics.add_metric(name="ResolutionsDisqualified", unit=MetricUnit.Count, value=1)
    for contact in contacts:
        key = contact.post_call.analytics_key
        document = services.analytics.get(key) if key else None
        if document is not None and document.get("resolution") != verdict.to_document():
            services.analytics.put(key, {**document, "resolution": verdict.to_document()})
    tag = services.settings.metering.automated_tag
    if verdict.verdict == AUTOMATED and tag:
        for ticket_id in sorted({c.post_call.ticket_id for c in contacts if c.post_call.ticket_id}):
            services.zendesk_tickets.add_tags(ticket_id, [tag])
    services.resolution_queue.remove(item.conversation_id)
    logger.info(
        "conversation metered",
        extra={"conversation_id": item.conversation_id, "verdict": verdict.verdict, "reason": verdict.reason},
    )
    return verdict


def decide(
    item: PendingResolution,
    contacts: list[ContactRecord],
    window: timedelta,
    services: CallServices,
    now: datetime,
) -> Verdict:
    at = iso(now)
    if any(c.agent_connected or c.outcome == Outcome.ESCALATED.value for c in contacts):
        return Verdict(DISQUALIFIED, "escalated", at)
    caller = item.caller_e164 or next((c.caller_e164 for c in contacts if c.caller_e164), "")
    if not caller:
        return Verdict(DISQUALIFIED, "caller_unknown", at)
    starts = [c.created_at for c in contacts if c.created_at] or [
        item.first_contact_at or item.due_at - window
    ]
    own = set(item.contact_ids)
    for other in services.call_records.contacts_by_caller(caller, after=min(starts), until=item.due_at):
        other_id = str(other.get("contactId", ""))
        if other_id in own:
            continue
        if str(other.get("initialContactId") or other_id) == item.conversation_id:
            if other.get("agentConnected") is True or other.get("outcome") == Outcome.ESCALATED.value:
                return Verdict(DISQUALIFIED, "escalated", at)
            continue
        return Verdict(DISQUALIFIED, "repeat_contact", at)
    return Verdict(AUTOMATED, "no_repeat_contact_within_window", at)


def _stored(resolution: Mapping[str, Any] | None) -> Verdict | None:
    if not resolution or resolution.get("verdict") not in (AUTOMATED, DISQUALIFIED):
        return None
    return Verdict(
        str(resolution["verdict"]), str(resolution.get("reason", "")), str(resolution.get("at", ""))
    )
