"""The push queue on SQS: the events function's deliveries as messages for the push function.

Each account's deliveries of a stream batch become messages of the account's own message group in the FIFO
`pushes` queue (`dce.adapters.queues.PUSHES`), at most MAX_PUSHES_PER_MESSAGE pushes and MAX_MESSAGE_BYTES each.
SQS hands the push function one batch of a group at a time and in order, so an account's backlog waits in its own
group while every other account's messages go by. The deduplication id is the body's SHA-256: a replayed stream
batch (same events, same connections) is not queued twice within SQS's five-minute window.

A message body is JSON: `{"frames": ["<frame JSON>", ...], "deliveries": [{"connection": {...}, "frames": [<index
into frames>, ...]}, ...]}`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from dce.domain.accounts import Role
from dce.domain.connections import Connection
from dce.services.pushes import Delivery

logger = logging.getLogger(__name__)

MAX_PUSHES_PER_MESSAGE = 200  # frames times connections: a message is one account's turn in a batch
MAX_MESSAGE_BYTES = 200_000  # SQS takes 256 KiB a message and a batch of ten
MAX_BATCH_BYTES = 250_000
BATCH_ENTRIES = 10  # SendMessageBatch's limit
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=5)


class QueueRefused(RuntimeError):
    """SQS did not take every message of a batch, even after a retry."""


class SqsPushQueue:
    def __init__(self, queue_url: str | None, region: str) -> None:
        self._url, self._region = queue_url, region
        self._client: Any = None
        self._lock = threading.Lock()
        self._warned = False

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        if self._url is None:
            if not self._warned:
                logger.warning("DCE_PUSHES_QUEUE_URL is not set: events are recorded but not pushed")
                self._warned = True
            return
        entries = [
            {
                "Id": str(n),
                "MessageBody": body,
                "MessageGroupId": account_id,
                "MessageDeduplicationId": hashlib.sha256(body.encode()).hexdigest(),
            }
            for n, (account_id, body) in enumerate(messages(deliveries))
        ]
        for batch in send_batches(entries):
            self._send(batch)

    def _send(self, entries: list[dict[str, str]]) -> None:
        client = self._connect()
        pending = entries
        for _ in range(2):
            failed = {f["Id"] for f in client.send_message_batch(QueueUrl=self._url, Entries=pending).get("Failed", [])}
            pending = [e for e in pending if e["Id"] in failed]
            if not pending:
                return
        raise QueueRefused(f"SQS refused {len(pending)} push messages")

    def _connect(self) -> Any:
        with self._lock:  # creating clients from boto3's default session is not thread-safe
            if self._client is None:
                self._client = boto3.client("sqs", region_name=self._region, config=_CONFIG)
            return self._client


def messages(deliveries: Sequence[Delivery]) -> Iterator[tuple[str, str]]:
    """(account id, body) of each message: each account's deliveries in order, cut where a message is full (a
    connection's frames may continue in the account's next message, which SQS keeps in order). A frame that
    several connections get is in the body once (an account's connections mostly get the same frames)."""
    by_account: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_account.setdefault(delivery.connection.account_id, []).append(delivery)
    for account_id, own in by_account.items():
        message = _Message()
        for delivery in own:
            for frame in delivery.frames:
                if message.full_for(frame):
                    yield account_id, message.body()
                    message = _Message()
                message.add(delivery.connection, frame)
        if message.parts:
            yield account_id, message.body()


class _Message:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.index: dict[bytes, int] = {}
        self.parts: list[dict[str, Any]] = []
        self.pushes = self.size = 0

    def full_for(self, frame: bytes) -> bool:
        grows = 0 if frame in self.index else len(frame) + 16
        return bool(self.parts) and (self.pushes >= MAX_PUSHES_PER_MESSAGE or self.size + grows > MAX_MESSAGE_BYTES)

    def add(self, connection: Connection, frame: bytes) -> None:
        if frame not in self.index:
            self.index[frame] = len(self.frames)
            self.frames.append(frame.decode())
            self.size += len(frame) + 16  # JSON escaping of quotes: frames are compact JSON
        if not self.parts or self.parts[-1]["connection"]["id"] != connection.id:
            self.parts.append({"connection": connection_json(connection), "frames": []})
            self.size += 300
        self.parts[-1]["frames"].append(self.index[frame])
        self.pushes, self.size = self.pushes + 1, self.size + 6

    def body(self) -> str:
        return json.dumps({"frames": self.frames, "deliveries": self.parts}, separators=(",", ":"))


def send_batches(entries: list[dict[str, str]]) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    size = 0
    for entry in entries:
        length = len(entry["MessageBody"].encode())
        if batch and (len(batch) == BATCH_ENTRIES or size + length > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += length
    if batch:
        yield batch


def connection_json(connection: Connection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "account_id": connection.account_id,
        "role": connection.role.value,
        "connected_at": connection.connected_at.isoformat(),
        "expires_at": connection.expires_at.isoformat(),
        "topics": list(connection.topics),
    }


def push_count(body: str) -> int:
    """How many connections one message body pushes to (0 when it is not one of ours): its cost."""
    try:
        return len(json.loads(body)["deliveries"])
    except (ValueError, KeyError, TypeError):
        return 0


def deliveries_from(body: str) -> list[Delivery]:
    """The deliveries of one message body; ValueError (or KeyError/TypeError) when it is not one of ours."""
    parsed = json.loads(body)
    frames = [str(frame).encode() for frame in parsed["frames"]]
    found = []
    for part in parsed["deliveries"]:
        raw = part["connection"]
        connection = Connection(
            id=str(raw["id"]),
            account_id=str(raw["account_id"]),
            role=Role(raw["role"]),
            connected_at=datetime.fromisoformat(raw["connected_at"]),
            expires_at=datetime.fromisoformat(raw["expires_at"]),
            topics=tuple(str(t) for t in raw["topics"]),
        )
        found.append(Delivery(connection, [frames[int(n)] for n in part["frames"]]))
    return found
