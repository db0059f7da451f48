"""The embedded AWS emulation in a process of its own: moto, our tables and queues, the auction timer and the
saved state, apart from the gateway so that the two never share an interpreter lock.

Before, moto served every DynamoDB call of every worker from threads of the gateway process, beside the
HTTP and WebSocket event loop and the `@connections` API: under a WebSocket fan-out the gateway's lock was
contended, and a 36 ms query took 0.5-1 s. Now `python -m local` starts `EmulatorProcess` (spawned, like
the workers) and the gateway keeps only the HTTP side.

What the child does, in order, before it says it is ready: start moto (with `local.moto_patches`) on a
loopback port, count DynamoDB writes for the saver, create the tables and queues, restore the saved
snapshot, deploy the auction timer (its Step Functions executions run our close handler in this child, as
they ran in the gateway before), then start the saver. It answers with the endpoint, the environment the
functions need (queue URLs, the state machine's ARN) and what was restored.

Wake-ups cross the process boundary: moto's stream appends and queue sends set an event in the child
(`local.moto_wakeups`); one forwarder thread per kind sends the kind's name over the pipe, coalesced (many
writes between two sends are one message); `EmulatorProcess.waker(kind)` gives each poller of the gateway
an event of its own that the pipe's reader sets.

It stops when the gateway says so or when the pipe closes (the gateway died): a last save, then exit. It
ignores Ctrl-C (the terminal sends it to the whole process group): the gateway stops it after its own
consumers have stopped, so no write is lost between the last save and the exit.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.state import Restored, Snapshot

STREAMS = "streams"  # moto appended a DynamoDB stream record
QUEUES = "queues"  # moto stored an SQS message
WAKE_KINDS = (STREAMS, QUEUES)
STOP = "stop"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0  # the last save of a large state, then moto's shutdown


@dataclass(frozen=True)
class HostOptions:
    """What the child needs from the gateway (pickled at spawn)."""

    prefix: str
    port: int | None = None
    state_path: Path | None = None  # None: nothing is saved
    snapshot: Snapshot | None = None  # what to restore, already read (and checked) by the gateway


@dataclass(frozen=True)
class Ready:
    """The child's answer once everything is up."""

    endpoint: str
    environment: dict[str, str]  # for the gateway and its workers: queue URLs, the auction timer's ARN
    restored: Restored | None = None


@dataclass(frozen=True)
class Failed:
    message: str
    state_error: bool = False  # the saved state cannot be restored: the gateway raises StateError


@dataclass
class EmulatorProcess:
    """The gateway's handle on the child: its endpoint, wakers for the pollers, and `stop()`."""

    process: Any
    conn: Connection
    ready: Ready
    _wakers: dict[str, list[threading.Event]] = field(default_factory=lambda: {kind: [] for kind in WAKE_KINDS})
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reader: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return self.ready.endpoint

    @classmethod
    def start(cls, options: HostOptions, environ: Mapping[str, str]) -> EmulatorProcess:
        """Spawn the child with `environ` as its environment and wait until it is ready; RuntimeError if
        it fails (its reason) or does not answer in READY_TIMEOUT_S."""
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(environ)  # spawn copies this process's environment into the child
        try:
            process = context.Process(target=host, args=(theirs, options), name="dce-emulator", daemon=False)
            process.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        theirs.close()
        if not ours.poll(READY_TIMEOUT_S):
            process.kill()
            raise RuntimeError(f"the embedded AWS emulation did not start in {READY_TIMEOUT_S:.0f} s")
        try:
            answer = ours.recv()
        except EOFError:
            process.join(5)
            raise RuntimeError(f"the embedded AWS emulation exited during start-up (code {process.exitcode})") from None
        if isinstance(answer, Failed):
            process.join(5)
            if answer.state_error:
                from local.state import StateError

                raise StateError(answer.message)
            raise RuntimeError(answer.message)
        emulator = cls(process=process, conn=ours, ready=answer)
        emulator._reader = threading.Thread(target=emulator._read_wakes, name="dce-emulator-wakes", daemon=True)
        emulator._reader.start()
        return emulator

    def waker(self, kind: str) -> threading.Event:
        """A new event, set whenever the child reports a write of `kind` (STREAMS or QUEUES)."""
        event = threading.Event()
        with self._lock:
            self._wakers[kind].append(event)
        return event

    def stop(self) -> None:
        """Ask the child to save and exit, and wait for it (killed past STOP_TIMEOUT_S)."""
        with contextlib.suppress(OSError, EOFError):  # already gone
            self.conn.send(STOP)
        self.process.join(STOP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()

    def _read_wakes(self) -> None:
        while True:
            try:
                kind = self.conn.recv()
            except (EOFError, OSError):
                return
            with self._lock:
                waiting = list(self._wakers.get(kind, ()))
            for event in waiting:
                event.set()


# --- the child ---------------------------------------------------------------------------------------------


def host(conn: Connection, options: HostOptions) -> None:
    """The child's main: everything moto-side, then wait for STOP (or the pipe's end)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the gateway stops it (after its last writes)
    send_lock = threading.Lock()
    from local.state import StateError

    try:
        emulator, saver, ready = _start(options)
    except StateError as error:
        conn.send(Failed(str(error), state_error=True))
        os._exit(1)
    except Exception as error:  # one line for the gateway to print, no traceback
        conn.send(Failed(f"the embedded AWS emulation could not start: {error}"))
        os._exit(1)
    for kind, wake in _moto_wakes().items():
        threading.Thread(
            target=_forward, args=(conn, send_lock, kind, wake), name=f"dce-wake-{kind}", daemon=True
        ).start()
    with send_lock:
        conn.send(ready)
    if saver is not None:
        saver.start()
    while True:
        try:
            if conn.recv() == STOP:
                break
        except (EOFError, OSError):
            break  # the gateway is gone
    if saver is not None:
        saver.stop()  # the last save
    emulator.stop()
    # Not a normal exit: moto's Step Functions executions are non-daemon threads waiting in a Wait state.
    os._exit(0)


def _start(options: HostOptions) -> tuple[Any, Any, Ready]:
    from dce.config import settings
    from local.emulator import create_tables, deploy_auction_timer, start_moto
    from local.queues import create_queues
    from local.state import Saver, StateDir, generation, moto_dynamodb, restore, track_writes

    emulator = start_moto(options.port)  # the gateway's secret key: DCE_EMULATOR_SECRET_KEY (`start`)
    track_writes()
    create_tables(options.prefix)
    environment = create_queues(options.prefix)
    os.environ.update(environment)
    restored = None
    if options.snapshot is not None and options.state_path is not None:
        state = StateDir(options.state_path)
        restored = restore(moto_dynamodb(options.prefix), options.prefix, options.snapshot, state.snapshot_path)
    saver = None
    if options.state_path is not None:  # on disk now: what was restored, or nothing (any write is saved)
        on_disk = generation() if restored is not None else None
        saver = Saver(StateDir(options.state_path), options.prefix, on_disk=on_disk)
    environment["DCE_AUCTION_STATE_MACHINE_ARN"] = deploy_auction_timer(options.prefix)
    os.environ.update(environment)
    settings.cache_clear()  # the close handler, run here, reads them
    return emulator, saver, Ready(endpoint=emulator.endpoint, environment=environment, restored=restored)


def _moto_wakes() -> dict[str, threading.Event]:
    """An event per kind, set by moto (moto 5.2.5: `StreamShard.add`, SQS `Queue.add_message`)."""
    from moto.dynamodb.models.table import StreamShard
    from moto.sqs.models import Queue

    from local.moto_wakeups import wake_on

    return {STREAMS: wake_on(StreamShard, "add"), QUEUES: wake_on(Queue, "add_message")}


def _forward(conn: Connection, send_lock: threading.Lock, kind: str, wake: threading.Event) -> None:
    """Send `kind` over the pipe after moto's writes of that kind, coalesced."""
    while True:
        wake.wait()
        wake.clear()  # before sending: a write from now on is another message
        try:
            with send_lock:
                conn.send(kind)
        except (OSError, EOFError):
            return
