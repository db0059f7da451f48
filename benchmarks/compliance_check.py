"""Compliance benchmark: the cost of the pre-call check on the local stack, and its DynamoDB round trips.

    .venv/bin/python benchmarks/compliance_check.py [--checks 2000]

Starts the embedded moto server (`local.emulator.start_moto`) and creates the tables (`create_tables`),
seeds 10,000 DNC numbers (bulk import), calling hours and geographic restrictions, then times
`ComplianceService.screen` (the whole pre-call check: DNC, TCPA, geography, velocity) for compliant,
DNC-blocked and inbound calls. Round trips are counted with a botocore `before-call` hook on the
DynamoDB client. Not part of the test run; numbers depend on the machine, nothing is asserted on time.

moto runs in a child process, as in the local stack (moto lives in the gateway process, handlers in
worker processes); `--in-process` runs it in this process instead, sharing the GIL with the client.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

PREFIX = "dce-bench-compliance"
NOW = datetime(2025, 6, 18, 19, 0, tzinfo=UTC)  # inside TCPA hours for the numbers used below
TARGET_P99_MS = 10.0


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples_ms)
    return tuple(ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.50, 0.95, 0.99))  # type: ignore[return-value]


@contextmanager
def round_trips(client: Any) -> Iterator[Counter[str]]:
    """Count DynamoDB operations sent by `client` (botocore `before-call`: once per HTTP round trip)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb", count, unique_id="bench-round-trips")
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id="bench-round-trips")


def run(name: str, checks: int, check: Callable[[int], None], client: Any) -> tuple[str, float, float, float, str]:
    samples: list[float] = []
    with round_trips(client) as calls:
        for i in range(checks):
            start = time.perf_counter()
            check(i)
            samples.append((time.perf_counter() - start) * 1000)
    p50, p95, p99 = percentiles(samples)
    per_check = ", ".join(f"{op} x{n / checks:g}" for op, n in sorted(calls.items()))
    return name, p50, p95, p99, per_check


def serve_moto(port: int, ready: Any) -> None:
    """The child process: moto on loopback until killed."""
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
    from local.emulator import start_moto

    start_moto(port)
    ready.set()
    while True:
        time.sleep(3600)


@contextmanager
def moto(in_process: bool) -> Iterator[None]:
    from local.emulator import EMULATOR_CREDENTIALS, LOOPBACK, free_port, start_moto

    if in_process:
        emulator = start_moto()
        try:
            yield
        finally:
            emulator.stop()
        return
    port = free_port()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    child = context.Process(target=serve_moto, args=(port, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("moto did not start")
        os.environ.update({**EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://{LOOPBACK}:{port}"})
        yield
    finally:
        child.terminate()
        child.join(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=2000, help="timed checks per scenario")
    parser.add_argument("--in-process", action="store_true", help="run moto in this process (shares the GIL)")
    args = parser.parse_args(argv)
    os.environ.update({"DCE_ENV": "local", "DCE_TABLE_PREFIX": PREFIX})
    from local.emulator import create_tables

    with moto(args.in_process):
        from dce.adapters import aws
        from dce.adapters.compliance_repo import DynamoComplianceRepo
        from dce.adapters.fixed_clock import FixedClock
        from dce.domain.calls import Direction
        from dce.domain.compliance import DncList, Region
        from dce.domain.errors import DncBlocked
        from dce.domain.phone import PhoneNumber
        from dce.services.compliance import ComplianceService

        create_tables(PREFIX)
        service = ComplianceService(DynamoComplianceRepo(), FixedClock(NOW), calls_per_hour=1_000_000)
        client = aws.dynamodb().meta.client

        listed = [f"+1212555{n:04d}" for n in range(10_000)]
        start = time.perf_counter()
        service.import_dnc("\n".join(listed), "benchmark seed", DncList.FEDERAL, None)
        import_s = time.perf_counter() - start
        service.set_hours("08:00", "21:00", "America/New_York")
        for state in ("TX", "FL", "GA", "OH", "WA"):
            service.restrict(Region.state(state), True, "benchmark")
        for code in (44, 33, 49):
            service.restrict(Region.country(code), True, "benchmark")

        caller = PhoneNumber.parse("+13125550100")
        clean = [PhoneNumber.parse(f"+1415555{n:04d}") for n in range(1000)]
        blocked = [PhoneNumber.parse(n) for n in random.sample(listed, 1000)]

        def compliant(i: int) -> None:
            service.screen(f"acct-{i % 50}", Direction.OUTBOUND, caller, clean[i % len(clean)])

        def dnc_hit(i: int) -> None:
            try:
                service.screen("acct-dnc", Direction.OUTBOUND, caller, blocked[i % len(blocked)])
            except DncBlocked:
                return
            raise AssertionError("a listed number was let through")

        def inbound(i: int) -> None:
            service.screen(f"acct-{i % 50}", Direction.INBOUND, clean[i % len(clean)], caller)

        for i in range(100):  # warm up: connections, imports, zone data
            compliant(i)
        rows = [
            run("outbound, compliant", args.checks, compliant, client),
            run("outbound, DNC-blocked", args.checks, dnc_hit, client),
            run("inbound, compliant", args.checks, inbound, client),
        ]

    where = "in this process" if args.in_process else "in its own process"
    print(f"\nSeed: 10,000 DNC numbers imported in {import_s:.2f} s (400 BatchWriteItem calls, 8 in flight)")
    print(f"\nPre-call compliance check, moto on loopback {where} ({args.checks} checks each), milliseconds")
    print(f"{'scenario':<24} {'p50':>7} {'p95':>7} {'p99':>7}  round trips per check")
    for name, p50, p95, p99, trips in rows:
        print(f"{name:<24} {p50:>7.2f} {p95:>7.2f} {p99:>7.2f}  {trips}")
    worst = max(row[3] for row in rows)
    verdict = "met" if worst < TARGET_P99_MS else "NOT met"
    print(f"\nTarget p99 < {TARGET_P99_MS:g} ms: {verdict} (worst p99 {worst:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
