"""`python -m benchmarks.load` (part of `make bench`): open-loop HTTP load on the local exchange.

Starts the exchange (`local.launcher.running_exchange`, settings in `exchange.py`) and the bare ASGI
baseline (`baseline.py`) on loopback, warms every route up, then sweeps rising rates: gateway overhead
(baseline and GET /health at the same rates, interleaved) until health's p99 passes 50 ms; call
creation, bidding and routing past that, until the exchange stops keeping up (see `scenarios.sweep`).
Prints one row per step and writes benchmarks/results/http_load.json. Never asserts on time.
Method and latest numbers: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from benchmarks import report  # noqa: E402
from benchmarks.load import scenarios  # noqa: E402
from benchmarks.load.baseline import running_baseline  # noqa: E402
from benchmarks.load.exchange import EXCHANGE_SETTINGS, Marketplace  # noqa: E402
from benchmarks.load.open_loop import ConnectionPool, run_step  # noqa: E402
from local.emulator import LOOPBACK, free_port  # noqa: E402
from local.launcher import running_exchange  # noqa: E402

RATES = [25, 50, 100, 150, 200, 300, 400, 600, 800]  # gateway overhead: baseline and GET /health
# The marketplace routes saturate far lower on 2 shared cores: start low so the sweep shows where.
MARKET_RATES = [5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300]
MAX_CONNECTIONS = 1000
WARM_UP_RATE, WARM_UP_SECONDS = 20, 2.0


def ratios(baseline_rows: list[dict[str, Any]], health_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gateway (GET /health) over baseline, at each rate both were measured."""
    by_rate = {row["rate"]: row for row in baseline_rows}
    out = []
    for row in health_rows:
        base = by_rate.get(row["rate"])
        if base:
            out.append(
                {
                    "rate": row["rate"],
                    "p50_ratio": round(row["p50_ms"] / base["p50_ms"], 2),
                    "p99_ratio": round(row["p99_ms"] / base["p99_ms"], 2),
                    "baseline_p50_ms": base["p50_ms"],
                    "baseline_p99_ms": base["p99_ms"],
                    "gateway_p50_ms": row["p50_ms"],
                    "gateway_p99_ms": row["p99_ms"],
                }
            )
    return out


async def overhead(
    exchange: ConnectionPool, baseline: ConnectionPool, host: str, rates: list[float], seconds: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Baseline then health at each rate (interleaved: both see the same machine), until health's p99 > 50 ms."""
    base_scenario, health_scenario = scenarios.baseline(f"{LOOPBACK}:{baseline.port}"), scenarios.health(host)
    base_rows: list[dict[str, Any]] = []
    health_rows: list[dict[str, Any]] = []
    for rate in rates:
        for scenario, pool, rows in ((base_scenario, baseline, base_rows), (health_scenario, exchange, health_rows)):
            result, extra = await scenarios.step(scenario, pool, rate, seconds)
            rows.append(scenarios.summary(result, extra))
            scenarios.print_row(rows[-1])
            await asyncio.sleep(scenarios.PAUSE_S)
        if health_rows[-1]["p99_ms"] > scenarios.P99_LIMIT_MS:
            break
    return base_rows, health_rows


async def run(base: str, baseline_port: int, args: argparse.Namespace) -> dict[str, Any]:
    port = int(base.rsplit(":", 1)[1])
    host = f"{LOOPBACK}:{port}"
    exchange = ConnectionPool(LOOPBACK, port, MAX_CONNECTIONS)
    baseline = ConnectionPool(LOOPBACK, baseline_port, MAX_CONNECTIONS)
    market = Marketplace(base)
    results: dict[str, Any] = {"settings": EXCHANGE_SETTINGS, "seconds_per_step": args.seconds, "p99_limit_ms": 50}
    try:
        print("set-up: accounts, open auctions ...", flush=True)
        builders = {"create_call": scenarios.create_call, "place_bid": scenarios.place_bid, "route": scenarios.route}
        prepared = {name: await build(host, market) for name, build in builders.items() if name in args.scenarios}
        print("warm-up: every route in every worker ...", flush=True)
        for scenario in (scenarios.health(host), *prepared.values()):
            await run_step("warm-up", exchange, WARM_UP_RATE, WARM_UP_SECONDS, await scenario.prepare(40))
        scenarios.print_header()
        if "overhead" in args.scenarios:
            base_rows, health_rows = await overhead(exchange, baseline, host, args.rates, args.seconds)
            results["baseline"], results["health"] = base_rows, health_rows
            results["gateway_over_baseline"] = ratios(base_rows, health_rows)
        for name in ("create_call", "place_bid", "route"):
            if name in args.scenarios:
                seconds = args.route_seconds if name == "route" else args.seconds
                results[name] = await scenarios.sweep(
                    prepared[name], exchange, args.market_rates, seconds, to_saturation=True
                )
    finally:
        results["setup_failures"] = market.setup_failures
        await market.close()
        exchange.close()
        baseline.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--route-seconds", type=float, default=5.0, help="steps of `route` (each call is set up)")
    rates = lambda text: [float(r) for r in text.split(",")]  # noqa: E731
    parser.add_argument("--rates", type=rates, default=RATES, help="of the overhead sweep (baseline, health)")
    parser.add_argument("--market-rates", type=rates, default=MARKET_RATES, help="of create_call, place_bid, route")
    parser.add_argument(
        "--scenarios",
        type=lambda s: s.split(","),
        default=["overhead", "create_call", "place_bid", "route"],
        help="comma-separated subset of overhead, create_call, place_bid, route",
    )
    parser.add_argument("--workers", default=EXCHANGE_SETTINGS["DCE_WORKERS"], help="DCE_WORKERS of the exchange")
    parser.add_argument("--output", default="http_load", help="result name in benchmarks/results/")
    parser.add_argument("--url", help="a running exchange started with exchange.EXCHANGE_SETTINGS (to profile it)")
    args = parser.parse_args(argv)
    settings = {**EXCHANGE_SETTINGS, "DCE_WORKERS": str(args.workers)}
    with running_baseline(free_port()) as (_, port):
        if args.url:
            results = asyncio.run(run(args.url.rstrip("/"), port, args))
        else:
            with running_exchange(settings, startup_seconds=120) as base:
                results = asyncio.run(run(base, port, args))
    results["settings"] = settings
    for row in results.get("gateway_over_baseline", []):
        print(
            f"gateway/baseline at {row['rate']:>5.0f} rps: p50 {row['p50_ratio']:.2f}x"
            f" ({row['gateway_p50_ms']} vs {row['baseline_p50_ms']} ms), p99 {row['p99_ratio']:.2f}x"
            f" ({row['gateway_p99_ms']} vs {row['baseline_p99_ms']} ms)"
        )
    print(f"wrote {report.write(args.output, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
