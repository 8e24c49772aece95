"""API Gateway's @connections management API: how a function sends a frame to a panel's WebSocket."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from connect_zendesk.adapters.aws_clients import endpoint_client


class ConnectionGone(Exception):
    """410 Gone: the WebSocket is closed; its Connections item should be removed."""


class PushFailed(Exception):
    """The frame could not be delivered for another reason (throttling, network, 5xx)."""


def management_endpoint(api_endpoint: str, stage: str) -> str:
    """wss://abc.execute-api.eu-west-1.amazonaws.com + stage -> https://.../stage (ws:// -> http://)."""
    base = api_endpoint.rstrip("/")
    if base.startswith("wss://"):
        base = "https://" + base[len("wss://") :]
    elif base.startswith("ws://"):
        base = "http://" + base[len("ws://") :]
    return f"{base}/{stage}" if stage else base


class ApiGatewayPanelGateway:
    def __init__(self, endpoint_url: str, max_connections: int = 16) -> None:
        self._endpoint_url = endpoint_url
        self._max_connections = max_connections

    def close(self, connection_id: str) -> None:
        """@connections DELETE: API Gateway closes the WebSocket (already gone counts as closed)."""
        client = endpoint_client("apigatewaymanagementapi", self._endpoint_url, self._max_connections)
        try:
            client.delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code != "GoneException" and status != 410:
                raise PushFailed(f"DeleteConnection failed: {code or status}") from None
        except BotoCoreError as exc:
            raise PushFailed(f"DeleteConnection failed: {type(exc).__name__}") from None

    def post(self, connection_id: str, data: bytes) -> None:
        client = endpoint_client("apigatewaymanagementapi", self._endpoint_url, self._max_connections)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                raise ConnectionGone(connection_id) from None
            raise PushFailed(f"PostToConnection failed: {code or status}") from None
        except BotoCoreError as exc:
            raise PushFailed(f"PostToConnection failed: {type(exc).__name__}") from None
