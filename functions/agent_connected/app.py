"""agent_connected: SQS (EventBridge CONNECTED_TO_AGENT contact events) -> the ticket, assigned to the
agent, the contact id on it, popped in the agent's browser. Behaviour: connect_zendesk.domain.agent_connected.
"""

from connect_zendesk.domain.agent_connected import process_agent_connected_message
from connect_zendesk.sqs.batch_step import sqs_batch_handler

REQUIRED_ENV = frozenset(
    {
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_SECRET_ARN",
        "CONTACTS_TABLE",
        "CACHE_TABLE",
        "AGENT_CONNECTED_QUEUE_URL",
        "AGENT_CONNECTED_DLQ_URL",
    }
)

lambda_handler = sqs_batch_handler(
    "agent_connected", process_agent_connected_message, required_env=REQUIRED_ENV
)
