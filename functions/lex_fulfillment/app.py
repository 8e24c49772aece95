"""lex_fulfillment: the self-service bot's Lex V2 code hook (dialog validation and fulfillment).

Intents, slots, session attributes and behaviour: connect_zendesk.lex.intents and the README's
"Self-service bot" section.
"""

from connect_zendesk.domain.self_service.dispatcher import handle_turn
from connect_zendesk.lex.code_hook import REQUIRED_ENV, lex_code_hook_handler

lambda_handler = lex_code_hook_handler(handle_turn, REQUIRED_ENV)
