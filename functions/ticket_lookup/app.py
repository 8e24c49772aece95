"""ticket_lookup: Amazon Connect flow step, the caller's open Zendesk tickets and a prompt to speak.

Inputs, returned keys and behaviour: connect_zendesk.connect.contracts.TICKET_LOOKUP and the README.
"""

from connect_zendesk.connect.contracts import TICKET_LOOKUP
from connect_zendesk.connect.flow_step import contact_flow_handler
from connect_zendesk.domain.ticket_lookup import lookup_tickets

lambda_handler = contact_flow_handler(TICKET_LOOKUP, lookup_tickets)
