"""BusinessMetrics published as CloudWatch EMF by Powertools Metrics, flushed by each function's
`log_metrics` decorator at the end of the invocation. Names and units are the dashboards' contract."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from aws_lambda_powertools.metrics import MetricUnit

from dce.observability import metrics

CALLS_CREATED = "CallsCreated"
BIDS_PLACED = "BidsPlaced"
AUCTIONS_CLOSED = "AuctionsClosed"
CALLS_BILLED = "CallsBilled"
REVENUE_CENTS = "RevenueCents"


def cents(amount: Decimal) -> int:
    """Money as whole cents, for a metric value (the domain's amounts are already whole cents)."""
    return int(amount.scaleb(2).to_integral_value(ROUND_HALF_EVEN))


class PowertoolsMetrics:
    def call_created(self) -> None:
        metrics.add_metric(name=CALLS_CREATED, unit=MetricUnit.Count, value=1)

    def bid_placed(self) -> None:
        metrics.add_metric(name=BIDS_PLACED, unit=MetricUnit.Count, value=1)

    def auction_closed(self) -> None:
        metrics.add_metric(name=AUCTIONS_CLOSED, unit=MetricUnit.Count, value=1)

    def call_billed(self, charge: Decimal) -> None:
        metrics.add_metric(name=CALLS_BILLED, unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=REVENUE_CENTS, unit=MetricUnit.Count, value=cents(charge))
