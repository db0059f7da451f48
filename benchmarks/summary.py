"""Markdown tables of the latest results (benchmarks/results/*.json), for docs/performance.md.

python benchmarks/summary.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def load(name: str) -> dict[str, Any]:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def http_tables() -> None:
    data = load("http_load")
    if not data:
        return
    print(f"HTTP load — {data['machine']}\n")
    print(
        "| scenario | offered rps | p50 ms | p95 ms | p99 ms | max ms | achieved rps | errors | waits"
        " | load avg (1 min) | cores used |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("baseline", "health", "create_call", "place_bid", "route"):
        for r in data.get(name, []):
            cores = ", ".join(f"{k.split()[0]} {v:.2f}" for k, v in sorted(r.get("cores", {}).items()) if v >= 0.01)
            print(
                f"| {name} | {r['rate']:g} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} |"
                f" {r['achieved_rps']} | {r['errors']} | {r['waited_for_connection']} | {r['loadavg'][0]} | {cores} |"
            )
    print("\n| rate | gateway p50 / baseline p50 | gateway p99 / baseline p99 |")
    print("|---|---|---|")
    for r in data.get("gateway_over_baseline", []):
        print(
            f"| {r['rate']:g} | {r['p50_ratio']}x ({r['gateway_p50_ms']} / {r['baseline_p50_ms']} ms) |"
            f" {r['p99_ratio']}x ({r['gateway_p99_ms']} / {r['baseline_p99_ms']} ms) |"
        )


def cost_table() -> None:
    data = load("request_cost")
    if not data:
        return
    print(f"\nRequest cost — {data['machine']}\n")
    print("| route | DynamoDB round trips | handler p50 ms | handler p99 ms | emulator p50 ms | operations |")
    print("|---|---|---|---|---|---|")
    for name, r in data["routes"].items():
        ops = ", ".join(f"{op} x{n:g}" for op, n in r["operations"].items())
        print(
            f"| {name} | {r['round_trips']:g} | {r['handler_p50_ms']} | {r['handler_p99_ms']} |"
            f" {r['emulator_p50_ms']} | {ops} |"
        )


def micro_tables() -> None:
    market, micro = load("marketplace"), load("micro")
    if market:
        print(f"\nWinner selection — {market['machine']}\n")
        print("| bids | p50 µs | p95 µs | p99 µs | building the book p50 µs |")
        print("|---|---|---|---|---|")
        for r in market["winner_selection"]:
            print(f"| {r['bids']:,} | {r['p50_us']} | {r['p95_us']} | {r['p99_us']} | {r['load_p50_us']} |")
    if micro:
        print(f"\nMicro — {micro['machine']}\n")
        print("| case | p50 µs | p95 µs | p99 µs |")
        print("|---|---|---|---|")
        for group in ("compliance_decision", "jwt", "events"):
            for name, r in micro.get(group, {}).get("cases", {}).items():
                print(f"| {name} | {r['p50_us']} | {r['p95_us']} | {r['p99_us']} |")


def main() -> int:
    micro_tables()
    cost_table()
    print()
    http_tables()
    return 0


if __name__ == "__main__":
    sys.exit(main())
