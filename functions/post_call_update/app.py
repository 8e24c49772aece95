"""post_call_update: SQS (EventBridge DISCONNECTED contact events) -> one internal note per contact,
the call's analytics document, its outcome. Behaviour: connect_zendesk.domain.post_call and the README.
"""

from connect_zendesk.domain.post_call import process_contact_event_message, record_give_up
from connect_zendesk.sqs.batch_step import sqs_batch_handler

REQUIRED_ENV = frozenset(
    {
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_SECRET_ARN",
        "CONTACTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "ANALYTICS_BUCKET",
        "POST_CALL_QUEUE_URL",
        "POST_CALL_DLQ_URL",
        "RESOLUTION_QUEUE_TABLE",
    }
)

lambda_handler = sqs_batch_handler(
    "post_call_update", process_contact_event_message, required_env=REQUIRED_ENV, on_give_up=record_give_up
)
