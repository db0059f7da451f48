# ruff: noqa: S311
"""Marketplace benchmark: winner selection cost, and DynamoDB round trips per use case.

Run with `make bench` (not part of `make test`). Prints a table; numbers depend on the machine.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return percentiles(samples)


def winner_selection() -> None:
    from dce.domain.auctions import Bid, BidBook, BidStatus

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
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
        p50, p95, p99 = timed(lambda book=book: book.winner(Decimal("0")), runs)
        load_p50, _, _ = timed(lambda bids=bids: BidBook(bids), runs)
        print(f"{n:>8} {p50:>10.1f} {p95:>10.1f} {p99:>10.1f} {load_p50:>10.1f}")


def round_trips() -> None:
    os.environ.update(
        {
            "DCE_TABLE_PREFIX": "dce-bench",
            "DCE_JWT_SECRET": "benchmark-secret-0123456789-0123456789",
            "DCE_PASSWORD_TIME_COST": "1",
            "DCE_PASSWORD_MEMORY_KIB": "1024",
            # Compliance checks run on a pinned clock inside TCPA hours, whenever the benchmark runs.
            "DCE_ENV": "local",
            "DCE_FIXED_NOW": "2025-06-18T19:00:00Z",
        }
    )
    from local.emulator import create_tables, start_moto

    emulator = start_moto()
    try:
        from dce import bootstrap
        from dce.domain.accounts import Role
        from dce.domain.calls import CallStatus
        from dce.domain.principal import Principal
        from dce.services.accounts import NewAccount
        from dce.services.auctions import NewAuction
        from dce.services.calls import NewCall
        from tests.round_trips import dynamodb_calls

        bootstrap.reset()
        create_tables("dce-bench")
        s = bootstrap.services()
        buyer = Principal(s.accounts.create(NewAccount("b@bench.dev", "B", Role.BUYER, "x" * 12))[0].id, Role.BUYER)
        seller = Principal(s.accounts.create(NewAccount("s@bench.dev", "S", Role.SELLER, "x" * 12))[0].id, Role.SELLER)
        rows: list[tuple[str, int, str, float]] = []

        def measure(name: str, fn: Callable[[], object]) -> object:
            with dynamodb_calls() as calls:
                start = time.perf_counter()
                result = fn()
                elapsed = (time.perf_counter() - start) * 1000
            rows.append((name, sum(calls.values()), ", ".join(f"{k} x{v}" for k, v in sorted(calls.items())), elapsed))
            return result

        call = measure("create call", lambda: s.calls.create(buyer, NewCall("+14155551234", "+18005551234")))
        auction = measure("open auction", lambda: s.auctions.open(buyer, NewAuction(call.id, duration=600)))  # type: ignore[attr-defined]
        measure("place bid", lambda: s.bids.place(seller, auction.id, Decimal("22.00")))  # type: ignore[attr-defined]
        measure("route (closes auction)", lambda: s.calls.route(buyer, call.id))  # type: ignore[attr-defined]
        s.calls.change_status(buyer, call.id, CallStatus.RINGING)  # type: ignore[attr-defined]
        s.calls.change_status(buyer, call.id, CallStatus.IN_PROGRESS)  # type: ignore[attr-defined]
        measure("complete (bills)", lambda: s.calls.complete(buyer, call.id, 240))  # type: ignore[attr-defined]
        print("\nDynamoDB round trips per use case (moto on loopback; ms includes the emulator)")
        print(f"{'use case':<24} {'trips':>5}  {'ms':>7}  operations")
        for name, trips, detail, ms in rows:
            print(f"{name:<24} {trips:>5}  {ms:>7.1f}  {detail}")
    finally:
        emulator.stop()


if __name__ == "__main__":
    winner_selection()
    round_trips()
