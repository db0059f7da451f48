"""The push queue on moto (SQS FIFO, a message group per account) and the local queue poller.

The attack: one account with a backlog of deliveries must not delay another account's. The queue hands out one
batch of a group at a time, so a receive made while the noisy account's batch is being pushed returns the quiet
account's message next, however long the noisy backlog."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import boto3
import pytest

from dce.adapters.push_queue import SqsPushQueue
from dce.adapters.queues import PUSHES
from dce.config import settings
from dce.domain.accounts import Role
from dce.domain.connections import Connection
from dce.services.pushes import Delivery
from local.queues import EXPRESS_PUSHES, QueuePoller, by_group, cheap_pushes, wake_on_moto_sends
from tests.unit.events_support import T0

WAIT_S = 10.0


def delivery(account: str, n: int, frames: int = 1) -> Delivery:
    connection = Connection(f"{account}-conn", account, Role.BUYER, T0, T0 + timedelta(hours=1))
    return Delivery(connection, [json.dumps({"id": f"{account}-{n}-{i}"}).encode() for i in range(frames)])


def queue_url() -> str:
    url = settings().pushes_queue_url
    assert url is not None
    return url


def receive_all() -> list[dict[str, Any]]:
    client = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        got = client.receive_message(
            QueueUrl=queue_url(), MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=60
        ).get("Messages", [])
        if not got:
            return found
        found += got
        client.delete_message_batch(
            QueueUrl=queue_url(),
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)],
        )


def test_deliveries_are_queued_in_each_accounts_own_group(aws: None) -> None:
    SqsPushQueue(queue_url(), "us-east-1").enqueue([delivery("acct-a", 1), delivery("acct-b", 1, frames=3)])
    found = receive_all()
    groups = sorted(m["Attributes"]["MessageGroupId"] for m in found)
    assert groups == ["acct-a", "acct-b"]
    body = next(json.loads(m["Body"]) for m in found if m["Attributes"]["MessageGroupId"] == "acct-b")
    assert [len(d["frames"]) for d in body["deliveries"]] == [3]


def test_a_replayed_stream_batch_is_not_queued_twice(aws: None) -> None:
    queue = SqsPushQueue(queue_url(), "us-east-1")
    batch = [delivery("acct-a", 1), delivery("acct-b", 1)]
    queue.enqueue(batch)
    queue.enqueue(batch)  # the same events to the same connections: the same bodies, deduplicated
    assert len(receive_all()) == 2


def test_without_a_queue_url_events_are_not_pushed_and_nothing_fails() -> None:
    SqsPushQueue(None, "us-east-1").enqueue([delivery("acct-a", 1)])


@pytest.mark.parametrize("noisy_messages", [40])
def test_a_noisy_accounts_backlog_does_not_delay_another_accounts_delivery(aws: None, noisy_messages: int) -> None:
    queue = SqsPushQueue(queue_url(), "us-east-1")
    for n in range(noisy_messages):  # one stream batch each: a backlog of separate messages
        queue.enqueue([delivery("noisy", n, frames=5)])
    queue.enqueue([delivery("victim", 0)])
    handled: list[list[str]] = []  # the accounts of each batch, in the order batches were handled
    lock = threading.Lock()

    def slow_push_function(event: dict[str, Any]) -> tuple[str, Any]:
        accounts = [json.loads(r["body"])["deliveries"][0]["connection"]["account_id"] for r in event["Records"]]
        time.sleep(0.05)  # pushing takes time: the noisy batches keep their groups busy
        with lock:
            handled.append(accounts)
        return "ok", {"batchItemFailures": []}

    poller = QueuePoller(
        PUSHES, settings().table_prefix, slow_push_function, name="pushes", concurrency=2, wake=wake_on_moto_sends()
    )
    poller.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while poller.delivered < noisy_messages + 1:
            assert time.monotonic() < deadline, f"only {poller.delivered} messages handled"
            time.sleep(0.01)
    finally:
        poller.stop()
    victim_batch = next(i for i, accounts in enumerate(handled) if "victim" in accounts)
    assert victim_batch <= 1, handled  # with the noisy group in flight, the victim's message is next
    assert len(handled) >= noisy_messages // 10  # the noisy backlog went in batches of its group, not at once
    assert sum(len(a) for a in handled) == noisy_messages + 1  # every message once, none lost


def test_a_failed_batch_is_received_again(aws: None) -> None:
    SqsPushQueue(queue_url(), "us-east-1").enqueue([delivery("acct-a", 1)])
    calls: list[int] = []
    done = threading.Event()

    def flaky(event: dict[str, Any]) -> tuple[str, Any]:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            return "error", "cold start failed"
        done.set()
        return "ok", {"batchItemFailures": []}

    boto3.client("sqs").set_queue_attributes(QueueUrl=queue_url(), Attributes={"VisibilityTimeout": "1"})
    poller = QueuePoller(PUSHES, settings().table_prefix, flaky, name="pushes", wake=wake_on_moto_sends())
    poller.start()
    try:
        assert done.wait(WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while poller.delivered < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        poller.stop()
    assert calls == [1, 1] and receive_all() == []


def test_each_message_group_of_a_batch_is_its_own_invocation_and_cheap_ones_take_the_express_lane(aws: None) -> None:
    """A batch holding a flooding account's deliveries and a quiet account's is two invocations, so the quiet
    one never waits for the other's pushes; the quiet one (at most EXPRESS_PUSHES connections) goes to the
    express lane, the flood's (many connections) to the bulk lane."""
    queue = SqsPushQueue(queue_url(), "us-east-1")
    connections = [
        Connection(f"flood-conn-{n}", "flood", Role.BUYER, T0, T0 + timedelta(hours=1))
        for n in range(EXPRESS_PUSHES + 5)
    ]
    flood = [Delivery(connection, [b'{"id": "flood-0"}']) for connection in connections]  # many connections
    queue.enqueue(flood)
    queue.enqueue([delivery("quiet", 0)])
    lanes: dict[str, list[set[str]]] = {"bulk": [], "express": []}
    lock, done = threading.Lock(), threading.Event()

    def function(lane: str) -> Any:
        def handle(event: dict[str, Any]) -> tuple[str, Any]:
            accounts = {
                d["connection"]["account_id"] for r in event["Records"] for d in json.loads(r["body"])["deliveries"]
            }
            with lock:
                lanes[lane].append(accounts)
                if sum(len(v) for v in lanes.values()) == 2:
                    done.set()
            return "ok", {"batchItemFailures": []}

        return handle

    poller = QueuePoller(
        PUSHES,
        settings().table_prefix,
        function("bulk"),
        name="pushes",
        wake=wake_on_moto_sends(),
        express=cheap_pushes,
        deliver_express=function("express"),
    )
    poller.start()
    try:
        assert done.wait(WAIT_S), lanes
    finally:
        poller.stop()
    assert lanes == {"bulk": [{"flood"}], "express": [{"quiet"}]}


def test_by_group_keeps_each_groups_order() -> None:
    def message(group: str, n: int) -> dict[str, Any]:
        return {"MessageId": f"{group}-{n}", "Attributes": {"MessageGroupId": group}}

    batch = [message("a", 1), message("b", 1), message("a", 2), message("c", 1), message("b", 2)]
    assert [[m["MessageId"] for m in group] for group in by_group(batch)] == [["a-1", "a-2"], ["b-1", "b-2"], ["c-1"]]
