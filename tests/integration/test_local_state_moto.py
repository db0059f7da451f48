"""The local stack's saved state against moto (local/state.py): a snapshot is never half a transaction,
a restore brings back every saved table but no stream record (so no duplicate WebSocket events), and
restored open auctions get their timers back."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from dce import bootstrap
from dce.adapters.auction_timer import StepFunctionsTimer
from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.stream_records import STREAM_SOURCES
from dce.adapters.system import SystemClock
from dce.adapters.tables import TABLES
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.auctions import AuctionStatus
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.calls import NewCall
from local.emulator import create_tables, deploy_auction_timer
from local.state import (
    EPHEMERAL,
    AuctionTimers,
    Snapshot,
    capture,
    decode,
    encode,
    generation,
    moto_dynamodb,
    open_auctions,
    restore,
    track_writes,
)
from local.streams import StreamPoller
from tests.conftest import TEST_ENV

PREFIX = TEST_ENV["DCE_TABLE_PREFIX"]
HERE = Path("snapshot-under-test.json")


def name(table: str) -> str:
    return f"{PREFIX}-{table}"


def scan_all(table: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=name(table), ConsistentRead=True):
        items += page["Items"]
    return sorted(items, key=repr)


def everything() -> dict[str, list[dict[str, Any]]]:
    return {table.name: scan_all(table.name) for table in TABLES}


def take() -> Snapshot:
    snapshot, _ = capture(moto_dynamodb(PREFIX), PREFIX)
    return decode(encode(snapshot), HERE)  # through the file format, as a restart does


@pytest.fixture
def restart(aws: None, moto_server: str) -> Iterator[Any]:
    """`restart(snapshot)`: what a stop and a start do to moto — everything gone, tables created again,
    the snapshot restored. Returns what `restore` reports."""

    def run(snapshot: Snapshot) -> Any:
        reset = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")  # noqa: S310 (loopback)
        urllib.request.urlopen(reset).close()  # noqa: S310
        bootstrap.reset()
        create_tables(PREFIX)
        assert all(not scan_all(t.name) for t in TABLES)
        return restore(moto_dynamodb(PREFIX), PREFIX, snapshot, HERE)

    yield run


def put(table: str, item: dict[str, Any]) -> None:
    boto3.client("dynamodb").put_item(TableName=name(table), Item=item)


def test_every_saved_table_comes_back_as_it_was_and_connections_do_not(restart):
    put("accounts", {"id": {"S": "a-1"}, "balance": {"N": "12.50"}, "tags": {"SS": ["x", "y"]}, "ok": {"BOOL": True}})
    put("accounts", {"id": {"S": "a-2"}, "profile": {"M": {"n": {"L": [{"N": "1"}, {"NULL": True}]}}}})
    put("ledger", {"account_id": {"S": "a-1"}, "entry_key": {"S": "0001"}, "amount": {"N": "-3"}})
    put("ledger", {"account_id": {"S": "a-1"}, "entry_key": {"S": "0002"}, "blob": {"B": b"\x00\xff"}})
    put("dnc", {"phone_number": {"S": "+14155551234"}})
    put("compliance_settings", {"pk": {"S": "geo"}, "sk": {"S": "state#CA"}})
    put("idempotency", {"id": {"S": "k"}, "expiration": {"N": str(int(time.time()) + 3600)}})
    put("connections", {"id": {"S": "c-1"}, "account_id": {"S": "a-1"}})
    put("rate_limits", {"key": {"S": "ip#127.0.0.1"}, "tokens": {"N": "3"}})
    before = everything()
    snapshot = take()
    assert {"connections", "rate_limits"} == EPHEMERAL and not EPHEMERAL & set(snapshot.tables)

    restored = restart(snapshot)

    after = everything()
    assert after["connections"] == [] and after["rate_limits"] == []
    assert {t: items for t, items in after.items() if t not in EPHEMERAL} == {
        t: items for t, items in before.items() if t not in EPHEMERAL
    }
    assert restored.items == 7 and restored.by_table["accounts"] == 2 and restored.expired == 0


def test_items_past_their_ttl_are_not_restored(restart):
    put("idempotency", {"id": {"S": "old"}, "expiration": {"N": str(int(time.time()) - 10)}})
    put("idempotency", {"id": {"S": "new"}, "expiration": {"N": str(int(time.time()) + 3600)}})
    put("sessions", {"family_id": {"S": "f"}, "expires_at_epoch": {"S": "0"}})  # not a number: TTL ignores it
    restored = restart(take())
    assert [i["id"]["S"] for i in scan_all("idempotency")] == ["new"]
    assert len(scan_all("sessions")) == 1 and restored.expired == 1


def test_a_restore_writes_no_stream_record_and_the_poller_delivers_only_new_changes(restart):
    put("calls", {"id": {"S": "old-call"}, "buyer_id": {"S": "b"}, "created_at": {"S": "2025-01-01"}})
    put("auctions", {"id": {"S": "old-auction"}})
    put("bids", {"auction_id": {"S": "old-auction"}, "seller_id": {"S": "s"}})
    restart(take())

    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    for source in STREAM_SOURCES:  # from the very start of each stream: nothing at all
        arn = dynamodb.describe_table(TableName=source.physical_name(PREFIX))["Table"]["LatestStreamArn"]
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            assert streams.get_records(ShardIterator=iterator)["Records"] == []

    delivered: list[dict[str, Any]] = []

    def deliver(event: dict[str, Any]) -> tuple[str, Any]:
        delivered.extend(event["Records"])
        return "ok", None

    poller = StreamPoller(STREAM_SOURCES, PREFIX, deliver, interval=0.01)
    poller.start()  # as the gateway starts it, after the restore
    try:
        put("calls", {"id": {"S": "new-call"}, "buyer_id": {"S": "b"}, "created_at": {"S": "2025-01-02"}})
        deadline = time.monotonic() + 10
        while not delivered and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # anything else would have come by now
    finally:
        poller.stop()
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in delivered] == ["new-call"]


def test_a_snapshot_taken_while_transactions_run_is_never_half_a_transaction(aws):
    """Writers move every item of a 24-item, two-table group to one version in ONE TransactWriteItems;
    snapshots taken meanwhile must each see a single version (the lock moto's item operations hold)."""
    accounts, ledger = [f"tx-{n}" for n in range(12)], [f"{n:04d}" for n in range(12)]

    def transaction(version: int) -> list[dict[str, Any]]:
        value = {":v": {"N": str(version)}}
        return [
            {"Update": {"TableName": name("accounts"), "Key": {"id": {"S": k}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": value}}
            for k in accounts
        ] + [
            {"Update": {"TableName": name("ledger"), "Key": {"account_id": {"S": "tx"}, "entry_key": {"S": k}},
                        "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": value}}
            for k in ledger
        ]  # fmt: skip

    boto3.client("dynamodb").transact_write_items(TransactItems=transaction(0))
    stop, errors = threading.Event(), []

    def write(writer: int) -> None:
        client = boto3.client("dynamodb")
        version = writer * 1_000_000
        try:
            while not stop.is_set():
                version += 1
                client.transact_write_items(TransactItems=transaction(version))
        except Exception as error:  # pragma: no cover (shown by the assertion below)
            errors.append(error)

    def versions(snapshot: Snapshot) -> set[str]:
        found = [i["v"]["N"] for i in snapshot.tables["accounts"].items if i["id"]["S"].startswith("tx-")]
        found += [i["v"]["N"] for i in snapshot.tables["ledger"].items if i["account_id"]["S"] == "tx"]
        assert len(found) == 24
        return set(found)

    writers = [threading.Thread(target=write, args=(n,)) for n in (1, 2, 3)]
    for thread in writers:
        thread.start()
    seen: list[set[str]] = []
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            snapshot, _ = capture(moto_dynamodb(PREFIX), PREFIX)
            seen.append(versions(snapshot))
            time.sleep(0.001)
    finally:
        stop.set()
        for thread in writers:
            thread.join(30)
    assert not errors
    assert all(len(v) == 1 for v in seen), [sorted(v) for v in seen if len(v) > 1][:3]
    assert len({next(iter(v)) for v in seen}) > 3  # the writers really ran between the snapshots


def test_writes_are_counted_so_an_idle_stack_saves_nothing(aws):
    track_writes()
    client = boto3.client("dynamodb")
    start = generation()
    capture(moto_dynamodb(PREFIX), PREFIX)
    scan_all("accounts")
    client.get_item(TableName=name("accounts"), Key={"id": {"S": "a"}})
    assert generation() == start  # reads and snapshots are no change
    put("accounts", {"id": {"S": "a"}})
    assert generation() > start
    after_put = generation()
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=name("accounts"), Item={"id": {"S": "a"}}, ConditionExpression="attribute_not_exists(id)"
        )
    assert generation() == after_put  # a refused write changed nothing
    client.transact_write_items(TransactItems=[{"Delete": {"TableName": name("accounts"), "Key": {"id": {"S": "a"}}}}])
    assert generation() > after_put


def test_a_restored_open_auction_whose_end_passed_closes_when_its_timer_restarts(restart, monkeypatch):
    # No timer configured while it opens: as if the stack had stopped before the auction ended.
    monkeypatch.delenv("DCE_AUCTION_STATE_MACHINE_ARN", raising=False)
    bootstrap.reset()
    account, _ = services().accounts.create(NewAccount("b@example.com", "Acme", Role.BUYER, password="x" * 12))
    buyer = Principal(account.id, Role.BUYER)
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=1))
    snapshot = take()

    restart(snapshot)
    monkeypatch.setenv("DCE_AUCTION_STATE_MACHINE_ARN", deploy_auction_timer(PREFIX))
    bootstrap.reset()
    timers = AuctionTimers(open_auctions(DynamoAuctionRepo()), StepFunctionsTimer(), SystemClock())
    assert [a.id for a in timers.auctions] == [auction.id]
    time.sleep(max(0.0, (auction.ends_at - SystemClock().now()).total_seconds()))  # it ends "while down"

    timers.start()

    deadline = time.monotonic() + 15
    while (current := DynamoAuctionRepo().get(auction.id)) and current.status is AuctionStatus.OPEN:
        assert time.monotonic() < deadline, "the restored auction never closed"
        time.sleep(0.1)
    assert current is not None and current.status is AuctionStatus.COMPLETED and timers.started == 1
