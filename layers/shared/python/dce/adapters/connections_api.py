"""Pushing frames to WebSocket clients through API Gateway's `@connections` management API.

The endpoint (`DCE_WS_ENDPOINT`) is the WebSocket stage's callback URL on AWS and the local gateway on
the dev stack, which answers 410 `GoneException` for closed connections just as AWS does.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=20,
)


class ApiGatewayPusher:
    def __init__(self, endpoint: str | None, region: str) -> None:
        self._endpoint, self._region = endpoint, region
        self._client: Any = None
        self._warned = False

    def push(self, connection_id: str, frame: bytes) -> bool:
        """Post one frame; False when the connection is gone. Other failures are logged, not raised:
        one unreachable client must not hold back (or, through a retry, duplicate) everyone else's events."""
        if self._endpoint is None:
            if not self._warned:
                logger.warning("DCE_WS_ENDPOINT is not set: events are recorded but not pushed")
                self._warned = True
            return True
        client = self._connect()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except client.exceptions.GoneException:
            return False
        except (ClientError, BotoCoreError) as error:
            logger.warning("push to a connection failed: %s", type(error).__name__)
        return True

    def disconnect(self, connection_id: str) -> None:
        """Close a connection (`DELETE @connections/{id}`); gone already, or any failure, is only logged:
        the record is deleted either way and API Gateway ends every connection within 2 hours."""
        if self._endpoint is None:
            return
        client = self._connect()
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException:
            return
        except (ClientError, BotoCoreError) as error:
            logger.warning("closing a connection failed: %s", type(error).__name__)

    def _connect(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "apigatewaymanagementapi", endpoint_url=self._endpoint, region_name=self._region, config=_CONFIG
            )
        return self._client
