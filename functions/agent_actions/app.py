"""agent_actions: the top bar's signed requests (POST /outbound-link, POST /recording) on the panel's
HTTP API. Behaviour: connect_zendesk.realtime.agent_actions and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import agent_actions_handler

lambda_handler = agent_actions_handler()
