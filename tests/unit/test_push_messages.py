"""The push queue's messages (dce.adapters.push_queue): each account's deliveries in messages of its own group,
cut to size, and read back exactly; the push function's batch handler (dce.api.push_batch)."""

from __future__ import annotations

import json
from datetime import timedelta

from dce.adapters.push_queue import (
    BATCH_ENTRIES,
    MAX_PUSHES_PER_MESSAGE,
    deliveries_from,
    messages,
    send_batches,
)
from dce.api.push_batch import handle_messages
from dce.domain.accounts import Role
from dce.domain.connections import Connection
from dce.services.pushes import Delivered, Delivery, merge
from tests.unit.events_support import T0


def connection(connection_id: str, account: str, role: Role = Role.BUYER) -> Connection:
    return Connection(connection_id, account, role, T0, T0 + timedelta(hours=1), ("call", "auction"))


def frames(n: int, tag: str = "f") -> list[bytes]:
    return [json.dumps({"id": f"{tag}-{i}", "type": "call.created", "data": {"note": "é"}}).encode() for i in range(n)]


def test_each_account_gets_messages_of_its_own_group_and_they_read_back_exactly() -> None:
    given = [
        Delivery(connection("a1", "acct-a"), frames(2, "a1")),
        Delivery(connection("b1", "acct-b", Role.SELLER), frames(1, "b1")),
        Delivery(connection("a2", "acct-a"), frames(3, "a2")),
    ]
    out = list(messages(given))
    assert [account for account, _ in out] == ["acct-a", "acct-b"]
    read = {account: deliveries_from(body) for account, body in out}
    assert [(d.connection, d.frames) for d in read["acct-a"]] == [
        (d.connection, d.frames) for d in (given[0], given[2])
    ]
    assert [(d.connection, d.frames) for d in read["acct-b"]] == [(given[1].connection, given[1].frames)]


def test_a_busy_account_is_cut_into_bounded_messages_in_order() -> None:
    busy = [Delivery(connection(f"c{n}", "noisy"), frames(30, f"c{n}")) for n in range(10)]  # 300 frames
    out = list(messages(busy))
    assert {account for account, _ in out} == {"noisy"}
    counts = [sum(len(d.frames) for d in deliveries_from(body)) for _, body in out]
    assert max(counts) <= MAX_PUSHES_PER_MESSAGE and sum(counts) == 300 and len(out) == 2
    read_back = merge(d for _, body in out for d in deliveries_from(body))  # a connection may span two messages
    assert [(d.connection.id, d.frames) for d in read_back] == [(d.connection.id, d.frames) for d in busy]


def test_one_huge_delivery_stays_under_the_message_size() -> None:
    big = [json.dumps({"id": str(i), "pad": "x" * 20_000}).encode() for i in range(30)]  # ~600 KB
    out = list(messages([Delivery(connection("c1", "acct"), big)]))
    assert len(out) > 1 and all(len(body.encode()) < 256 * 1024 for _, body in out)
    assert [f for _, body in out for d in deliveries_from(body) for f in d.frames] == big


def test_batches_of_entries_respect_sqs_limits() -> None:
    entries = [{"Id": str(n), "MessageBody": "x" * 60_000} for n in range(25)]
    batches = list(send_batches(entries))
    assert all(len(b) <= BATCH_ENTRIES and sum(len(e["MessageBody"]) for e in b) <= 250_000 for b in batches)
    assert [e["Id"] for b in batches for e in b] == [str(n) for n in range(25)]


def test_the_batch_handler_delivers_every_message_together_and_drops_what_is_not_ours() -> None:
    ours = [body for _, body in messages([Delivery(connection("a1", "acct-a"), frames(2))])]
    ours += [body for _, body in messages([Delivery(connection("b1", "acct-b"), frames(1))])]
    records = [{"messageId": "m1", "body": ours[0]}, {"messageId": "bad", "body": "{not json"}]
    records += [
        {"messageId": "bad2", "body": '{"frames": [], "deliveries": [{"connection": {}}]}'},
        {"messageId": "bad3", "body": ours[0].replace('"frames":[0', '"frames":[7')},
        {"messageId": "m2", "body": ours[1]},
    ]
    seen: list[list[Delivery]] = []

    def deliver(deliveries: object) -> list[Delivered]:
        seen.append(list(deliveries))  # type: ignore[call-overload]
        return []

    assert handle_messages({"Records": records}, deliver) == {"batchItemFailures": []}
    [batch] = seen
    assert [(d.connection.id, len(d.frames)) for d in batch] == [("a1", 2), ("b1", 1)]


def test_a_frame_many_connections_get_is_in_the_body_once() -> None:
    shared = [json.dumps({"id": f"e-{n}", "data": {"call": "x" * 600}}).encode() for n in range(2)]  # ~ real size
    given = [Delivery(connection(f"c{n}", "acct"), list(shared)) for n in range(50)]
    [(_, body)] = list(messages(given))
    assert len(json.loads(body)["frames"]) == 2 and len(body) < 10 * sum(map(len, shared))
    assert [d.frames for d in deliveries_from(body)] == [shared] * 50
