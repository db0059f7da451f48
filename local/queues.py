"""The local stand-in for Lambda's SQS event source: a queue poller per work-queue consumer (an area with
`queue` in AREAS: `pushes`, the WebSocket deliveries), with the same event shape (`{"Records": [...]}`) and the
same rules: at most `concurrency` invocations in flight (the mapping's maximum concurrency), batches of up to
`batch_size` messages, one invocation per message group of a batch, messages deleted once the function has
handled them (except those it names in `batchItemFailures`, which reappear after the visibility timeout, and
go to the dead-letter queue after `max_receive_count` receives, as moto does it).

Fairness comes from the queue, as on AWS: the queue is FIFO with a message group per account, and a group with
a batch in flight is not handed out again until that batch is done (moto implements this), so a receive made
while one account's backlog is being pushed returns the other accounts' messages; each group of a batch is an
invocation of its own, so the other accounts' messages never wait for the backlog's pushes either. Locally the
invocations also take one of two lanes (`cheap_pushes`): up to EXPRESS_PUSHES connections the express workers,
else the fan-out workers at a lower CPU priority (`local/gateway.py`), so that on two cores an account flooding
its sockets cannot take the CPU every other account's frames need. With the embedded moto the poller sleeps
until a message is sent (a wake-up from the emulator's process, `local/emulator_process.py`; in tests
`wake_on_moto_sends`); against another endpoint it polls every 50 ms.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from dce.adapters.push_queue import push_count
from dce.adapters.queues import QUEUES, Queue
from dce.api.routes import AREAS
from local.moto_wakeups import wake_on

logger = logging.getLogger(__name__)

PUSHES_AREA = "pushes"
Deliver = Callable[[dict[str, Any]], tuple[str, Any]]  # ("ok", result) or ("error", message), as invoke()
POLL_INTERVAL_S = 0.05
IDLE_CHECK_S = 1.0  # with a wake-up signal: a safety net (messages visible again after a timeout)
BATCH_SIZE = 10
CONCURRENCY = 8  # invocations in flight (each a message group's part of a batch); the worker pools bound the CPU
EXPRESS_PUSHES = 10  # an invocation pushing to at most this many connections goes in the express lane
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=5)


def create_queues(prefix: str) -> dict[str, str]:
    """Create every queue in QUEUES (and its dead-letter queue) that does not exist yet; returns each queue's
    environment variable and URL (`Queue.env_var`), for the functions that send to it."""
    client = boto3.client("sqs", config=_CONFIG)
    urls = {}
    for queue in QUEUES:
        fifo = {"FifoQueue": "true"} if queue.fifo else {}
        dead = client.create_queue(QueueName=queue.dead_letter_name(prefix), Attributes=fifo)["QueueUrl"]
        dead_arn = client.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": {queue.max_receive_count}}}'
        attributes = {**fifo, "VisibilityTimeout": str(queue.visibility_timeout_s), "RedrivePolicy": redrive}
        urls[queue.env_var] = client.create_queue(QueueName=queue.physical_name(prefix), Attributes=attributes)[
            "QueueUrl"
        ]
    return urls


class QueuePoller:
    """Receives batches while fewer than `concurrency` invocations are in flight, and invokes the function once per
    message group of each batch (Lambda's FIFO mapping scales with the message groups: one account's backlog never
    holds another account's message). `express(messages)` picks the lane of an invocation: `deliver_express` for
    the cheap ones, `deliver` for the rest (locally two worker pools, the second at a lower CPU priority)."""

    def __init__(
        self,
        queue: Queue,
        table_prefix: str,
        deliver: Deliver,
        name: str,
        concurrency: int = CONCURRENCY,
        batch_size: int = BATCH_SIZE,
        wake: threading.Event | None = None,
        interval: float = POLL_INTERVAL_S,
        express: Callable[[list[dict[str, Any]]], bool] | None = None,
        deliver_express: Deliver | None = None,
    ) -> None:
        self._queue, self._prefix, self._deliver, self.name = queue, table_prefix, deliver, name
        self._express, self._deliver_express = express, deliver_express or deliver
        self._batch_size, self._wake, self._interval = batch_size, wake, interval
        self._concurrency = max(1, concurrency)
        self._in_flight = 0
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._client: Any = None
        self._url = self._arn = ""
        self.delivered = 0  # messages handled and deleted (for tests and the benchmark)

    @classmethod
    def for_area(
        cls, area: str, table_prefix: str, deliver: Deliver, wake: threading.Event | None = None, **lanes: Any
    ) -> QueuePoller:
        spec = next(a for a in AREAS if a.name == area)
        if spec.queue is None:
            raise ValueError(f"the {area} function consumes no queue (Area.queue)")
        return cls(spec.queue, table_prefix, deliver, name=area, wake=wake, **lanes)

    def start(self) -> None:
        self._client = boto3.client("sqs", config=_CONFIG)
        self._url = self._client.get_queue_url(QueueName=self._queue.physical_name(self._prefix))["QueueUrl"]
        attributes = self._client.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])
        self._arn = attributes["Attributes"]["QueueArn"]
        self._thread = threading.Thread(target=self._run, name=f"dce-queue-poller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._wake is not None:
            self._wake.set()
        with self._done:
            self._done.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for worker in self._workers:
            worker.join(timeout)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            with self._done:
                if self._in_flight >= self._concurrency:  # every slot busy: wait for an invocation to end
                    self._done.wait(IDLE_CHECK_S)
                    continue
            if self._wake is not None:
                self._wake.clear()  # before receiving: a send from now on wakes the next wait
            try:
                messages = self._client.receive_message(
                    QueueUrl=self._url, MaxNumberOfMessages=self._batch_size, AttributeNames=["All"]
                ).get("Messages", [])
                failing = False
            except Exception:  # the emulator is going away (shutdown) or hiccuped: log once, keep polling
                if not failing:
                    logger.warning("receiving from the %s queue failed; retrying", self.name, exc_info=True)
                failing, messages = True, []
            if not messages:
                if failing:
                    self._stop.wait(IDLE_CHECK_S)
                elif self._wake is not None:
                    self._wake.wait(IDLE_CHECK_S)
                else:
                    self._stop.wait(self._interval)
                continue
            groups = by_group(messages)
            with self._done:
                self._in_flight += len(groups)
            self._workers = [w for w in self._workers if w.is_alive()]
            for group in groups:
                worker = threading.Thread(target=self._handle, args=(group,), name=f"dce-{self.name}", daemon=True)
                self._workers.append(worker)
                worker.start()

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        """One message group's messages of a batch through the function, as one invocation."""
        express = self._express is not None and self._express(messages)
        deliver = self._deliver_express if express else self._deliver
        try:
            outcome, result = deliver({"Records": [lambda_record(m, self._arn) for m in messages]})
            failed = failed_ids(outcome, result, messages)
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._client.delete_message_batch(
                    QueueUrl=self._url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
                )
            with self._done:
                self.delivered += len(done)
            if failed:
                logger.warning("%s function failed %d messages: they are retried", self.name, len(failed))
        except Exception:
            logger.exception("handling a batch of the %s queue failed; its messages are retried", self.name)
        finally:
            with self._done:
                self._in_flight -= 1
                self._done.notify_all()
            if self._wake is not None:
                self._wake.set()  # a slot is free: the next group may be waiting


def cheap_pushes(messages: list[dict[str, Any]]) -> bool:
    """The push function's express lane: invocations pushing to at most EXPRESS_PUSHES connections, shortest first
    (an account with a few sockets is never queued behind an account flooding hundreds)."""
    return sum(push_count(str(m.get("Body", ""))) for m in messages) <= EXPRESS_PUSHES


def by_group(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The messages of a receive by FIFO message group, each group's in their order (one group without)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        groups.setdefault(message.get("Attributes", {}).get("MessageGroupId", ""), []).append(message)
    return list(groups.values())


def failed_ids(outcome: str, result: Any, messages: list[dict[str, Any]]) -> set[str]:
    """The messages the function did not handle: all of them when it failed, else those it names."""
    if outcome != "ok":
        return {m["MessageId"] for m in messages}
    return {str(f.get("itemIdentifier")) for f in (result or {}).get("batchItemFailures") or []}


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A `ReceiveMessage` message as Lambda's SQS event source hands it over."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def wake_on_moto_sends() -> threading.Event:
    """A new event, set whenever the embedded moto takes an SQS message (any queue); one per poller
    (`local.moto_wakeups`). Wraps `moto.sqs.models.Queue.add_message` (moto 5.2.5) once."""
    from moto.sqs.models import Queue as MotoQueue

    return wake_on(MotoQueue, "add_message")
