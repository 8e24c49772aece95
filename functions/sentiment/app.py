"""sentiment: the Transcripts table's stream to per-segment and per-contact sentiment, key phrases, alerts.

Behaviour: connect_zendesk.realtime.sentiment and the README ("Agent side panel").
"""

from connect_zendesk.realtime.handlers import sentiment_handler

lambda_handler = sentiment_handler()
