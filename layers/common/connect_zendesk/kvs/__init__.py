"""The KVS audio path: Connect's live call audio from Kinesis Video Streams to Amazon Transcribe streaming.

`ebml` reads the Matroska stream incrementally, `fragments` turns it into Connect fragments (per-track
PCM, fragment number, contact id), `transcriber` runs one invocation of kvs_transcriber (Transcribe
session, seam, continuation), `start_streaming` is the contact-flow step that starts it. What the path
needs from the outside world is in `ports`.
"""
