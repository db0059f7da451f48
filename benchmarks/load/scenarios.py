"""The HTTP load scenarios and the rising-rate sweep.

| scenario     | target   | request                                                                   |
|--------------|----------|---------------------------------------------------------------------------|
| baseline     | baseline | GET / on the bare ASGI app (constant JSON)                                 |
| health       | exchange | GET /api/v1/health: gateway → worker → accounts handler (edge checks incl. |
|              |          | the rate-limit bucket: 1 DynamoDB round trip) → gateway                     |
| create_call  | exchange | POST /api/v1/calls (inbound) as one of 10 buyers                            |
| place_bid    | exchange | POST /api/v1/bids on one of 100 open auctions, as one of 20 sellers         |
| route        | exchange | POST /api/v1/calls/{id}/route of a call whose auction has a bid and is closed |

Bids go round-robin over the auctions, the seller changing every 100 bids; each bid is 0.01 higher than
the one before (a seller may only raise its own bid), so every bid is valid.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.load import cpu
from benchmarks.load.exchange import API, INBOUND_CALL, Marketplace
from benchmarks.load.http1 import Request
from benchmarks.load.open_loop import ConnectionPool, StepResult, run_step

P99_LIMIT_MS = 50.0
BUYERS, SELLERS, AUCTIONS = 10, 20, 100
PAUSE_S = 2.0  # between steps: the stream poller drains the last step's events

RequestFor = Callable[[int], Request]
Prepare = Callable[[int], Awaitable[RequestFor]]  # requests of the coming step → how to build request i


@dataclass
class Scenario:
    name: str
    prepare: Prepare


def baseline(host: str) -> Scenario:
    request = Request.build(host, "GET", "/")

    async def prepare(_: int) -> RequestFor:
        return lambda _index: request

    return Scenario("baseline", prepare)


def health(host: str) -> Scenario:
    request = Request.build(host, "GET", f"{API}/health")

    async def prepare(_: int) -> RequestFor:
        return lambda _index: request

    return Scenario("health", prepare)


async def create_call(host: str, market: Marketplace) -> Scenario:
    buyers = await market.parties("buyer", BUYERS)
    requests = [Request.build(host, "POST", f"{API}/calls", INBOUND_CALL, b.token) for b in buyers]

    async def prepare(_: int) -> RequestFor:
        return lambda index: requests[index % len(requests)]

    return Scenario("create_call", prepare)


async def place_bid(host: str, market: Marketplace) -> Scenario:
    buyers = await market.parties("buyer", BUYERS)
    sellers = await market.parties("seller", SELLERS)
    auctions = await market.open_auctions(buyers, AUCTIONS)
    placed = 0  # across steps: amounts keep rising

    def request_for(index: int) -> Request:
        nonlocal placed
        placed += 1
        seller = sellers[(placed // AUCTIONS) % len(sellers)]
        body = {"auction_id": auctions[placed % AUCTIONS], "amount": round(1.00 + placed * 0.01, 2)}
        return Request.build(host, "POST", f"{API}/bids", body, seller.token)

    async def prepare(_: int) -> RequestFor:
        return request_for

    return Scenario("place_bid", prepare)


async def route(host: str, market: Marketplace) -> Scenario:
    buyers = await market.parties("buyer", BUYERS)
    (seller,) = await market.parties("seller", 1)

    async def prepare(count: int) -> RequestFor:
        ready = await market.routable_calls(buyers, seller, count)
        requests = [Request.build(host, "POST", f"{API}/calls/{call_id}/route", None, b.token) for b, call_id in ready]
        return lambda index: requests[index]

    return Scenario("route", prepare)


async def step(
    scenario: Scenario, pool: ConnectionPool, rate: float, seconds: float
) -> tuple[StepResult, dict[str, Any]]:
    """One step; returns its result and the cores each process used during it."""
    request_for = await scenario.prepare(int(rate * seconds))
    before, start = cpu.snapshot(), time.perf_counter()
    result = await run_step(scenario.name, pool, rate, seconds, request_for)
    used = cpu.cores_used(before, cpu.snapshot(), time.perf_counter() - start)
    return result, {"cores": used, "loadavg": [round(x, 2) for x in os.getloadavg()]}


def summary(result: StepResult, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON row of a step (latencies in ms)."""
    p50, p95, p99 = (result.percentile(q) for q in (0.50, 0.95, 0.99))
    return {
        "scenario": result.scenario,
        "rate": result.rate,
        "seconds": result.duration_s,
        "sent": result.sent,
        "ok": result.ok,
        "errors": result.errors,
        "error_rate": round(result.errors / result.sent, 4) if result.sent else 0.0,
        "statuses": dict(result.statuses),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(max(result.latencies_ms, default=float("nan")), 2),
        "achieved_rps": round(result.achieved_rps, 1),
        "waited_for_connection": result.waited,
        "connections_opened_on_demand": result.opened_on_demand,
        "max_in_flight": result.max_in_flight,
        "sched_lag_max_ms": round(result.sched_lag_max_ms, 2),
        "generator_cpu": round(result.generator_cpu, 2),
        **extra,
    }


def print_row(row: dict[str, Any]) -> None:
    cores = row.get("cores", {})
    split = " ".join(f"{k.split()[0]}={v:.2f}" for k, v in sorted(cores.items()) if v >= 0.01)
    print(
        f"{row['scenario']:<12} {row['rate']:>6.0f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f}"
        f" {row['max_ms']:>8.1f} {row['achieved_rps']:>8.1f} {row['errors']:>6} {row['waited_for_connection']:>5}"
        f"  {row['loadavg'][0]:>5.2f}  {split}",
        flush=True,
    )


def print_header() -> None:
    print(
        f"{'scenario':<12} {'rate':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'got rps':>8}"
        f" {'errors':>6} {'waits':>5}  {'load1':>5}  cores used (generator, gateway, workers, baseline)"
    )


SATURATED = 0.9  # achieved / offered below this: the server no longer keeps up
SATURATED_P99_MS = 1000.0


def saturated(row: dict[str, Any]) -> bool:
    return bool(row["achieved_rps"] < SATURATED * row["rate"] or row["p99_ms"] > SATURATED_P99_MS)


async def sweep(
    scenario: Scenario, pool: ConnectionPool, rates: list[float], seconds: float, to_saturation: bool = False
) -> list[dict[str, Any]]:
    """Rising rates until p99 passes P99_LIMIT_MS (that step included). With `to_saturation`, past that
    too, until the server stops keeping up (achieved < 90 % of offered, or p99 > 1 s): the marketplace
    routes pass 50 ms locally even unloaded, and their throughput is then the useful number."""
    rows = []
    for rate in rates:
        result, extra = await step(scenario, pool, rate, seconds)
        rows.append(summary(result, extra))
        print_row(rows[-1])
        if rows[-1]["p99_ms"] > P99_LIMIT_MS and (not to_saturation or saturated(rows[-1])):
            break
        await asyncio.sleep(PAUSE_S)
    return rows
