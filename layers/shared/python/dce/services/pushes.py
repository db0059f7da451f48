"""Delivering frames to WebSocket connections: the push function's work, fed by the push queue.

The events function addresses each stream batch (`dce.services.events`) and hands every account's deliveries to
the push queue, one message group per account (`dce.ports.PushQueue`). The push function takes a batch of messages
and sends every connection its frames here, on a bounded pool of workers: one task per connection, its frames in
order; tasks start round-robin over accounts (each account's first connection, then each account's second, ...),
so a busy account never queues ahead of another account's first frame inside a batch, and a slow or gone connection
only holds its own worker. Between batches the queue is fair: an account's messages are taken one batch at a time
(its message group), so its backlog never holds back another account's messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dce.domain.connections import Connection
from dce.ports import Clock
from dce.services.connections import ConnectionRepo

logger = logging.getLogger(__name__)

# Connections posted to at once. The @connections client keeps at least this many HTTP connections
# (dce.adapters.connections_api.MAX_POOL_CONNECTIONS).
PUSH_CONCURRENCY = 16


class Pusher(Protocol):
    def push(self, connection_id: str, frame: bytes) -> bool:
        """Send one frame; False when the connection is gone (closed or expired). TimeoutError when the frame
        was not taken in time: the connection's other frames of the batch are then skipped."""

    def disconnect(self, connection_id: str) -> None:
        """Close the connection (its client sees the socket close); already gone is fine."""


@dataclass(slots=True)
class Delivery:
    """What one connection gets: its frames, in stream order."""

    connection: Connection
    frames: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delivered:
    connection_id: str
    pushed: int
    forget: bool  # gone, or its time was up (closed): its record is deleted


class PushService:
    def __init__(
        self, pusher: Pusher, connections: ConnectionRepo, clock: Clock, concurrency: int = PUSH_CONCURRENCY
    ) -> None:
        self._pusher, self._connections, self._clock = pusher, connections, clock
        self._concurrency = max(1, concurrency)

    def deliver(self, deliveries: Sequence[Delivery]) -> list[Delivered]:
        """Send every connection its frames: one task per connection (a connection named twice gets its frames
        merged, in order), started round-robin over accounts on at most `concurrency` workers; then forget the
        connections found gone or expired. Never raises."""
        merged = merge(deliveries)
        if not merged:
            return []
        now = self._clock.now()
        ordered = fair_order(merged)
        workers = min(self._concurrency, len(ordered))
        if workers == 1:
            results = [self._send(d, now) for d in ordered]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
                results = list(pool.map(lambda d: self._send(d, now), ordered))
        for result in results:
            if result.forget:
                self._forget(result.connection_id)
        return results

    def _send(self, delivery: Delivery, now: datetime) -> Delivered:
        """One connection's frames, in order; stops at the first that is not taken (gone, slow, failing)."""
        connection_id, pushed = delivery.connection.id, 0
        if not delivery.connection.is_live_at(now):  # its token (or API Gateway's 2 h) ran out: reconnect
            try:
                self._pusher.disconnect(connection_id)
            except Exception:  # the record goes either way; API Gateway ends every connection within 2 hours
                logger.exception("closing an expired connection failed")
            return Delivered(connection_id, 0, forget=True)
        try:
            for frame in delivery.frames:
                if not self._pusher.push(connection_id, frame):
                    return Delivered(connection_id, pushed, forget=True)  # GoneException: left without $disconnect
                pushed += 1
        except TimeoutError:  # a slow connection: each of its other frames would wait as long
            logger.warning("push to a connection timed out: its other frames of this batch are skipped")
        except Exception:  # a bug: logged; the other connections still get their frames
            logger.exception("push to a connection failed: its other frames of this batch are skipped")
        return Delivered(connection_id, pushed, forget=False)

    def _forget(self, connection_id: str) -> None:
        try:
            self._connections.delete(connection_id)
        except Exception:  # TTL removes it; the events are recorded and pushed: do not fail the batch
            logger.exception("forgetting a closed connection failed")


def merge(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """One delivery per connection, its frames in the order given (a batch of messages may name one twice)."""
    by_connection: dict[str, Delivery] = {}
    for delivery in deliveries:
        known = by_connection.get(delivery.connection.id)
        if known is None:
            by_connection[delivery.connection.id] = Delivery(delivery.connection, list(delivery.frames))
        else:
            known.frames.extend(delivery.frames)
    return list(by_connection.values())


def fair_order(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """Round-robin over accounts in order of first appearance: every account's first connection, then
    every account's second, and so on (a connection's own frames stay together, in order)."""
    by_account: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_account.setdefault(delivery.connection.account_id, []).append(delivery)
    queues = list(by_account.values())
    return [queue[rank] for rank in range(max(map(len, queues), default=0)) for queue in queues if rank < len(queue)]
