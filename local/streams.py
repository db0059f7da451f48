"""The local stand-in for Lambda's DynamoDB event source: polls the streams of the stream-enabled tables
and invokes a consumer function with the same event shape (`{"Records": [...]}`) and retry semantics.

One poller per consumer function (an area with `streams` in AREAS: `events`, the WebSocket fan-out, and
`autobids`, the automatic bids), as on AWS where each has event source mappings of its own: each poller has
its own thread and its own shard iterators (its position in each stream), so a slow consumer never holds
back another. Each reads its tables' shards in turn, starting at LATEST as the CDK event source mapping does,
and hands over only the records its filter admits (`Area.stream_event_names`, Lambda's filter criteria on
`eventName`); filtered-out records count as done, as on AWS. With the embedded moto it sleeps until moto
appends a stream record (`wake_on_moto_writes`, one wake-up signal per poller), so an idle dev stack costs no
CPU and an event is read at once; against another endpoint it polls every 50 ms. A batch whose function
fails, or reports a failed record (`batchItemFailures`), is retried from that record a few times, then
skipped with a log line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from dce.adapters.tables import Table
from dce.api.routes import AREAS
from local.moto_wakeups import wake_on

logger = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], tuple[str, Any]]  # ("ok", result) or ("error", message), as invoke()
EVENTS_AREA = "events"
AUTOBIDS_AREA = "autobids"
POLL_INTERVAL_S = 0.05
IDLE_CHECK_S = 1.0  # with a wake-up signal: a safety net only
BATCH_SIZE = 100
RETRY_ATTEMPTS = 3
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=5)


@dataclass
class Shard:
    stream_arn: str
    iterator: str | None


class StreamPoller:
    def __init__(
        self,
        tables: Sequence[Table],
        table_prefix: str,
        deliver: Deliver,
        interval: float = POLL_INTERVAL_S,
        batch_size: int = BATCH_SIZE,
        wake: threading.Event | None = None,
        event_names: Sequence[str] = (),
        name: str = EVENTS_AREA,
    ) -> None:
        """`event_names`: hand over only records with one of these `eventName`s (empty: all)."""
        self._tables, self._prefix, self._deliver = tuple(tables), table_prefix, deliver
        self._interval, self._batch_size, self._wake = interval, batch_size, wake
        self._event_names, self.name = frozenset(event_names), name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shards: list[Shard] = []
        self._streams: Any = None
        self.delivered = 0  # records handed to the function successfully (for tests and the benchmark)

    @classmethod
    def for_area(
        cls, area: str, table_prefix: str, deliver: Deliver, wake: threading.Event | None = None
    ) -> StreamPoller:
        """The poller of one consumer function of AREAS: its streams, its filter, its name."""
        spec = next(a for a in AREAS if a.name == area)
        if not spec.streams:
            raise ValueError(f"the {area} function consumes no stream (Area.streams)")
        return cls(spec.streams, table_prefix, deliver, wake=wake, event_names=spec.stream_event_names, name=area)

    def start(self) -> None:
        """Open every stream at LATEST (synchronously: changes after this call are delivered), then poll."""
        self._shards = self._open()
        self._thread = threading.Thread(target=self._run, name=f"dce-stream-poller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._wake is not None:
            self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _open(self) -> list[Shard]:
        dynamodb = boto3.client("dynamodb", config=_CONFIG)
        self._streams = boto3.client("dynamodbstreams", config=_CONFIG)
        shards = []
        for table in self._tables:
            arn = dynamodb.describe_table(TableName=table.physical_name(self._prefix))["Table"]["LatestStreamArn"]
            description = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]
            for shard in description["Shards"]:
                if "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}):
                    continue  # a closed shard: nothing new will come from it
                iterator = self._streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"]
                shards.append(Shard(arn, iterator))
        return shards

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            busy = False
            if self._wake is not None:
                self._wake.clear()  # before reading: a write from now on wakes the next wait
            try:
                for shard in self._shards:
                    if shard.iterator is None or self._stop.is_set():
                        continue
                    page = self._streams.get_records(ShardIterator=shard.iterator, Limit=self._batch_size)
                    shard.iterator = page.get("NextShardIterator")
                    if page.get("Records"):
                        busy = True
                        records = [r for r in page["Records"] if self._admits(r)]
                        if records:
                            self._invoke([lambda_record(r, shard.stream_arn) for r in records])
                failing = False
            except Exception:  # the emulator is going away (shutdown) or hiccuped: log once, keep polling
                if not failing:
                    logger.warning("reading the streams failed; retrying", exc_info=True)
                failing = True
            if failing:
                self._stop.wait(IDLE_CHECK_S)
            elif not busy and self._wake is not None:
                self._wake.wait(IDLE_CHECK_S)
            elif not busy:
                self._stop.wait(self._interval)

    def _admits(self, record: dict[str, Any]) -> bool:
        """Lambda's filter criteria on `eventName`: a record filtered out is never delivered (and is done)."""
        return not self._event_names or record.get("eventName") in self._event_names

    def _invoke(self, records: list[dict[str, Any]]) -> None:
        """Deliver one batch like the event source mapping: retry from the first failed record."""
        attempts = 0
        while records and not self._stop.is_set():
            outcome, result = self._deliver({"Records": records})
            succeeded = _succeeded(outcome, result, records)
            self.delivered += succeeded
            if succeeded == len(records):
                return
            attempts += 1
            if attempts > RETRY_ATTEMPTS:
                logger.error(
                    "%s function failed %d times: skipping %d records", self.name, attempts, len(records) - succeeded
                )
                return
            records = records[succeeded:]


def _succeeded(outcome: str, result: Any, records: list[dict[str, Any]]) -> int:
    """How many records at the head of the batch succeeded."""
    if outcome != "ok":
        return 0
    failures = (result or {}).get("batchItemFailures") or []
    if not failures:
        return len(records)
    failed = {str(f.get("itemIdentifier")) for f in failures}
    for index, record in enumerate(records):
        if record["dynamodb"]["SequenceNumber"] in failed:
            return index
    return len(records)


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A `GetRecords` record as Lambda's event source hands it over: epoch seconds, plus the source ARN."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": stream, "eventSourceARN": stream_arn}


def wake_on_moto_writes() -> threading.Event:
    """A new event, set whenever the embedded moto appends a DynamoDB stream record (any table); one per
    poller (`local.moto_wakeups`). Wraps `moto.dynamodb.models.table.StreamShard.add` (moto 5.2.5) once."""
    from moto.dynamodb.models.table import StreamShard

    return wake_on(StreamShard, "add")
