"""Dependable Call Exchange: a typed Python client (sync and async) and the `dce` command line.

from dce_client import Client
client = Client("http://127.0.0.1:8080/api/v1", email="buyer@example.com", password="...")
for call in client.calls.list():
    print(call.id, call.status)
"""

from dce_client.client import AsyncClient, Client
from dce_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DceConnectionError,
    DceError,
    FieldError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
)
from dce_client.pagination import AsyncPaginator, Page, Paginator
from dce_client.retry import NO_RETRIES, RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "NO_RETRIES",
    "AsyncClient",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "DceConnectionError",
    "DceError",
    "FieldError",
    "MethodNotAllowedError",
    "NotFoundError",
    "Page",
    "Paginator",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "UnsupportedMediaTypeError",
    "__version__",
]
