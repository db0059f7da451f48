"""Fair use under attack (`make bench-abuse`; not part of `make test`): each attack of the fair-use issue runs
against a local exchange beside a victim client, and the victim's latency with the attack is divided by its
latency without it, measured in the same run just before.

Attacks (each against the default local settings: real password hashing, the local stack's rate limits):
- signup_flood: 16 threads re-signing up one taken email (each 409 or 429), victim `GET /profile`;
- login_flood: 8 threads logging in to their own account with the right password, victim `GET /profile`;
- bid_profiles: sellers holding as many catch-all automatic-bid profiles as they may (the cap), victim a
  buyer's `POST /auctions` (its call created beforehand, not timed);
- ws_fanout: 3 accounts holding 50 WebSockets each and creating 100 calls each as fast as they may, victim
  the delay of its own `call.created` frame after its `POST /calls` answered;
- slow_clients: a process of its own holding thousands of sockets that send half a request head and wait,
  victim `GET /profile` on a connection it opened before.

The victim sends open-loop at a fixed rate: latency is counted from when a request was due, so a stall shows
in full. Goal for every attack: victim p99 ratio <= 2.0 and no victim error. Writes
benchmarks/results/abuse.json and prints a Markdown table (docs/performance.md, "Fair use under attack").
Never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import selectors
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from local.launcher import running_exchange  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "abuse.json"
PASSWORD = "abuse-bench-pass-1"  # noqa: S105 (throwaway accounts on a local server)
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
GOAL_P99_RATIO = 2.0
# The local stack as `make dev` runs it, but for the victim's velocity: it creates more calls in an hour than
# the 100 a real buyer may (its own limit is not what is measured).
EXCHANGE = {"DCE_ENV": "local", "DCE_WORKERS": "4"}


@dataclass
class Latencies:
    samples_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples_ms)
        return {
            "n": len(ordered),
            "p50_ms": round(percentile(ordered, 0.50), 2),
            "p99_ms": round(percentile(ordered, 0.99), 2),
            "max_ms": round(ordered[-1], 2) if ordered else None,
            "errors": dict(self.errors),
        }


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=f"{base}/api/v1", timeout=60)

    def sign_up(self, role: str, email: str | None = None) -> dict[str, str]:
        email = email or f"abuse-{role}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "password": PASSWORD, "company_name": "Bench", "type": role}
        for _ in range(120):  # the sign-up limit is per client IP (every client here is 127.0.0.1)
            created = self.http.post("/accounts", json=body)
            if created.status_code != 429:
                break
            time.sleep(float(created.headers.get("retry-after", "1")))
        created.raise_for_status()
        token = self.login(email)
        return {"id": created.json()["id"], "email": email, "token": token}

    def login(self, email: str) -> str:
        for _ in range(120):
            response = self.http.post("/auth/login", json={"email": email, "password": PASSWORD})
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("retry-after", "1")))
        response.raise_for_status()
        return str(response.json()["access_token"])


def auth(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


def open_loop(rate: float, seconds: float, request: Callable[[], str | None]) -> Latencies:
    """Call `request` at fixed arrival times; latency from the due time. `request` returns an error label."""
    result = Latencies()
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            error = request()
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            error = type(exc).__name__
        if error:
            result.errors[error] += 1
        else:
            result.samples_ms.append((time.perf_counter() - due) * 1000)
    return result


def status_probe(client: httpx.Client, method: str, path: str, headers: dict[str, str], **kw: Any) -> str | None:
    response = client.request(method, path, headers=headers, **kw)
    return None if response.is_success else f"HTTP {response.status_code}"


@contextmanager
def attacking(workers: int, attack: Callable[[threading.Event, Counter[str]], None]) -> Iterator[Counter[str]]:
    """Run `attack(stop, outcomes)` in `workers` threads for the duration of the block."""
    stop, outcomes = threading.Event(), Counter[str]()
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(attack, stop, outcomes) for _ in range(workers)]
    time.sleep(1.0)  # let the attack build up before the victim measures
    try:
        yield outcomes
    finally:
        stop.set()
        for future in futures:
            exc = future.exception()
            if exc is not None:
                outcomes[f"attacker {type(exc).__name__}"] += 1
        pool.shutdown()


def compare(name: str, victim: str, baseline: Latencies, attacked: Latencies, attacker: Counter[str]) -> dict[str, Any]:
    base, under = baseline.summary(), attacked.summary()
    ratio_p50 = under["p50_ms"] / base["p50_ms"] if base["p50_ms"] else float("nan")
    ratio_p99 = under["p99_ms"] / base["p99_ms"] if base["p99_ms"] else float("nan")
    row = {
        "attack": name,
        "victim": victim,
        "baseline": base,
        "attacked": under,
        "ratio_p50": round(ratio_p50, 2),
        "ratio_p99": round(ratio_p99, 2),
        "victim_errors": sum(attacked.errors.values()),
        "attacker_outcomes": dict(attacker),
        "goal_met": ratio_p99 <= GOAL_P99_RATIO and not attacked.errors,
    }
    print(
        f"{name:>13}: victim {victim}: p50 {base['p50_ms']:.1f} -> {under['p50_ms']:.1f} ms (x{ratio_p50:.2f}), "
        f"p99 {base['p99_ms']:.1f} -> {under['p99_ms']:.1f} ms (x{ratio_p99:.2f}), "
        f"victim errors {row['victim_errors']}; attacker {dict(attacker)}",
        flush=True,
    )
    return row


# --- the attacks -----------------------------------------------------------------------------------------


WARM_UP_S = 3.0  # the victim's first requests start the workers (cold starts): not part of any phase


def profile_victim(api: Api, user: dict[str, str], seconds: float) -> Callable[[], Latencies]:
    client = httpx.Client(base_url=f"{api.base}/api/v1", timeout=60)

    def probe() -> str | None:
        return status_probe(client, "GET", "/profile", auth(user))

    open_loop(10, WARM_UP_S, probe)
    return lambda: open_loop(10, seconds, probe)


def post_flood(api: Api, seconds: float, name: str, path: str, body: dict[str, str], threads: int) -> dict[str, Any]:
    """`threads` clients POSTing `body` to `path` as fast as they are answered, beside a GET /profile victim."""
    victim = api.sign_up("buyer")
    measure = profile_victim(api, victim, seconds)
    baseline = measure()

    def attack(stop: threading.Event, outcomes: Counter[str]) -> None:
        with httpx.Client(base_url=f"{api.base}/api/v1", timeout=60) as client:
            while not stop.is_set():
                outcomes[str(client.post(path, json=body).status_code)] += 1

    with attacking(threads, attack) as outcomes:
        attacked = measure()
    return compare(name, "GET /profile", baseline, attacked, outcomes)


def signup_flood(api: Api, seconds: float) -> dict[str, Any]:
    """Re-signing up one taken email (each 409, or 429 past the per-IP limit)."""
    taken = api.sign_up("seller")["email"]
    body = {"email": taken, "password": PASSWORD, "company_name": "Flood", "type": "buyer"}
    return post_flood(api, seconds, "signup_flood", "/accounts", body, threads=16)


def login_flood(api: Api, seconds: float) -> dict[str, Any]:
    """Logging in to one's own account with the right password (429 past the per-email limit)."""
    own = api.sign_up("buyer")["email"]
    return post_flood(api, seconds, "login_flood", "/auth/login", {"email": own, "password": PASSWORD}, threads=8)


def bid_profiles(api: Api, seconds: float) -> dict[str, Any]:
    buyer = api.sign_up("buyer")
    client = httpx.Client(base_url=f"{api.base}/api/v1", timeout=60)

    def open_auction() -> str | None:
        call = client.post("/calls", json=INBOUND, headers=auth(buyer))
        if not call.is_success:
            return f"POST /calls {call.status_code}"
        started = time.perf_counter()
        auction = client.post("/auctions", json={"call_id": call.json()["id"], "duration": 60}, headers=auth(buyer))
        elapsed.append((time.perf_counter() - started) * 1000)
        return None if auction.is_success else f"HTTP {auction.status_code}"

    def measure() -> Latencies:
        elapsed.clear()
        result = open_loop(2, seconds, open_auction)
        result.samples_ms = list(elapsed)  # the auction's own time: call creation is not the victim's route
        return result

    elapsed: list[float] = []
    open_loop(2, WARM_UP_S, open_auction)  # cold starts of the calls and auctions workers
    baseline = measure()
    outcomes: Counter[str] = Counter()
    catch_all = {"criteria": {"max_budget": 1000}, "auto_bid": {"amount": 5.0}, "active": True}
    for _ in range(6):  # six sellers, each up to the cap
        seller = api.sign_up("seller")
        for _ in range(60):
            status = client.post("/bid-profiles", json=catch_all, headers=auth(seller)).status_code
            outcomes[f"profile {status}"] += 1
            if status == 409:
                break
    attacked = measure()
    return compare("bid_profiles", "POST /auctions", baseline, attacked, outcomes)


def ws_fanout(api: Api, seconds: float) -> dict[str, Any]:
    victim = api.sign_up("buyer")
    attackers = [api.sign_up("buyer") for _ in range(3)]
    ws_base = "ws://" + urlsplit(api.base).netloc + "/ws/events"

    async def victim_probe(count: int) -> Latencies:
        result = Latencies()
        async with (
            httpx.AsyncClient(base_url=f"{api.base}/api/v1", timeout=60) as client,
            connect(f"{ws_base}?token={victim['token']}") as ws,
        ):
            for _ in range(count):
                response = await client.post("/calls", json=INBOUND, headers=auth(victim))
                answered = time.perf_counter()
                if not response.is_success:
                    result.errors[f"HTTP {response.status_code}"] += 1
                    continue
                call_id = response.json()["id"]
                try:
                    await asyncio.wait_for(frame_for(ws, call_id), timeout=60)
                except TimeoutError:
                    result.errors["no call.created within 60 s"] += 1
                    continue
                result.samples_ms.append((time.perf_counter() - answered) * 1000)
                await asyncio.sleep(0.5)
        return result

    async def frame_for(ws: ClientConnection, call_id: str) -> None:
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "call.created" and (frame.get("data") or {}).get("call", {}).get("id") == call_id:
                return

    async def run() -> tuple[Latencies, Latencies, Counter[str]]:
        count = max(4, int(seconds * 2))
        await victim_probe(4)  # warm-up: the first events start the consumers' workers (cold starts)
        baseline = await victim_probe(count)
        context = multiprocessing.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        attacker = context.Process(
            target=fan_out_flood, args=(api.base, [u["token"] for u in attackers], stop, results)
        )
        attacker.start()
        await asyncio.sleep(2.0)  # sockets open, calls flowing
        attacked = await victim_probe(count)
        stop.set()
        outcomes: Counter[str] = Counter(results.get(timeout=60))
        attacker.join(10)
        return baseline, attacked, outcomes

    baseline, attacked, outcomes = asyncio.run(run())
    return compare("ws_fanout", "own call.created delay", baseline, attacked, outcomes)


def fan_out_flood(base: str, tokens: list[str], stop: Any, results: Any) -> None:
    """The WebSocket fan-out attacker, in a process of its own (its frames are not read by the victim's event
    loop): each account holds 50 sockets, reads everything they get, and creates 100 calls as fast as it may.
    At a lower CPU priority: reading 15,000 frames costs this client a good part of a core, which on AWS the
    attacker pays on its own machine; here it would be counted as the exchange's slowness."""
    os.nice(10)
    ws_base = "ws://" + urlsplit(base).netloc + "/ws/events"
    outcomes: Counter[str] = Counter()

    async def drain(ws: ClientConnection, done: asyncio.Event) -> None:
        while not done.is_set():
            try:
                await asyncio.wait_for(ws.recv(), timeout=0.5)
                outcomes["frames"] += 1
            except TimeoutError:
                continue

    async def flood(token: str, done: asyncio.Event) -> None:
        sockets = [await connect(f"{ws_base}?token={token}") for _ in range(50)]
        readers = [asyncio.create_task(drain(ws, done)) for ws in sockets]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=60) as client:
            for _ in range(100):
                if done.is_set():
                    break
                outcomes[str((await client.post("/calls", json=INBOUND, headers=headers)).status_code)] += 1
        await done.wait()
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()

    async def main() -> None:
        done = asyncio.Event()
        floods = [asyncio.create_task(flood(token, done)) for token in tokens]
        while not stop.is_set():
            await asyncio.sleep(0.1)
        done.set()
        await asyncio.gather(*floods, return_exceptions=True)

    asyncio.run(main())
    results.put(dict(outcomes))


def hold_half_heads(host: str, port: int, sockets: int, seconds: float, results: Any) -> None:
    """The slow-client attacker, in a process of its own (as it would be on its own machine: its CPU and GIL are
    not the victim client's): keep `sockets` connections open, each having sent half a request head; when the
    server drops one, open another. Puts its outcome counts on `results` when `seconds` are up."""
    outcomes: Counter[str] = Counter()
    selector = selectors.DefaultSelector()
    deadline = time.monotonic() + seconds
    held = 0
    while time.monotonic() < deadline:
        while held < sockets and time.monotonic() < deadline:
            try:
                sock = socket.create_connection((host, port), timeout=5)
                sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # and never the end of the head
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ, sock)
                held += 1
                outcomes["opened"] += 1
            except OSError as exc:
                outcomes[f"refused {type(exc).__name__}"] += 1
                time.sleep(0.05)
                break
        for key, _ in selector.select(timeout=0.1):  # readable: the server closed it (or answered 503)
            selector.unregister(key.data)
            key.data.close()
            held -= 1
            outcomes["dropped by the server"] += 1
    for key in list(selector.get_map().values()):
        key.data.close()
    results.put(dict(outcomes))


def slow_clients(api: Api, seconds: float, sockets: int) -> dict[str, Any]:
    victim = api.sign_up("buyer")
    measure = profile_victim(api, victim, seconds)  # its keep-alive connection is open before the attack
    baseline = measure()
    address = urlsplit(api.base)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    attacker = context.Process(target=hold_half_heads, args=(host, port, sockets, seconds + 3.0, results))
    attacker.start()
    time.sleep(2.0)  # let the attack build up before the victim measures
    attacked = measure()
    outcomes: Counter[str] = Counter(results.get(timeout=60))
    attacker.join(10)
    return compare("slow_clients", "GET /profile", baseline, attacked, outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="each measurement phase (default 15)")
    parser.add_argument("--sockets", type=int, default=4000, help="idle sockets of the slow-client attack")
    parser.add_argument("--only", nargs="*", help="attacks to run (default all)")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the slow-client attack holds thousands of sockets
    attacks: dict[str, Callable[[Api], dict[str, Any]]] = {
        "signup_flood": lambda api: signup_flood(api, args.seconds),
        "login_flood": lambda api: login_flood(api, args.seconds),
        "bid_profiles": lambda api: bid_profiles(api, args.seconds),
        "ws_fanout": lambda api: ws_fanout(api, args.seconds),
        "slow_clients": lambda api: slow_clients(api, args.seconds, args.sockets),
    }
    rows = []
    for name, run in attacks.items():
        if args.only and name not in args.only:
            continue
        with running_exchange(EXCHANGE, startup_seconds=120) as base:  # a fresh exchange per attack
            rows.append(run(Api(base)))
    report = {
        "machine": {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()},
        "goal": f"victim p99 ratio <= {GOAL_P99_RATIO} and no victim error",
        "seconds_per_phase": args.seconds,
        "attacks": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() and args.only else {}
    if existing:  # --only: keep the other attacks' last results
        kept = [row for row in existing.get("attacks", []) if row["attack"] not in {r["attack"] for r in rows}]
        report["attacks"] = kept + rows
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown(report["attacks"]))
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| attack | victim | p50 without → with (ms) | p99 without → with (ms) | p50 ratio | p99 ratio "
        "| victim errors | goal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        base, under = row["baseline"], row["attacked"]
        lines.append(
            f"| {row['attack']} | {row['victim']} | {base['p50_ms']} → {under['p50_ms']} | "
            f"{base['p99_ms']} → {under['p99_ms']} | {row['ratio_p50']} | {row['ratio_p99']} | "
            f"{row['victim_errors']} | {'met' if row['goal_met'] else 'missed'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
