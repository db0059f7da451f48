"""Emulator fidelity fixes for moto, applied wherever moto runs (local stack and tests).

DynamoDB makes each conditional write and each transaction atomic. moto 5.2.5 checks a condition
and then writes without a lock, and a failed transaction rolls back by swapping in a deep copy of
the whole table, so concurrent requests can interleave. Serialising moto's item operations restores
the guarantee our code relies on. Seen here: with in-process `mock_aws` and 4 threads, concurrent
optimistic credits were reported successful yet lost (botocore retried a failed attempt); against
`ThreadedMotoServer` with this lock the ledger and balances stay exact, so tests use the server too
(`tests/conftest.py`). `tests/integration/test_identity_services.py` checks it still holds.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()
_ITEM_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query", "scan")


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    wrapper.__dce_locked__ = True  # type: ignore[attr-defined]
    return wrapper


def serialise_dynamodb_item_operations() -> None:
    """Make moto's DynamoDB item reads and writes atomic with respect to each other. Idempotent."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _ITEM_OPERATIONS:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__dce_locked__", False):
            setattr(DynamoDBBackend, name, _locked(method))
