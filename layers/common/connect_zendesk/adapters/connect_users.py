"""Amazon Connect DescribeUser for the agent mapping (Connect agent -> username and email)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import aws_client
from connect_zendesk.domain.agent_connected_ports import ConnectAgent
from connect_zendesk.errors import NotConfigured, ServiceError

NOT_FOUND = "ResourceNotFoundException"


class ConnectUnavailable(ServiceError):
    """Throttling, an internal error or the network: the message is retried later."""

    error_type = "ConnectUnavailable"


class ConnectUserDirectory:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def describe(self, instance_id: str, agent_id: str) -> ConnectAgent | None:
        if not instance_id:
            raise NotConfigured("no Connect instance id (CONNECT_INSTANCE_ID or the event's instanceArn)")
        client = self._client or aws_client("connect", "batch")
        try:
            user = client.describe_user(InstanceId=instance_id, UserId=agent_id).get("User") or {}
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == NOT_FOUND:
                return None
            # InvalidParameter/InvalidRequest cannot be fixed by a retry either, but they mean a broken
            # event or configuration: the DLQ keeps the message for a look.
            raise ConnectUnavailable(f"DescribeUser failed: {code or 'ClientError'}") from None
        except BotoCoreError as exc:
            raise ConnectUnavailable(f"DescribeUser failed: {type(exc).__name__}") from None
        info = user.get("IdentityInfo")
        identity: dict[str, Any] = info if isinstance(info, dict) else {}
        return ConnectAgent(
            user_id=str(user.get("Id") or agent_id),
            username=str(user.get("Username") or ""),
            email=str(identity.get("Email") or ""),
        )
