"""caller_lookup: Amazon Connect flow step, caller's phone number to their Zendesk end-user.

Inputs, returned keys and behaviour: connect_zendesk.connect.contracts.CALLER_LOOKUP and the README.
"""

from connect_zendesk.connect.contracts import CALLER_LOOKUP
from connect_zendesk.connect.flow_step import contact_flow_handler
from connect_zendesk.domain.caller_lookup import lookup_caller

lambda_handler = contact_flow_handler(CALLER_LOOKUP, lookup_caller)
