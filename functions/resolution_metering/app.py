"""resolution_metering: on a schedule, turns bot-resolved conversations whose window has passed into
automated resolutions (or not). Behaviour: connect_zendesk.domain.resolution_metering and the README.
"""

from connect_zendesk.domain.resolution_metering import run_metering
from connect_zendesk.scheduled_step import scheduled_handler

REQUIRED_ENV = frozenset(
    {
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_SECRET_ARN",
        "CONTACTS_TABLE",
        "ANALYTICS_BUCKET",
        "RESOLUTION_QUEUE_TABLE",
    }
)

lambda_handler = scheduled_handler("resolution_metering", run_metering, required_env=REQUIRED_ENV)
