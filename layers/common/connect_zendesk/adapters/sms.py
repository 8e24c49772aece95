"""Text messages through Amazon SNS (Publish to a phone number), never fatal to the caller's request.

Only E.164 numbers are accepted; a refused or failed send is logged (number masked, text never) and
counted, and the bot carries on: the confirmation it has just spoken is what matters.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.observability import logger, metrics
from connect_zendesk.pii import mask_phone
from connect_zendesk.settings import SmsSettings

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_SMS_CHARS = 600  # a few segments at most; SNS rejects messages over 1600 bytes


class SnsSms:
    def __init__(self, settings: SmsSettings) -> None:
        self._settings = settings

    def send(self, e164: str, text: str) -> bool:
        if not self._settings.enabled:
            logger.info("sms disabled, not sent", extra={"to": mask_phone(e164)})
            return False
        if not E164.match(e164 or ""):
            logger.warning("sms not sent: not an E.164 number", extra={"to": mask_phone(e164)})
            metrics.add_metric(name="SmsFailed", unit=MetricUnit.Count, value=1)
            return False
        try:
            aws_client("sns").publish(
                PhoneNumber=e164, Message=text[:MAX_SMS_CHARS], MessageAttributes=self._attributes()
            )
        except (ClientError, BotoCoreError) as exc:
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            logger.warning(
                "sms not sent", extra={"to": mask_phone(e164), "reason": code or type(exc).__name__}
            )
            metrics.add_metric(name="SmsFailed", unit=MetricUnit.Count, value=1)
            return False
        metrics.add_metric(name="SmsSent", unit=MetricUnit.Count, value=1)
        logger.info("sms sent", extra={"to": mask_phone(e164)})
        return True

    def _attributes(self) -> dict[str, Any]:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._settings.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self._settings.sender_id,
            }
        if self._settings.origination_number:
            attributes["AWS.MM.SMS.OriginationNumber"] = {
                "DataType": "String",
                "StringValue": self._settings.origination_number,
            }
        return attributes
