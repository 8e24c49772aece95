"""SQS queue consumers: message parsing, retry decisions (visibility delays, not sleeps), the runner."""
