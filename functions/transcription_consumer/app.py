"""transcription_consumer: Contact Lens real-time segments (Kinesis) to the Transcripts table and the panel.

Behaviour: connect_zendesk.realtime.transcription and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import transcription_consumer_handler

lambda_handler = transcription_consumer_handler()
