"""panel_authorizer: the WebSocket API's $connect authorizer (REQUEST type, panel token in the query).

Behaviour: connect_zendesk.realtime.panel_socket.authorize and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import panel_authorizer_handler

lambda_handler = panel_authorizer_handler()
