"""Request cost per route (`make bench`): DynamoDB round trips, and handler time EXCLUDING the emulator.

Each route's real Lambda handler runs in this process (as a worker of the local gateway runs it: the
same `local.lambda_runtime.invoke`, the authorizer first for authenticated routes), against moto on
loopback. botocore event hooks on the DynamoDB client time every round trip, from `before-send` (the
request is signed and about to go on the wire) to `before-parse` (the whole response has arrived):
that is time inside the emulator (plus loopback). Handler time = wall time of the invocation minus
those intervals: our code, Powertools, pydantic and botocore's own serialising and parsing — what a
Lambda would spend on CPU per request, whatever DynamoDB's latency. On AWS, add the round trips x the
real DynamoDB latency (see docs/performance.md).

Prints a table and writes benchmarks/results/request_cost.json. Never asserts on time.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from benchmarks import report  # noqa: E402

ITERATIONS = 40
PASSWORD = "benchmark-password-123"  # noqa: S105 (a throwaway account in an emulator)
SETTINGS = {
    "DCE_ENV": "local",
    "DCE_TABLE_PREFIX": "dce-bench-cost",
    "DCE_JWT_SECRET": "benchmark-secret-0123456789-0123456789",
    "DCE_PASSWORD_TIME_COST": "1",
    "DCE_PASSWORD_MEMORY_KIB": "1024",
    "DCE_FIXED_NOW": "2025-06-18T19:00:00Z",
    "DCE_CALLS_PER_HOUR": "100000000",
    "DCE_BIDS_PER_HOUR": "100000000",
    "DCE_RATE_LIMIT_PER_SECOND": "100000",
    "DCE_RATE_LIMIT_BURST": "100000",
    "POWERTOOLS_LOG_LEVEL": "ERROR",  # no auction timer here: its "closes only on demand" warning is noise
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "dce-local",
}


@dataclass
class Sample:
    wall_ms: float
    emulator_ms: float
    trips: Counter[str]


@dataclass
class RouteCost:
    samples: list[Sample] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        handler = [s.wall_ms - s.emulator_ms for s in self.samples]
        emulator = [s.emulator_ms for s in self.samples]
        trips = Counter[str]()
        for s in self.samples:
            trips.update(s.trips)
        n = len(self.samples)
        h50, h99 = report.percentiles(handler, 0.5, 0.99)
        (e50,) = report.percentiles(emulator, 0.5)
        return {
            "samples": n,
            "round_trips": round(sum(trips.values()) / n, 2),
            "operations": {op: round(count / n, 2) for op, count in sorted(trips.items())},
            "handler_p50_ms": round(h50, 2),
            "handler_p99_ms": round(h99, 2),
            "emulator_p50_ms": round(e50, 2),
        }


class EmulatorClock:
    """Sums the time between botocore's `before-send` and `before-parse` of every DynamoDB round trip."""

    def __init__(self) -> None:
        self.total_s = 0.0
        self.trips: Counter[str] = Counter()
        self._sent: float | None = None

    def sent(self, request: Any = None, **_: Any) -> None:
        self._sent = time.perf_counter()

    def received(self, operation_model: Any, **_: Any) -> None:
        if self._sent is not None:
            self.total_s += time.perf_counter() - self._sent
            self._sent = None
        self.trips[operation_model.name] += 1

    @contextmanager
    def attached(self, client: Any) -> Iterator[None]:
        events = client.meta.events
        events.register("before-send.dynamodb", self.sent, unique_id="bench-sent")
        events.register("before-parse.dynamodb", self.received, unique_id="bench-received")
        try:
            yield
        finally:
            events.unregister("before-send.dynamodb", unique_id="bench-sent")
            events.unregister("before-parse.dynamodb", unique_id="bench-received")


class InProcessGateway:
    """The local gateway's path for one request, minus HTTP and the process hop: event → authorizer →
    handler, timed per function."""

    def __init__(self, clock: EmulatorClock) -> None:
        from dce.api.routes import ROUTES
        from local.gateway import compile_routes

        self._routes = compile_routes(ROUTES)
        self._clock = clock
        self.costs: dict[str, RouteCost] = {}

    def _timed(self, name: str, area: str, event: dict[str, Any]) -> tuple[str, Any]:
        from local.lambda_runtime import invoke

        self._clock.total_s, self._clock.trips = 0.0, Counter()
        start = time.perf_counter()
        outcome, result = invoke(area, event)
        wall = time.perf_counter() - start
        sample = Sample(wall * 1000, self._clock.total_s * 1000, self._clock.trips)
        self.costs.setdefault(name, RouteCost()).samples.append(sample)
        return outcome, result

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None, api_key: str | None = None
    ) -> Any:
        from dce.api.routes import API_PREFIX
        from local.events import authorizer_event, rest_event
        from local.gateway import match_route

        full = API_PREFIX + path
        route, params = match_route(self._routes, method, full)
        headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
        if api_key:
            headers["x-api-key"] = api_key
        raw = json.dumps(body).encode() if body is not None else b""
        event = rest_event(route, full, params, headers, raw, [], str(uuid.uuid4()))
        if not route.public:
            credential = "API key" if api_key else "bearer JWT"
            outcome, policy = self._timed(f"authorizer ({credential})", "authorizer", authorizer_event(event))
            assert outcome == "ok", policy
            event["requestContext"]["authorizer"] = {"principalId": policy["principalId"], **policy["context"]}
        outcome, result = self._timed(f"{method} {route.resource}", route.area, event)
        if outcome != "ok" or int(result["statusCode"]) >= 300:
            raise RuntimeError(f"{method} {path}: {result}")
        return json.loads(result["body"]) if result.get("body") else None


def flow(gateway: InProcessGateway, iterations: int) -> None:
    """Every marketplace route, `iterations` times: a buyer's call from creation to billing. Without a
    state machine ARN the auction timer makes no Step Functions call (on AWS: one StartExecution)."""

    def account(role: str) -> str:
        email = f"{role}-{uuid.uuid4().hex[:10]}@bench.dev"
        gateway.request("POST", "/accounts", {"email": email, "password": PASSWORD, "company_name": "B", "type": role})
        return str(gateway.request("POST", "/auth/login", {"email": email, "password": PASSWORD})["access_token"])

    buyer, seller = account("buyer"), account("seller")
    seller_key = str(gateway.request("POST", "/api-keys", {"name": "bench"}, seller)["api_key"])
    inbound = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
    outbound = {"from_number": "+18005551234", "to_number": "+14155551234", "direction": "outbound"}
    for i in range(iterations):
        gateway.request("GET", "/health")
        if i % 8 == 7:
            buyer = account("buyer")  # a fresh balance (each flow charges the buyer)
        call = gateway.request("POST", "/calls", outbound if i % 2 else inbound, buyer)
        auction = gateway.request("POST", "/auctions", {"call_id": call["id"], "duration": 600}, buyer)
        gateway.request("POST", "/bids", {"auction_id": auction["id"], "amount": 22.00}, seller)
        gateway.request("POST", f"/auctions/{auction['id']}/complete", None, buyer)
        gateway.request("POST", f"/calls/{call['id']}/route", None, buyer)
        for status in ("ringing", "in_progress"):
            gateway.request("PATCH", f"/calls/{call['id']}/status", {"status": status}, buyer)
        gateway.request("POST", f"/calls/{call['id']}/complete", {"duration": 60}, buyer)
        gateway.request("GET", f"/calls/{call['id']}", None, buyer)
        gateway.request("GET", "/profile", api_key=seller_key)  # the authorizer's API-key path


def main() -> int:
    os.environ.update(SETTINGS)
    from local.emulator import create_tables, start_moto

    emulator = start_moto()
    try:
        from dce.adapters import aws

        create_tables(SETTINGS["DCE_TABLE_PREFIX"])
        clock = EmulatorClock()
        gateway = InProcessGateway(clock)
        with clock.attached(aws.dynamodb().meta.client):
            flow(gateway, 3)  # warm-up: imports, connections, first-use caches
            gateway.costs.clear()
            flow(gateway, ITERATIONS)
    finally:
        emulator.stop()
    rows = {name: cost.row() for name, cost in gateway.costs.items()}
    print(f"\nRequest cost per route ({ITERATIONS} flows; handler = wall - time inside the emulator), ms")
    print(f"{'route':<40} {'trips':>5} {'handler p50':>11} {'p99':>7} {'emulator p50':>12}  operations")
    for name, row in rows.items():
        ops = ", ".join(f"{op} x{n:g}" for op, n in row["operations"].items())
        print(
            f"{name:<40} {row['round_trips']:>5g} {row['handler_p50_ms']:>11.2f} {row['handler_p99_ms']:>7.2f}"
            f" {row['emulator_p50_ms']:>12.2f}  {ops}"
        )
    print(f"wrote {report.write('request_cost', {'iterations': ITERATIONS, 'routes': rows})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
