"""A consumer of the table streams besides the WebSocket fan-out (whose mappings and queue live in
`websocket.py`): today the automatic bids (`autobids`). Each consumer is its own function with its own event
source mappings — one per table of its area's `streams`, from LATEST, filtered to its `stream_event_names` —
and its own on-failure queue, so a slow or failing consumer never holds back another (each mapping keeps its
own position in the stream).

A batch whose function fails is bisected and retried (`STREAM_RETRY_ATTEMPTS`); a record reported failed
(`ReportBatchItemFailures`) is retried from there. Records older than `MAX_RECORD_AGE` are given up: an
automatic bid is worth nothing after the longest auction (1 hour) has ended. What is given up goes to the
consumer's queue (its position only: the records stay in the stream for 24 h).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from dce.api.routes import Area
from infra.constructs.data import DataTables, pascal_case
from infra.constructs.websocket import STREAM_RETRY_ATTEMPTS, failed_batches_queue
from infra.nag import acknowledge
from infra.settings import Settings

# Each record is at most one bid per matching seller (~20 ms each on AWS): ten auctions fit the timeout.
STREAM_BATCH_SIZE = 10
MAX_RECORD_AGE = Duration.hours(1)


class StreamConsumer(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        area: Area,
        function: lambda_.Function,
        tables: DataTables,
    ) -> None:
        super().__init__(scope, construct_id)
        if not area.streams:
            raise ValueError(f"the {area.name} area consumes no stream (Area.streams)")
        self.area, self.function = area, function
        self.failed_batches = failed_batches_queue(self, settings, f"{area.name} function's stream event sources")
        filters = (
            [lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.or_(*area.stream_event_names)})]
            if area.stream_event_names
            else None
        )
        for spec in area.streams:
            function.add_event_source(
                sources.DynamoEventSource(
                    tables.table(spec),
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=STREAM_BATCH_SIZE,
                    bisect_batch_on_error=True,
                    retry_attempts=STREAM_RETRY_ATTEMPTS,
                    report_batch_item_failures=True,
                    max_record_age=MAX_RECORD_AGE,
                    parallelization_factor=settings.stream_parallelization.get(area.name, 1),
                    filters=filters,
                    on_failure=sources.SqsDlq(self.failed_batches),
                )
            )
        role = function.role
        assert role is not None
        acknowledge(
            role,
            "IAM5",
            "dynamodb:ListStreams (needed by the stream event source mappings) has no resource-level "
            "permissions, and X-Ray's PutTraceSegments/PutTelemetryRecords neither: Resource '*' is required.",
            finding="Resource::*",
        )
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                role,
                "IAM5",
                f"{action} comes from CDK's grant to send to the KMS-encrypted {pascal_case(area.name)} "
                "FailedBatches queue (SqsDlq): it is scoped to the one data key of this environment, and the "
                "queue cannot be written without it.",
                finding=f"Action::{action}",
            )
