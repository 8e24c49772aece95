"""The self-service bot's intents (Lex V2 code hook), one module per group of intents.

`dispatcher.handle_turn` is the entry point; each handler gets a `turn.Turn` and returns a LexReply.
"""
