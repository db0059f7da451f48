"""Powertools Logger, Tracer and Metrics: one of each per process, shared by every function's entry point.

The infrastructure sets `POWERTOOLS_SERVICE_NAME` ("dce") and `POWERTOOLS_METRICS_NAMESPACE`; metrics carry
only the default `service` dimension (Powertools adds `function_name` to its own `ColdStart` metric).
Locally (`python -m local`, tests) `POWERTOOLS_METRICS_DISABLED` keeps EMF off stdout and tracing is off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricResolution, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "dce"
Handler = TypeVar("Handler", bound=Callable[..., Any])

logger = Logger(service=SERVICE)


class _EmfProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF provider, minus two kinds of noise: a warning on every invocation that published no
    business metric (every read), and, with metrics disabled, metrics kept unpublished until 100 values of
    one pile up and get printed after all (Powertools checks the switch only when flushing)."""

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: MetricResolution | int = 60
    ) -> None:
        if not is_metrics_disabled():
            super().add_metric(name=name, unit=unit, value=value, resolution=resolution)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if self.metric_set or raise_on_empty_metrics:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)

    def add_cold_start_metric(self, context: LambdaContext) -> None:
        # Powertools prints its ColdStart metric (a `single_metric`) even with metrics disabled.
        if not is_metrics_disabled():
            super().add_cold_start_metric(context)


def _metrics() -> Metrics:
    shared = Metrics(service=SERVICE)  # Powertools keeps metric and dimension sets per process (class state)
    return Metrics(
        service=SERVICE,
        provider=_EmfProvider(
            service=SERVICE,
            metric_set=shared.metric_set,
            dimension_set=shared.dimension_set,
            metadata_set=shared.metadata_set,
            default_dimensions=shared.default_dimensions,
        ),
    )


metrics = _metrics()


class _Untraced:
    """The Tracer's decorator outside Lambda: Powertools' Tracer disables itself there, but only after
    building an X-Ray recorder whose sampler creates an AWS client (~140 ms per process, for nothing)."""

    def capture_lambda_handler(self, lambda_handler: Handler | None = None, **_: Any) -> Any:
        if lambda_handler is None:
            return lambda handler: handler
        return lambda_handler


def _on_lambda() -> bool:
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not os.environ.get("AWS_SAM_LOCAL")


def _tracer() -> Any:
    if not _on_lambda():
        return _Untraced()
    from aws_lambda_powertools import Tracer

    # Only botocore: every AWS call becomes a subsegment; the X-Ray SDK's other patches (sqlite3, httplib,
    # ...) would import modules no function uses (~10 ms of cold start).
    return Tracer(service=SERVICE, patch_modules=["botocore"])


# On Lambda: Powertools' Tracer (X-Ray).
tracer = _tracer()
