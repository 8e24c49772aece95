"""post_call_reconciliation: on a schedule, sends the post-call queue the DISCONNECTED event of every
contact whose event never arrived. Behaviour: connect_zendesk.reconciliation.sweep and the README.
"""

from connect_zendesk.reconciliation.sweep import run_reconciliation
from connect_zendesk.scheduled_step import scheduled_handler

REQUIRED_ENV = frozenset({"CONTACTS_TABLE", "POST_CALL_QUEUE_URL"})

lambda_handler = scheduled_handler("post_call_reconciliation", run_reconciliation, required_env=REQUIRED_ENV)
