"""What the sync and async transports share: URLs, headers, the Idempotency-Key, reading answers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from dce_client import _json
from dce_client._ops import Operation
from dce_client.auth import Session
from dce_client.errors import AuthenticationError, DceConnectionError, DceError, error_from_response
from dce_client.retry import RetryPolicy

DEFAULT_BASE_URL = "http://127.0.0.1:8080/api/v1"
DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = "dce-client-python/0.1.0"


def new_idempotency_key() -> str:
    """A fresh key for one logical POST; every retry of that POST sends the same one."""
    return f"dce-py-{uuid.uuid4().hex}"


class TransportBase:
    def __init__(self, base_url: str, session: Session, retry: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.retry = retry

    def headers(self, operation: Operation[Any], idempotency_key: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if operation.body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if operation.auth:
            headers.update(self.session.headers())
        return headers

    @staticmethod
    def content(operation: Operation[Any]) -> bytes | None:
        return _json.dumps(operation.body).encode() if operation.body is not None else None

    @staticmethod
    def idempotency_key(operation: Operation[Any]) -> str | None:
        return new_idempotency_key() if operation.method == "POST" else None

    def wants_new_token(self, operation: Operation[Any], response: httpx.Response, renewed: bool) -> bool:
        """A 401 UNAUTHORIZED with a token we can renew (it expired early, or was revoked): renew once."""
        if not operation.auth or renewed or response.status_code != 401 or not self.session.uses_tokens:
            return False
        return self.session.can_renew and error_from_response(response).code == "UNAUTHORIZED"

    @staticmethod
    def data(response: httpx.Response) -> Any:
        """The parsed body of a successful answer (money as Decimal), or raise the typed error."""
        if response.status_code >= 400:
            raise error_from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return _json.loads(response.content)
        except ValueError:
            raise DceError(
                "The exchange answered with a body that is not JSON",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
                headers=response.headers,
            ) from None

    @staticmethod
    def connection_error(operation: Operation[Any], error: httpx.TransportError) -> DceConnectionError:
        return DceConnectionError(f"{operation.method} {operation.path} failed: {type(error).__name__}: {error}")

    @staticmethod
    def no_credentials() -> AuthenticationError:
        return AuthenticationError("No way to get a new access token: log in again", code="UNAUTHORIZED")
