# ruff: noqa: S311
"""Winner selection: `BidBook.winner` over 10, 100, 1,000 and 10,000 bids (goal: 1,000 bids p99 < 50 µs).

Run with `make bench` (not part of `make test`). Prints a table and writes
benchmarks/results/marketplace.json; numbers depend on the machine, nothing is asserted on time.
DynamoDB round trips and handler time per route are in benchmarks/request_cost.py.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from benchmarks import report  # noqa: E402

GOAL_P99_US = 50.0  # for 1,000 bids


def timed_us(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    p50, p95, p99 = report.percentiles(samples, 0.50, 0.95, 0.99)
    return p50, p95, p99


def winner_selection() -> list[dict[str, Any]]:
    from dce.domain.auctions import Bid, BidBook, BidStatus

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    print("\nWinner selection (BidBook.winner), microseconds; `load` = building the book when bids are read")
    print(f"{'bids':>8} {'p50':>10} {'p95':>10} {'p99':>10} {'load p50':>10}")
    for n in (10, 100, 1_000, 10_000):
        bids = [
            Bid(
                f"b{i}",
                "a",
                f"s{i}",
                Decimal(random.randint(1, 100_000)) / 100,
                BidStatus.ACTIVE,
                t0 + timedelta(microseconds=random.randint(0, 10**9)),
            )
            for i in range(n)
        ]
        runs = 2000 if n <= 1000 else 300
        book = BidBook(bids)
        p50, p95, p99 = timed_us(partial(book.winner, Decimal("0")), runs)
        load_p50, _, load_p99 = timed_us(partial(BidBook, bids), runs)
        print(f"{n:>8} {p50:>10.1f} {p95:>10.1f} {p99:>10.1f} {load_p50:>10.1f}")
        rows.append(
            {
                "bids": n,
                "runs": runs,
                "p50_us": round(p50, 2),
                "p95_us": round(p95, 2),
                "p99_us": round(p99, 2),
                "load_p50_us": round(load_p50, 2),
                "load_p99_us": round(load_p99, 2),
            }
        )
    return rows


if __name__ == "__main__":
    results = {"winner_selection": winner_selection(), "goal_p99_us_1000_bids": GOAL_P99_US}
    print(f"wrote {report.write('marketplace', results)}")
