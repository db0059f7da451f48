"""A work queue of `dce.adapters.queues.QUEUES` with its consumer and senders: today the push queue (`pushes`),
which the events function fills with each account's WebSocket frames and the push function empties.

- The queue: FIFO with high throughput (deduplication and throughput per message group: each account is a group,
  so an account's backlog waits in its own group while the others' messages are handed out), encrypted with the
  data key, TLS only, messages kept an hour (a frame older than that is worth nothing: clients read the event log),
  the visibility timeout of the spec (at least the consumer's timeout, as Lambda requires).
- Its dead-letter queue after `max_receive_count` receives, kept 14 days.
- The consumer's SQS event source: batches of 10, failures reported per message, and a maximum concurrency per
  environment (`Settings.queue_concurrency`, within the function's reserved concurrency).
- Each sender may send (and only send) to it, and learns its URL from `Queue.env_var`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from dce.adapters.queues import Queue
from dce.api.routes import Area
from infra.constructs.data import pascal_case
from infra.constructs.keys import data_key
from infra.nag import acknowledge
from infra.settings import Settings

BATCH_SIZE = 10
RETENTION = Duration.hours(1)
DEFAULT_MAX_CONCURRENCY = 5  # environments whose settings name none (Lambda's minimum is 2)


class WorkQueue(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        spec: Queue,
        consumer_area: Area,
        consumer: lambda_.Function,
        senders: Sequence[lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        if consumer_area.queue != spec:
            raise ValueError(f"the {consumer_area.name} area does not consume the {spec.name} queue")
        if spec.visibility_timeout_s < settings.timeout_seconds:
            raise ValueError(f"the {spec.name} queue's visibility timeout is shorter than its consumer's timeout")
        self.spec, self.area, self.consumer = spec, consumer_area, consumer
        key = data_key(self)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            fifo=spec.fifo or None,
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            removal_policy=settings.removal_policy,
        )
        acknowledge(
            self.dead_letters,
            "SQS3",
            f"This is the dead-letter queue of the {spec.name} queue (messages its consumer kept failing, kept 14 "
            "days); a dead-letter queue of it would have no sender.",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            fifo=spec.fifo or None,
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP if spec.fifo else None,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID if spec.fifo else None,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=RETENTION,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            removal_policy=settings.removal_policy,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=spec.max_receive_count),
        )
        consumer.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=settings.queue_concurrency.get(consumer_area.name, DEFAULT_MAX_CONCURRENCY),
            )
        )
        for sender in senders:
            self.queue.grant_send_messages(sender)
            sender.add_environment(spec.env_var, self.queue.queue_url)
            role = sender.role
            assert role is not None
            for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
                acknowledge(
                    role,
                    "IAM5",
                    f"{action} comes from CDK's grant to send to the KMS-encrypted {pascal_case(spec.name)} queue: it "
                    "is scoped to the one data key of this environment, and the queue cannot be written without it.",
                    finding=f"Action::{action}",
                )
