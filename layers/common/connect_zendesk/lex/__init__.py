"""Amazon Lex V2 code-hook contract: event parsing, responses, the contract checker, the runner,
and the bot's intents and slots (shared with the bot definition in template.yaml)."""
