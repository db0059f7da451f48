"""WebSocket load benchmark against the local exchange (`make bench-ws`; not part of `make test`).

1. Event delivery latency at rest: a buyer's connection, calls created one after another; latency is the
   time from the state change (the event's `ts`: when the call was written) to the frame reaching the client.
2. Load: N concurrent connections (default 1,000), each doing M ping/pong round trips (default 100) through
   the real `$default` handler, while the same event probe keeps measuring delivery latency under load.

Prints success rate, round-trip p50/p99, messages/s and the delivery latencies. It starts its own
`python -m local` on a free loopback port unless `--url` names a running one. Never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark-password-123"  # noqa: S105 (a throwaway account on a local server)
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
REPLY_TIMEOUT_S = 10.0
GOAL = 99.9


@dataclass
class LoadResult:
    round_trips_ms: list[float] = field(default_factory=list)
    failures: int = 0
    connect_failures: int = 0
    connect_s: float = 0.0
    elapsed_s: float = 0.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def server_settings(workers: int) -> dict[str, str]:
    return {
        "DCE_WORKERS": str(workers),
        "DCE_CALLS_PER_HOUR": "1000000",  # the probe creates hundreds of calls for one buyer
        # A load generator is one client: the local stack's test-mode limits (25/s) would refuse it.
        "DCE_RATE_LIMIT_PER_SECOND": "100000",
        "DCE_RATE_LIMIT_BURST": "100000",
        "DCE_SIGNUPS_PER_IP": "100000",
        "DCE_PASSWORD_TIME_COST": "1",
        "DCE_PASSWORD_MEMORY_KIB": "1024",
    }


def buyer_token(base: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "company_name": "Bench", "type": "buyer"}
    httpx.post(f"{base}/api/v1/accounts", json=body, timeout=30).raise_for_status()
    login = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    login.raise_for_status()
    return str(login.json()["access_token"])


def ws_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://").replace("https://", "wss://") + f"/ws/events?token={token}"


async def ping_pong(ws: ClientConnection, pings: int, result: LoadResult) -> None:
    for done in range(pings):
        start = time.perf_counter()
        try:
            await ws.send('{"action": "ping"}')
            reply = await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S)
        except Exception:
            result.failures += pings - done  # the connection is lost: the rest of its round trips too
            return
        if json.loads(reply).get("type") == "pong":
            result.round_trips_ms.append((time.perf_counter() - start) * 1000)
        else:
            result.failures += 1


async def load(base: str, token: str, connections: int, pings: int, connect_concurrency: int) -> LoadResult:
    result = LoadResult()
    gate = asyncio.Semaphore(connect_concurrency)  # like real clients arriving, not one SYN flood
    opened: list[ClientConnection] = []

    async def open_one() -> None:
        async with gate:
            try:
                opened.append(await connect(ws_url(base, token), open_timeout=30, max_queue=None))
            except Exception:
                result.connect_failures += 1

    start = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(connections)))
    result.connect_s = time.perf_counter() - start
    result.failures += result.connect_failures * pings
    start = time.perf_counter()
    await asyncio.gather(*(ping_pong(ws, pings, result) for ws in opened))
    result.elapsed_s = time.perf_counter() - start
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    return result


async def delivery_latency(base: str, token: str, events: int, stop: asyncio.Event | None = None) -> list[float]:
    """Create calls one by one; for each, the time from its `ts` (the write) to its frame's arrival (ms)."""
    latencies: list[float] = []
    async with (
        connect(ws_url(base, token), open_timeout=30) as ws,
        httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as http,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(events):
            if stop is not None and stop.is_set():
                break
            created = await http.post("/calls", json=INBOUND, headers=headers)
            call_id = created.json()["id"]
            deadline = time.monotonic() + REPLY_TIMEOUT_S
            while time.monotonic() < deadline:
                frame = json.loads(await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT_S))
                arrived = time.time()
                if frame.get("type") == "call.created" and frame["data"]["call"]["id"] == call_id:
                    written = datetime.fromisoformat(frame["ts"].replace("Z", "+00:00")).timestamp()
                    latencies.append((arrived - written) * 1000)
                    break
    return latencies


def report_latency(title: str, samples: list[float]) -> None:
    print(
        f"{title:<34} {len(samples):>6} events   p50 {percentile(samples, 0.5):7.1f} ms   "
        f"p99 {percentile(samples, 0.99):7.1f} ms"
    )


async def run(base: str, args: argparse.Namespace) -> None:
    load_token, probe_token = buyer_token(base), buyer_token(base)
    await delivery_latency(base, probe_token, 5)  # warm-up: cold starts of the handlers in every worker
    report_latency("Event delivery at rest", await delivery_latency(base, probe_token, args.events))

    stop = asyncio.Event()
    probe = asyncio.create_task(delivery_latency(base, probe_token, args.events, stop))
    result = await load(base, load_token, args.connections, args.pings, args.connect_concurrency)
    stop.set()
    under_load = await probe

    total = args.connections * args.pings
    ok = len(result.round_trips_ms)
    print(f"\nWebSocket load: {args.connections} connections x {args.pings} ping/pong round trips")
    opened = args.connections - result.connect_failures
    print(f"  connected        {opened}/{args.connections} in {result.connect_s:.1f} s")
    rate = 100 * ok / total if total else 0.0
    verdict = "meets" if rate >= GOAL else "MISSES"
    print(f"  success          {ok}/{total} = {rate:.3f} %  ({verdict} the {GOAL} % goal)")
    print(
        f"  round trip       p50 {percentile(result.round_trips_ms, 0.5):.1f} ms   "
        f"p99 {percentile(result.round_trips_ms, 0.99):.1f} ms"
    )
    per_s = ok / result.elapsed_s if result.elapsed_s else 0.0
    print(f"  throughput       {per_s:,.0f} round trips/s = {2 * per_s:,.0f} messages/s over {result.elapsed_s:.1f} s")
    report_latency("Event delivery under that load", under_load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running exchange, e.g. http://127.0.0.1:8080 (default: start one)")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--pings", type=int, default=100)
    parser.add_argument("--events", type=int, default=200, help="calls created for the delivery-latency probe")
    parser.add_argument("--workers", type=int, default=4, help="Lambda-like worker processes of the started server")
    parser.add_argument("--connect-concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    if args.url:
        asyncio.run(run(args.url.rstrip("/").removesuffix("/api/v1"), args))
        return 0
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
    from local.launcher import running_exchange

    with running_exchange(server_settings(args.workers), startup_seconds=90) as base:
        asyncio.run(run(base, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
