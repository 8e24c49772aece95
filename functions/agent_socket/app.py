"""agent_socket: the panel WebSocket API's $connect, $disconnect, saveNote and sync routes.

Behaviour: connect_zendesk.realtime.panel_socket and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import agent_socket_handler

lambda_handler = agent_socket_handler()
