"""The reconciliation sweep: pending contacts nobody heard of since the grace period get their event.

A run reads the pending index from its stored cursor, oldest last activity first, up to the grace
cutoff, and for each contact
- post_call_update already worked on it (the real event arrived): takes it out of the index;
- already sent `max_resends` times with no outcome: closes it as unreconcilable (logged, counted);
- otherwise asks Connect (at most `max_contacts_per_run` DescribeContact calls per run):
  ended more than the grace ago: sends the DISCONNECTED event the rule would have sent, marked
  reconciled (ContactsReconciled); still live or ended just now: leaves it for a later run;
  TASK/EMAIL: closes it (post_call_update writes no note for those); unknown to Connect: closes it
  as unreconcilable with the reason. ThrottlingException ends the run where it is.
The cursor is saved after every contact, so a run cut short resumes there; when a run reaches the
cutoff the next one starts from the oldest entry again. A late real event and a reconciled one are
one note: post_call_update's idempotency is keyed by contact id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices
from connect_zendesk.observability import logger, metrics
from connect_zendesk.reconciliation.contact_event import disconnected_event
from connect_zendesk.reconciliation.ports import (
    ConnectContacts,
    ConnectThrottled,
    ContactNotFound,
    Cursor,
    PendingContact,
    PendingContacts,
    PostCallSender,
)
from connect_zendesk.settings import ReconcileSettings

NOTED_CHANNELS = frozenset({"VOICE", "CHAT"})  # the channels post_call_update writes a note for
INDEX_PAGE = 50  # index entries read per query: a run reads a few pages, never the table
ENTRIES_PER_DESCRIBE = 10  # a run also stops after this many index entries per allowed Connect call


@dataclass
class SweepReport:
    examined: int = 0
    described: int = 0
    reconciled: int = 0
    unreconcilable: int = 0
    live: int = 0
    already_handled: int = 0
    closed: int = 0
    throttled: bool = False
    wrapped: bool = False  # the run reached the cutoff: the next one starts from the oldest entry
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "described": self.described,
            "reconciled": self.reconciled,
            "unreconcilable": self.unreconcilable,
            "live": self.live,
            "alreadyHandled": self.already_handled,
            "closed": self.closed,
            "throttled": self.throttled,
            "wrapped": self.wrapped,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class Sweep:
    settings: ReconcileSettings
    pending: PendingContacts
    connect: ConnectContacts
    sender: PostCallSender

    def run(self, now: datetime) -> SweepReport:
        grace = timedelta(minutes=self.settings.grace_minutes)
        cutoff = _stamp(now - grace)
        report = SweepReport()
        cursor = self.pending.cursor()
        max_entries = self.settings.max_contacts_per_run * ENTRIES_PER_DESCRIBE
        while report.described < self.settings.max_contacts_per_run and report.examined < max_entries:
            page = [
                entry
                for entry in self.pending.pending(cursor, cutoff, INDEX_PAGE)
                if not (entry.updated_at == cursor.updated_at and entry.contact_id in cursor.contact_ids)
            ]
            if not page:
                report.wrapped = True
                cursor = Cursor()
                break
            for entry in page:
                if report.described >= self.settings.max_contacts_per_run or report.examined >= max_entries:
                    break
                try:
                    self._examine(entry, now, grace, report)
                except ConnectThrottled:
                    report.throttled = True
                    logger.warning("Connect throttled the sweep: the next run resumes here")
                    break
                cursor = _advance(cursor, entry)
                self.pending.save_cursor(cursor)
            if report.throttled:
                break
        if report.wrapped:
            self.pending.save_cursor(cursor)
        metrics.add_metric(name="ContactsReconciled", unit=MetricUnit.Count, value=report.reconciled)
        metrics.add_metric(name="ContactsUnreconcilable", unit=MetricUnit.Count, value=report.unreconcilable)
        if report.reconciled:
            # Each of these is a DISCONNECTED event EventBridge did not deliver (README runbook).
            logger.warning("contact events were lost: reconciled", extra=report.as_dict())
        else:
            logger.info("reconciliation run finished", extra=report.as_dict())
        return report

    def _examine(self, entry: PendingContact, now: datetime, grace: timedelta, report: SweepReport) -> None:
        report.examined += 1
        if entry.post_call_status or entry.outcome:
            # post_call_update has it (done, failed to the dead-letter queue, or still retrying).
            report.already_handled += 1
            self.pending.close(entry.contact_id, "post_call_started")
            return
        if entry.resends >= self.settings.max_resends:
            self._unreconcilable(entry, "no_outcome_after_resends", report)
            return
        instance_arn = entry.instance_arn or self.settings.connect_instance_arn
        if not instance_arn:
            self._unreconcilable(entry, "instance_unknown", report)
            return
        report.described += 1
        try:
            contact = self.connect.describe(instance_arn, entry.contact_id)
        except ContactNotFound:
            self._unreconcilable(entry, "contact_not_found", report)
            return
        if contact.channel and contact.channel.upper() not in NOTED_CHANNELS:
            report.closed += 1
            self.pending.close(entry.contact_id, f"channel_{contact.channel.lower()}")
            return
        if contact.disconnected_at is None or now - contact.disconnected_at < grace:
            # Live, or ended so recently that its real event may still be on its way.
            report.live += 1
            return
        self.sender.send(disconnected_event(contact, instance_arn, now=now))
        self.pending.mark_sent(entry.contact_id, entry.resends + 1)
        report.reconciled += 1
        logger.info(
            "contact reconciled: its DISCONNECTED event never arrived",
            extra={"contact_id": entry.contact_id, "resends": entry.resends + 1},
        )

    def _unreconcilable(self, entry: PendingContact, reason: str, report: SweepReport) -> None:
        report.unreconcilable += 1
        report.reasons[reason] = report.reasons.get(reason, 0) + 1
        self.pending.close(entry.contact_id, reason)
        logger.warning(
            "contact closed without a post-call update",
            extra={"contact_id": entry.contact_id, "reason": reason},
        )


def _advance(cursor: Cursor, entry: PendingContact) -> Cursor:
    if entry.updated_at == cursor.updated_at:
        return Cursor(cursor.updated_at, (*cursor.contact_ids, entry.contact_id))
    return Cursor(entry.updated_at, (entry.contact_id,))


def _stamp(moment: datetime) -> str:
    """The Contacts table's timestamp format (updatedAt): ISO-8601 UTC with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def run_reconciliation(services: CallServices) -> dict[str, Any]:
    """The scheduled step (functions/post_call_reconciliation)."""
    sweep = Sweep(
        services.settings.reconciliation,
        services.pending_contacts,
        services.connect_contacts,
        services.post_call_sender,
    )
    return sweep.run(services.now()).as_dict()
