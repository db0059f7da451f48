"""Pushing frames to WebSocket clients through API Gateway's `@connections` management API.

The endpoint (`DCE_WS_ENDPOINT`) is the WebSocket stage's callback URL on AWS and the local gateway on
the dev stack, which answers 410 `GoneException` for closed connections just as AWS does. One pusher is
shared by the fan-out's workers (boto3 clients are thread-safe; the client is created once, under a lock),
and its HTTP pool holds a connection for each of them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

logger = logging.getLogger(__name__)

# At least dce.services.events.PUSH_CONCURRENCY (not imported: the accounts function uses this module too).
MAX_POOL_CONNECTIONS = 32
# A post normally takes milliseconds; one that does not answer within these is given up (after one retry),
# and the fan-out skips that connection's other frames of the batch: a slow connection holds one worker for
# one frame's timeout, never one per frame.
_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=MAX_POOL_CONNECTIONS,
)


class PushTimedOut(TimeoutError):
    """`@connections` did not take the frame in time (or could not be reached)."""


class ApiGatewayPusher:
    def __init__(self, endpoint: str | None, region: str) -> None:
        self._endpoint, self._region = endpoint, region
        self._client: Any = None
        self._lock = threading.Lock()
        self._warned = False

    def push(self, connection_id: str, frame: bytes) -> bool:
        """Post one frame; False when the connection is gone. A timeout (or no connection to the endpoint)
        raises PushTimedOut, so that the caller skips the connection's next frames; other failures are
        logged, not raised: one refused frame must not hold back (or, through a retry, duplicate) everyone
        else's events."""
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
        except (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError) as error:
            raise PushTimedOut(type(error).__name__) from error
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
        with self._lock:  # creating clients from boto3's default session is not thread-safe
            if self._client is None:
                self._client = boto3.client(
                    "apigatewaymanagementapi", endpoint_url=self._endpoint, region_name=self._region, config=_CONFIG
                )
            return self._client
