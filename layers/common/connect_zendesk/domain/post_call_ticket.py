"""Writing the call's note to Zendesk exactly once, whatever crashes or repeats.

The Powertools idempotency record makes a repeat of a finished update a no-op. This module covers
what it cannot: a crash after Zendesk accepted the note but before the record was saved. Before
writing, the Contacts item's `postCall` is set to WRITING; an attempt that finds any earlier state
first asks Zendesk whether the note is already there — a comment with the contact's marker on an
existing ticket, or a ticket with the contact's external id — and writes only if not. A write Zendesk
applies late (after the attempt that sent it gave up) cannot make a second note either: the note is
a safe update and the ticket creation carries an idempotency key (see the Zendesk adapter).

Ticket choice: the ticket agent_connected assigned when the agent answered; then the ticket chosen
on the contact (confirmed in the IVR or created at handoff);
otherwise a new ticket for the caller's Zendesk user, channel voice; for an unknown number, a new
end-user when the configuration allows it. A chosen ticket that is closed or deleted gets a new
follow-up ticket instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from aws_lambda_powertools.metrics import MetricUnit

from connect_zendesk.call_services import CallServices
from connect_zendesk.domain.call_record import ContactRecord, PostCallState, iso
from connect_zendesk.domain.caller_lookup import matching_users
from connect_zendesk.domain.post_call_note import RenderedNote, comment_marker
from connect_zendesk.domain.post_call_ports import NoteAttachment, TicketDraft
from connect_zendesk.errors import ZendeskNotFound, ZendeskRejected
from connect_zendesk.observability import logger, metrics
from connect_zendesk.phone import CallerNumber, normalise

VIA_CHANNELS = {"VOICE": "voice"}  # Zendesk's via channel for tickets created from calls


@dataclass(frozen=True)
class NoteWrite:
    status: str  # written | already_written | skipped
    ticket_id: int | None = None
    ticket_created: bool = False
    created_user_id: int | None = None
    transcript_attached: bool = False
    reason: str = ""


@dataclass(frozen=True)
class NoteRequest:
    contact: ContactRecord
    note: RenderedNote
    subject: str
    channel: str
    tags: Sequence[str]
    audio: NoteAttachment | None = None
    analytics_key: str = ""


def external_id(contact_id: str) -> str:
    return f"connect-contact:{contact_id}"


def write_note_once(request: NoteRequest, services: CallServices) -> NoteWrite:
    contact = request.contact
    marker = comment_marker(contact.contact_id)
    earlier_attempt = bool(contact.post_call.status)
    state = PostCallState(
        status="WRITING",
        ticket_id=contact.selected_ticket_id,
        comment_marker=marker,
        created_user_id=contact.post_call.created_user_id,
        analytics_key=request.analytics_key,
        at=iso(services.now()),
    )
    services.call_records.record_post_call(contact.contact_id, state)
    uploads = _Uploads(request, services)
    follow_up_of: int | None = None
    # The ticket agent_connected assigned at connect time first: the note goes where the agent worked.
    selected = (
        contact.connected_ticket_id
        or contact.selected_ticket_id
        or (contact.handoff.ticket_id if contact.handoff else None)
    )
    if selected is not None:
        try:
            written = services.zendesk_tickets.add_internal_note_once(
                selected,
                request.note.body,
                marker=marker,
                tags=request.tags,
                upload_tokens=uploads.tokens,
                look_first=earlier_attempt,
            )
            if not written:
                logger.info("note already on the ticket: not written again", extra={"ticket_id": selected})
                return NoteWrite("already_written", selected)
        except (ZendeskNotFound, ZendeskRejected) as exc:
            # Closed tickets take no comments and deleted ones are gone: the call gets a follow-up ticket.
            logger.warning("chosen ticket refused the note: creating a follow-up", extra={"reason": str(exc)})
            follow_up_of = selected
        else:
            return NoteWrite("written", selected, transcript_attached=uploads.transcript_attached)

    requester, created_user = _requester(contact, services, earlier_attempt)
    if requester is None:
        logger.info("no ticket for this contact: unknown caller and no end-user may be created")
        return NoteWrite("skipped", reason="NoRequester")
    if created_user is not None:
        state = dataclasses.replace(state, created_user_id=created_user)
        services.call_records.record_post_call(contact.contact_id, state)
    if earlier_attempt:
        existing = services.zendesk_tickets.tickets_with_external_id(external_id(contact.contact_id))
        if existing:
            logger.info(
                "ticket for this contact already exists: not created again", extra={"ticket_id": existing[0]}
            )
            return NoteWrite("already_written", existing[0], created_user_id=created_user)
    body = request.note.body
    if follow_up_of is not None:
        body = f"Follow-up to ticket #{follow_up_of} (closed or deleted).\n\n{body}"
    ticket_id = services.zendesk_tickets.create_ticket(
        TicketDraft(
            requester_id=requester,
            subject=request.subject,
            note=body,
            tags=request.tags,
            external_id=external_id(contact.contact_id),
            channel=VIA_CHANNELS.get(request.channel, "api"),
            upload_tokens=uploads.tokens(),
        )
    )
    metrics.add_metric(name="PostCallTicketCreated", unit=MetricUnit.Count, value=1)
    return NoteWrite(
        "written",
        ticket_id,
        ticket_created=True,
        created_user_id=created_user,
        transcript_attached=uploads.transcript_attached,
    )


def _requester(
    contact: ContactRecord, services: CallServices, earlier_attempt: bool
) -> tuple[int | None, int | None]:
    """(requester id, id of an end-user created for this call)."""
    if contact.zendesk_user_id is not None:
        return contact.zendesk_user_id, None
    if contact.post_call.created_user_id is not None:
        return contact.post_call.created_user_id, contact.post_call.created_user_id
    settings = services.settings
    number = normalise(contact.caller_e164, settings.default_phone_region) if contact.caller_e164 else None
    if not isinstance(number, CallerNumber) or not settings.post_call.create_unknown_callers:
        return None, None
    # Someone (an agent during the call, an earlier crashed attempt) may have created the user since
    # the caller lookup: search before creating a duplicate.
    found = matching_users(number, services.zendesk)
    if found:
        return found[0].id, (found[0].id if earlier_attempt else None)
    user_id = services.zendesk_tickets.create_end_user(_caller_name(number), number.e164)
    metrics.add_metric(name="PostCallEndUserCreated", unit=MetricUnit.Count, value=1)
    logger.info("end-user created for an unknown caller", extra={"zendesk_user_id": user_id})
    return user_id, user_id


def _caller_name(number: CallerNumber) -> str:
    parsed = phonenumbers.parse(number.e164)
    return f"Caller {phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}"


class _Uploads:
    """Uploads the note's files once, on first need, grouped under one token."""

    def __init__(self, request: NoteRequest, services: CallServices) -> None:
        self._files = [f for f in (request.note.attachment, request.audio) if f is not None]
        self._services = services
        self._tokens: list[str] | None = None
        self.transcript_attached = request.note.attachment is not None

    def tokens(self) -> list[str]:
        if self._tokens is None:
            token: str | None = None
            for attachment in self._files:
                token = self._services.zendesk_tickets.upload(attachment, token)
            self._tokens = [token] if token else []
            if self._files:
                metrics.add_metric(name="PostCallAttachments", unit=MetricUnit.Count, value=len(self._files))
        return self._tokens
