"""panel_token: a Zendesk-signed request (ZAF secure request with a JWT) to a short-lived panel token.

Behaviour: connect_zendesk.realtime.panel_token and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import panel_token_handler

lambda_handler = panel_token_handler()
