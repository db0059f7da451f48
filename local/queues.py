"""The local stand-in for Lambda's SQS event source: a queue poller per work-queue consumer (an area with
`queue` in AREAS: `pushes`, the WebSocket deliveries), with the same event shape (`{"Records": [...]}`) and the
same rules: at most `concurrency` batches in flight (the mapping's maximum concurrency), each of up to
`batch_size` messages, deleted once the function has handled them (except those it names in
`batchItemFailures`, which reappear after the visibility timeout, and go to the dead-letter queue after
`max_receive_count` receives, as moto does it).

Fairness comes from the queue, as on AWS: the queue is FIFO with a message group per account, and a group with
a batch in flight is not handed out again until that batch is done (moto implements this), so a receive made
while one account's backlog is being pushed returns the other accounts' messages. With the embedded moto the
poller sleeps until a message is sent (`wake_on_moto_sends`); against another endpoint it polls every 50 ms.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from dce.adapters.queues import QUEUES, Queue
from dce.api.routes import AREAS
from local.moto_wakeups import wake_on

logger = logging.getLogger(__name__)

PUSHES_AREA = "pushes"
Deliver = Callable[[dict[str, Any]], tuple[str, Any]]  # ("ok", result) or ("error", message), as invoke()
POLL_INTERVAL_S = 0.05
IDLE_CHECK_S = 1.0  # with a wake-up signal: a safety net (messages visible again after a timeout)
BATCH_SIZE = 10
CONCURRENCY = 4  # batches in flight: Lambda's SQS mapping scales to at least 2 (its maximum concurrency)
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
    ) -> None:
        self._queue, self._prefix, self._deliver, self.name = queue, table_prefix, deliver, name
        self._batch_size, self._wake, self._interval = batch_size, wake, interval
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._client: Any = None
        self._url = self._arn = ""
        self.delivered = 0  # messages handled and deleted (for tests and the benchmark)

    @classmethod
    def for_area(
        cls, area: str, table_prefix: str, deliver: Deliver, wake: threading.Event | None = None
    ) -> QueuePoller:
        spec = next(a for a in AREAS if a.name == area)
        if spec.queue is None:
            raise ValueError(f"the {area} function consumes no queue (Area.queue)")
        return cls(spec.queue, table_prefix, deliver, name=area, wake=wake)

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
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for worker in self._workers:
            worker.join(timeout)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=IDLE_CHECK_S):
                continue  # every slot busy: a batch in flight for each
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
                self._slots.release()
                if failing:
                    self._stop.wait(IDLE_CHECK_S)
                elif self._wake is not None:
                    self._wake.wait(IDLE_CHECK_S)
                else:
                    self._stop.wait(self._interval)
                continue
            worker = threading.Thread(target=self._handle, args=(messages,), name=f"dce-{self.name}", daemon=True)
            self._workers = [w for w in self._workers if w.is_alive()] + [worker]
            worker.start()

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        """One batch through the function, like one invocation of the mapping; its slot is freed at the end."""
        try:
            outcome, result = self._deliver({"Records": [lambda_record(m, self._arn) for m in messages]})
            failed = failed_ids(outcome, result, messages)
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._client.delete_message_batch(
                    QueueUrl=self._url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
                )
            self.delivered += len(done)
            if failed:
                logger.warning("%s function failed %d messages: they are retried", self.name, len(failed))
        except Exception:
            logger.exception("handling a batch of the %s queue failed; its messages are retried", self.name)
        finally:
            self._slots.release()
            if self._wake is not None:
                self._wake.set()  # a slot is free: the next group may be waiting


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
