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
import time
from collections import OrderedDict
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
    """Give DynamoDB streams AWS's behaviour across failed transactions, and make transactions cheap. Idempotent.

    moto 5.2.5 prepares every `TransactWriteItems` by deep-copying each table it touches, stream shard and
    all, and rolls a failed one back by swapping the copy in. Two problems: a reader's shard iterator then
    points at the discarded shard and never sees another record (seen as the local stream poller going
    silent after the first refused bid); and the copy costs O(items + stream records) of the table on
    EVERY transaction, so bids, auction openings and sign-ups got slower the longer the exchange ran
    (measured: see docs/performance.md). Here moto's table copy is skipped (`_SameTable`), and a failed
    transaction is undone item by item: the items it touched are put back as they were (a deep copy of
    those items only, taken under the same lock as every item operation), and any stream record it
    appended is dropped, as on AWS where a cancelled transaction leaves no stream record. Spent shard
    iterators are forgotten (moto keeps every one forever; a poller never reuses them).
    Touches moto 5.2.5 internals.
    """
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if not isinstance(dynamodb_models.copy, _SameTable):  # type: ignore[attr-defined]
        dynamodb_models.copy = _SameTable()  # type: ignore[attr-defined,assignment]
    transact = DynamoDBBackend.transact_write_items
    if not getattr(transact, "__dce_streams_kept__", False):

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            with _LOCK:  # the same lock as every item operation: nothing changes in between
                before = _touched_items(self, transact_items)
                shards = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, *_ in before if t.stream_shard}
                try:
                    transact(self, transact_items)
                except Exception:
                    for table, hash_key, range_key, original in before:
                        _restore(table, hash_key, range_key, original)
                    for shard, length in shards.values():
                        del shard.items[length:]
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


class _SameTable:
    """Stands in for the `copy` module inside `moto.dynamodb.models`: deep-copying a whole Table (what
    `transact_write_items` does before every transaction) returns the table itself; anything else (an
    item, in `update_item`) is copied as before."""

    def __init__(self) -> None:
        import copy

        from moto.dynamodb.models.table import Table

        self._copy, self._table = copy, Table

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, self._table) else self._copy.deepcopy(value, memo)

    def copy(self, value: Any) -> Any:
        return self._copy.copy(value)


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a deep copy of the item or None) for each item a transaction names.
    Items moto will refuse anyway (unknown table, malformed key) are skipped: they are never written."""
    import copy

    touched = []
    for entry in transact_items:
        try:
            ((op_type, op),) = entry.items()
            table = backend.get_table(op["TableName"])
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            hash_key, range_key = backend.get_keys_value(table, key)
        except Exception:  # noqa: S112 (moto raises the proper error for it)
            continue
        touched.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return touched


def _restore(table: Any, hash_key: Any, range_key: Any, original: Any) -> None:
    """Put an item back as it was before a failed transaction (or remove it if it did not exist)."""
    if table.has_range_key:
        bucket = table.items[hash_key]
        if original is None:
            bucket.pop(range_key, None)
        else:
            bucket[range_key] = original
    elif original is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = original


_TRANSACTION_TOKENS: OrderedDict[str, float] = OrderedDict()  # ClientRequestToken → when it committed
TOKEN_WINDOW_S = 600.0  # DynamoDB remembers a token for 10 minutes
MAX_TOKENS = 100_000


def honour_transaction_tokens() -> None:
    """Make a retried `TransactWriteItems` idempotent, as DynamoDB does. Idempotent.

    botocore fills `ClientRequestToken` itself (an idempotency token, the same on every retry of one
    call); DynamoDB answers a repeat of a committed transaction with success and applies nothing. moto
    5.2.5 ignores the token and applies it again. Seen under load: the SDK's read timeout (5 s) expired
    while moto was still busy, the retry ran the committed transaction again and failed its conditions,
    so a sign-up, auction or bid that had succeeded answered 409 AUCTION_EXISTS or 400 BID_NOT_HIGHER.
    Touches `moto.dynamodb.responses.DynamoHandler.transact_write_items` (moto 5.2.5).
    """
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    original = getattr(DynamoHandler.transact_write_items, "__dce_original__", DynamoHandler.transact_write_items)

    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        with _LOCK:  # the check, the transaction and remembering its token are one step
            now = time.monotonic()
            while _TRANSACTION_TOKENS and (
                len(_TRANSACTION_TOKENS) > MAX_TOKENS or next(iter(_TRANSACTION_TOKENS.values())) < now - TOKEN_WINDOW_S
            ):
                _TRANSACTION_TOKENS.popitem(last=False)
            if token in _TRANSACTION_TOKENS:
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            result = original(self)  # a cancelled transaction raises: its token is not remembered
            _TRANSACTION_TOKENS[token] = now
            return result

    transact_write_items.__dce_original__ = original  # type: ignore[attr-defined]
    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]


def cache_moto_dispatch() -> None:
    """Stop moto's server from re-discovering its services on every request. Idempotent.

    To route a request, moto 5.2.5's `DomainDispatcherApplication.get_backend_for_host` checks the
    inferred host against `moto.backends.list_of_moto_modules()` — an `os.listdir` of moto's package
    plus an `isdir` per entry, about 150 system calls — and then against every service's URL regexes.
    Profiled under load (py-spy, GIL samples of the gateway process): ~6 % of the process's CPU. Both
    answers depend only on the installed moto and the host string, so they are computed once.
    """
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if not getattr(backends.list_of_moto_modules, "__dce_cached__", False):
        modules = tuple(backends.list_of_moto_modules())

        def list_of_moto_modules() -> tuple[str, ...]:
            return modules

        list_of_moto_modules.__dce_cached__ = True  # type: ignore[attr-defined]
        backends.list_of_moto_modules = list_of_moto_modules

    current = DomainDispatcherApplication.get_backend_for_host
    original = getattr(current, "__dce_original__", current)
    found: dict[tuple[int, str | None], Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        key = (id(self), host)
        if key not in found:
            found[key] = original(self, host)
        return found[key]

    get_backend_for_host.__dce_original__ = original  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


# The DynamoDB operations whose answers are items (moto's `DynamoResult`): most of the local stack's emulator
# traffic. BatchWriteItem and TransactWriteItems answer a plain ActionResult, serialized as before.
ITEM_RESPONSES = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
    }
)


def serialise_item_responses_directly() -> None:
    """Write DynamoDB's item answers as JSON directly instead of through moto's shape-driven serializer.

    moto 5.2.5 turns an answer into DynamoDB JSON (`dynamo_to_dict`) and then walks it, member by member,
    against botocore's output shape (`moto.core.serialize`): profiled (py-spy), that walk was 54 % of a
    `Query` returning 50 connections (24 ms a query). For the item operations (ITEM_RESPONSES) the walk
    changes nothing but binary values (base64) and timestamps (epoch seconds), which `_wire_value` does,
    and it leaves out top-level keys the shape does not name; so their answer is `json.dumps` of the result.
    Any other operation, and every error, goes through moto's serializer.
    `tests/integration/test_moto_item_responses.py` compares both on every attribute type.
    Touches `moto.dynamodb.responses.DynamoResult.execute_result` (moto 5.2.5). Idempotent.
    """
    import json

    from moto.dynamodb.responses import DynamoResult

    current = DynamoResult.execute_result
    original = getattr(current, "__dce_original__", current)

    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in ITEM_RESPONSES or isinstance(self.result, Exception):
            return original(self, context)
        members = context.operation_model.output_shape.members  # moto adds some (DeleteItem's capacity units)
        result = {key: value for key, value in self.result.items() if key in members}
        body = json.dumps(result, default=_wire_value, separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    execute_result.__dce_original__ = original  # type: ignore[attr-defined]
    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _wire_value(value: Any) -> Any:
    """What moto's JSON serializer writes for the values `json` cannot: blobs base64, timestamps epoch seconds."""
    import base64
    import calendar
    from datetime import datetime

    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        seconds = calendar.timegm(value.timetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
