"""The contract table: what each contact-flow function reads and returns.

One table serves the handlers (which keys a response may carry), the template Outputs text, the
README's flow-designer guide and the flow tests, so none of them can drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlowContract:
    function: str
    summary: str
    parameters: tuple[str, ...]  # read from Details.Parameters (or the contact attribute of that name)
    returns: tuple[str, ...]  # keys of the flat response, read in the flow as $.External.<key>
    required_env: frozenset[str]  # checked at cold start


ZENDESK_LOOKUP_ENV = frozenset(
    {"ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_SECRET_ARN", "CONTACTS_TABLE", "CACHE_TABLE"}
)


CALLER_LOOKUP = FlowContract(
    function="caller_lookup",
    summary=(
        "Caller's phone number (the telephone endpoint) to their Zendesk end-user; a keyed-in number "
        "that is not the caller's identifies nobody."
    ),
    parameters=("phoneNumber", "language"),
    returns=(
        "lambdaResult",
        "zendeskUserId",
        "customerName",
        "customerFirstName",
        "matchCount",
        "identity",
        "skipReason",
        "errorType",
    ),
    required_env=ZENDESK_LOOKUP_ENV,
)

TICKET_LOOKUP = FlowContract(
    function="ticket_lookup",
    summary="The caller's open Zendesk tickets, newest update first, with a sentence to speak.",
    parameters=("zendeskUserId", "phoneNumber", "language"),
    returns=(
        "lambdaResult",
        "zendeskUserId",
        "openTicketCount",
        "ticketId",
        "ticketSubject",
        "ticketStatus",
        "ticketIds",
        "ticketPrompt",
        "identity",
        "skipReason",
        "errorType",
    ),
    required_env=ZENDESK_LOOKUP_ENV,
)

START_STREAMING = FlowContract(
    function="start_streaming",
    summary=(
        "Starts live transcription of the call's audio (KVS → Amazon Transcribe) after a Start media "
        "streaming block; returns at once."
    ),
    parameters=("language", "vocabularyName"),
    returns=("lambdaResult", "runId", "language", "skipReason", "errorType"),
    required_env=frozenset({"KVS_TRANSCRIBER_FUNCTION"}),
)

FLOW_CONTRACTS: dict[str, FlowContract] = {
    c.function: c for c in (CALLER_LOOKUP, TICKET_LOOKUP, START_STREAMING)
}


@dataclass(frozen=True)
class BotContract:
    """What a contact flow exchanges with the self-service Lex bot (Get customer input, Amazon Lex)."""

    # Session attributes the flow may pass in. None is an identity: the bot trusts the Contacts record
    # the flow functions wrote for the contact, and checks these against it.
    session_parameters: tuple[str, ...]
    returns: tuple[str, ...]  # session attributes the flow reads back as $.Lex.SessionAttributes.<key>
    handoff_reasons: tuple[str, ...]  # values of handoffReason when handoff is "true"


SELF_SERVICE_BOT = BotContract(
    session_parameters=("contactId", "callerNumber", "offeredTicketId"),
    returns=("handoff", "handoffReason", "zendeskTicketId", "selectedTicketId"),
    handoff_reasons=("SpeakToAgent", "Fallback", "Error"),
)
