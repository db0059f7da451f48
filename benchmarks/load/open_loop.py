"""The open-loop load generator: request i is due at t0 + i/rate, whatever happened to the others.

A closed-loop generator (N clients, each sending after the previous answer) slows down when the server
does, so a slow server is offered less load and its queueing never shows: coordinated omission. Here
every request is scheduled in advance on the event loop (`call_at`), and its latency is measured from
when it was DUE, not from when it was sent: time spent waiting for a connection, in the generator's own
queue, or in the server's, all counts.

Connections: a pool of keep-alive connections opened before the step. A request takes an idle one; when
none is idle a new one is opened on the spot (`opened_on_demand`, the connect time counts in its
latency) up to `max_connections`; only past that does a request wait for a free one (`waited`), which a
result should show as 0. `sched_lag_ms` is how late the loop started a request: if it grows, the
generator itself is too slow (see `generator_cpu`, the share of one core it used).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.load.http1 import Connection, Request

REQUEST_TIMEOUT_S = 10.0
# uvicorn closes a keep-alive connection idle for 5 s (`timeout_keep_alive`); a request written to one the
# server is closing fails. Idle connections older than this are replaced, as HTTP clients' pools do.
IDLE_MAX_S = 4.0


@dataclass
class StepResult:
    """One step of a sweep: a fixed rate for a fixed time."""

    scenario: str
    rate: float
    duration_s: float
    sent: int = 0
    ok: int = 0
    errors: int = 0  # non-2xx answers and exceptions (timeouts, resets)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)  # every request, from its due time to its end
    elapsed_s: float = 0.0  # from t0 to the last completion
    waited: int = 0
    opened_on_demand: int = 0
    max_in_flight: int = 0
    sched_lag_max_ms: float = 0.0
    generator_cpu: float = 0.0  # CPU seconds of this process / wall seconds (1.0 = one core)

    @property
    def achieved_rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class ConnectionPool:
    """Idle keep-alive connections; grows on demand up to `max_connections`."""

    def __init__(self, host: str, port: int, max_connections: int) -> None:
        self.host, self.port, self.max_connections = host, port, max_connections
        self._idle: list[Connection] = []
        self._waiters: list[asyncio.Future[Connection]] = []
        self.size = 0

    async def fill(self, count: int) -> None:
        """Replace stale idle connections, then open up to `count` (before a step: no connect in it)."""
        for connection in [c for c in self._idle if c.closed or c.idle_for() >= IDLE_MAX_S]:
            self._idle.remove(connection)
            self.discard(connection)
        count = min(count, self.max_connections) - self.size
        if count > 0:
            opened = await asyncio.gather(*(Connection.open(self.host, self.port) for _ in range(count)))
            self._idle.extend(opened)
            self.size += len(opened)

    async def acquire(self, result: StepResult) -> Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and connection.idle_for() < IDLE_MAX_S:
                return connection
            self.discard(connection)
        if self.size < self.max_connections:
            self.size += 1
            result.opened_on_demand += 1
            try:
                return await Connection.open(self.host, self.port)
            except BaseException:
                self.size -= 1
                raise
        result.waited += 1
        waiter: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    def release(self, connection: Connection) -> None:
        if connection.closed:
            self.size -= 1
            return
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def discard(self, connection: Connection) -> None:
        connection.close()
        self.size -= 1

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
        self.size = 0


async def run_step(
    scenario: str,
    pool: ConnectionPool,
    rate: float,
    duration_s: float,
    request_for: Callable[[int], Request],
) -> StepResult:
    """Send `rate * duration_s` requests at fixed arrival times; wait for every answer (or its timeout)."""
    result = StepResult(scenario, rate, duration_s)
    count = int(rate * duration_s)
    await pool.fill(min(pool.max_connections, max(16, int(rate * 0.2))))  # 200 ms worth of arrivals
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    in_flight = 0
    last_end = 0.0

    async def one(index: int, due: float) -> None:
        nonlocal in_flight, last_end
        lag = (loop.time() - due) * 1000
        result.sched_lag_max_ms = max(result.sched_lag_max_ms, lag)
        in_flight += 1
        result.max_in_flight = max(result.max_in_flight, in_flight)
        request = request_for(index)
        connection: Connection | None = None
        try:
            connection = await asyncio.wait_for(pool.acquire(result), REQUEST_TIMEOUT_S)
            response = await asyncio.wait_for(connection.send(request), REQUEST_TIMEOUT_S)
            pool.release(connection)
            connection = None
            result.statuses[str(response.status)] += 1
            if 200 <= response.status < 300:
                result.ok += 1
            else:
                result.errors += 1
        except Exception as error:  # a timeout, a reset: an error, and its connection is not reused
            result.statuses[type(error).__name__] += 1
            result.errors += 1
            if connection is not None:
                pool.discard(connection)
        finally:
            end = loop.time()
            result.latencies_ms.append((end - due) * 1000)
            last_end = max(last_end, end)
            in_flight -= 1
            if len(result.latencies_ms) == count and not done.done():
                done.set_result(None)

    def start(index: int, due: float) -> None:
        result.sent += 1
        tasks.add(task := loop.create_task(one(index, due)))
        task.add_done_callback(tasks.discard)

    tasks: set[asyncio.Task[None]] = set()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    t0 = loop.time() + 0.1
    for index in range(count):
        due = t0 + index / rate
        loop.call_at(due, start, index, due)
    if count:
        await done
    result.generator_cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    result.elapsed_s = last_end - t0
    return result
