"""start_streaming: Amazon Connect flow step that starts live transcription of the call's audio.

Inputs, returned keys and behaviour: connect_zendesk.connect.contracts.START_STREAMING and the README.
"""

from connect_zendesk.connect.contracts import START_STREAMING
from connect_zendesk.connect.flow_step import contact_flow_handler
from connect_zendesk.kvs.start_streaming import start_streaming

lambda_handler = contact_flow_handler(START_STREAMING, start_streaming)
