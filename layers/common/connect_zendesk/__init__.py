"""connect-zendesk shared package: domain logic and adapters for the Lambda functions."""
