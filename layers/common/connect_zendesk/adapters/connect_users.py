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


class ConnectContactControl:
    """DescribeContact (who the agent is), SuspendContactRecording / ResumeContactRecording."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _connect(self) -> Any:
        return self._client or aws_client("connect")

    def contact_agent(self, instance_id: str, contact_id: str) -> tuple[str, str]:
        """(agent id, initial contact id) of the contact; ("", "") when Connect does not know it."""
        try:
            contact = self._connect().describe_contact(InstanceId=instance_id, ContactId=contact_id)[
                "Contact"
            ]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) == NOT_FOUND:
                return "", ""
            raise ConnectUnavailable("DescribeContact failed") from None
        except BotoCoreError as exc:
            raise ConnectUnavailable(f"DescribeContact failed: {type(exc).__name__}") from None
        agent = contact.get("AgentInfo") if isinstance(contact.get("AgentInfo"), dict) else {}
        return str(agent.get("Id") or ""), str(contact.get("InitialContactId") or contact_id)

    def recording(self, action: str, instance_id: str, contact_id: str, initial_contact_id: str) -> None:
        operation = {"suspend": "suspend_contact_recording", "resume": "resume_contact_recording"}[action]
        try:
            getattr(self._connect(), operation)(
                InstanceId=instance_id, ContactId=contact_id, InitialContactId=initial_contact_id
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            raise ConnectUnavailable(f"{operation} failed: {code or 'ClientError'}") from None
        except BotoCoreError as exc:
            raise ConnectUnavailable(f"{operation} failed: {type(exc).__name__}") from None
