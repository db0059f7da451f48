"""Counting DynamoDB round trips with botocore event hooks (used by tests and benchmarks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dce.adapters import aws


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Yield a Counter of DynamoDB operations (`GetItem`, `TransactWriteItems`, ...) made inside."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = aws.dynamodb().meta.client.meta.events
    events.register("before-call.dynamodb", count, unique_id="dce-round-trips")
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", unique_id="dce-round-trips")
