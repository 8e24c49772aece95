"""The real-time agent experience: Contact Lens segments, transcripts, sentiment, the panel's socket.

Shared by the Contact Lens consumer, the sentiment function, the WebSocket handlers and the KVS
transcriber (issue 7), which writes identical segments and pushes partials through the same code.
"""
