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


def run_lambdas_in_process(resolve: Callable[[str], Callable[[dict[str, Any]], tuple[str, Any]] | None]) -> None:
    """Let moto's Lambda (and so its Step Functions tasks) run our real handlers in this process.

    `resolve(function_name)` returns a runner for our functions, or None for anything else (moto's
    default echo). A handler error is reported as `x-amz-function-error: Unhandled`, so a Step
    Functions task fails the way it does on AWS. Executions run one at a time: they share this
    process's boto3 clients. Touches `LambdaSimpleBackend.invoke` (moto 5.2.5).
    """
    import json

    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.config import default_user_config

    default_user_config["lambda"] = {**default_user_config.get("lambda", {}), "use_docker": False}
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    original = getattr(LambdaSimpleBackend.invoke, "__dce_original__", LambdaSimpleBackend.invoke)
    invocations = threading.Lock()

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        name = function_name.split(":")[6] if function_name.startswith("arn:") else function_name
        runner = resolve(name)
        if runner is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if body else {}
        with invocations:
            outcome, result = runner(event)
        if outcome == "error":
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": "HandlerError", "errorMessage": str(result)}).encode()
        return json.dumps(result).encode()

    invoke.__dce_original__ = original  # type: ignore[attr-defined]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


def keep_streams_across_rollbacks() -> None:
    """Give DynamoDB streams AWS's behaviour across failed transactions. Idempotent.

    moto rolls a failed `TransactWriteItems` back by swapping in a deep copy of each table it touched,
    stream shard included: a reader's shard iterator then points at the discarded shard and never sees
    another record (seen as the local stream poller going silent after the first refused bid). Here
    the original shard stays in place, minus any record the failed transaction appended, as on AWS
    where a cancelled transaction leaves no stream record. Spent shard iterators are forgotten (moto
    keeps every one forever; a poller never reuses them). Touches moto 5.2.5 internals.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    transact = DynamoDBBackend.transact_write_items
    if not getattr(transact, "__dce_streams_kept__", False):

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            with _LOCK:  # the same lock as every item operation: nothing appends in between
                shards = {name: t.stream_shard for name, t in self.tables.items() if t.stream_shard is not None}
                try:
                    transact(self, transact_items)
                except Exception:
                    for name, shard in shards.items():
                        restored = self.tables.get(name)
                        if restored is not None and restored.stream_shard is not shard:
                            del shard.items[len(restored.stream_shard.items) :]
                            shard.table, restored.stream_shard = restored, shard
                    raise

        transact_write_items.__dce_streams_kept__ = True  # type: ignore[attr-defined]
        transact_write_items.__dce_locked__ = True  # type: ignore[attr-defined]
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    get_records = DynamoDBStreamsBackend.get_records
    if not getattr(get_records, "__dce_forgets__", False):

        def get_records_once(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
            page: dict[str, Any] = get_records(self, iterator_arn, limit)
            self.shard_iterators.pop(iterator_arn, None)
            return page

        get_records_once.__dce_forgets__ = True  # type: ignore[attr-defined]
        DynamoDBStreamsBackend.get_records = get_records_once  # type: ignore[method-assign]
