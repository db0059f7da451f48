"""`make dev`: the whole exchange on this machine — embedded moto, our tables, the bootstrap admin,
and the local API gateway on 127.0.0.1. `AWS_ENDPOINT_URL` points it at another emulator instead.

The embedded moto's DynamoDB is kept in `.dce/state/` (DCE_STATE_DIR) and restored at the next start
(`local/state.py`); `make dev-reset` (DCE_FRESH=1) starts empty, DCE_PERSIST=0 keeps nothing.
Fair use (local/http_limits.py): a request head or body not complete within 10 s
(DCE_HEAD_TIMEOUT_SECONDS, DCE_BODY_TIMEOUT_SECONDS) gets its connection closed; past DCE_MAX_CONNECTIONS
(2048) open connections requests are answered 503; a repeated warning is logged once per
DCE_LOG_REPEAT_SECONDS (10) (local/log_throttle.py). The `@connections` API accepts only requests signed
with this run's own AWS secret key (local/sigv4.py).
Exit codes: 0 stopped (Ctrl-C or SIGTERM), 1 the saved state or a setting cannot be used, 2 the port or
the state directory is in use (another `make dev`).
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import signal
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.http_limits import HttpLimits
    from local.state import Restored, Snapshot, StateConfig, StateDir

DEFAULT_ADMIN_EMAIL = "admin@dce.local"
DEFAULT_ADMIN_PASSWORD = "dce-admin-dev-password"  # noqa: S105 (documented local-only default)
EXIT_IN_USE = 2
REPEAT_ENV = "DCE_LOG_REPEAT_SECONDS"
DEFAULT_REPEAT_S = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DCE_PORT", "8080")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("DCE_MOTO_PORT", "0")))
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    # Before moto starts or anything is printed: the gateway's port. The socket is kept and handed to
    # uvicorn, so nothing can take the port in between.
    listener = bind_port(args.port)
    if listener is None:
        return EXIT_IN_USE
    signal.signal(signal.SIGTERM, terminated)  # SIGTERM stops the stack as Ctrl-C does: the state is saved
    try:
        return serve(args, listener)
    except (KeyboardInterrupt, Terminated):  # uvicorn re-raises the signal it stopped on, once it has stopped
        return 0
    finally:
        listener.close()


class Terminated(Exception):
    """SIGTERM arrived."""


def terminated(signum: int, frame: object) -> None:
    raise Terminated()


def bind_port(port: int) -> socket.socket | None:
    """A socket bound to 127.0.0.1:`port`, or None after one line on stderr saying why not."""
    from local.emulator import LOOPBACK

    # IPPROTO_TCP, not 0: asyncio turns TCP_NODELAY on only then (else each kept-alive request waits ~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a socket in TIME_WAIT is no conflict
    try:
        sock.bind((LOOPBACK, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            reason = "is already in use (another make dev?): stop it or set DCE_PORT=..."
        else:
            reason = f"cannot be listened on ({error.strerror}): set DCE_PORT=..."
        print(f"error: {LOOPBACK}:{port} {reason}", file=sys.stderr, flush=True)
        return None
    return sock


def serve(args: argparse.Namespace, listener: socket.socket) -> int:
    from local.http_limits import HttpLimits, positive_setting, raise_open_file_limit
    from local.state import StateDir, StateError, state_config

    try:  # before anything is started: a bad setting is one line, no traceback
        limits = HttpLimits.from_environment(os.environ, raise_open_file_limit())
        repeat_seconds = positive_setting(os.environ, REPEAT_ENV, DEFAULT_REPEAT_S)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    os.environ.setdefault("DCE_ENV", "local")
    os.environ.setdefault("DCE_TABLE_PREFIX", "dce-local")
    config = state_config(os.environ)
    state = StateDir(config.directory) if config.directory is not None else None
    try:
        return run(args, listener, config, state, limits, repeat_seconds)
    except StateError as error:  # one line, no traceback: which file, and how to start fresh
        print(f"error: {error}", file=sys.stderr, flush=True)
        return error.exit_code
    finally:
        if state is not None:
            state.close()


def run(
    args: argparse.Namespace,
    listener: socket.socket,
    config: StateConfig,
    state: StateDir | None,
    limits: HttpLimits,
    repeat_seconds: float,
) -> int:
    snapshot = None
    if state is not None:
        state.open()  # locked: one stack per state directory
        if config.fresh:
            state.discard()
        snapshot = state.load()  # before anything starts: a bad file fails at once
        if not os.environ.get("DCE_JWT_SECRET"):
            os.environ["DCE_JWT_SECRET"] = state.jwt_secret()  # kept: tokens survive a restart
    if not os.environ.get("DCE_JWT_SECRET"):  # nothing kept: a random key, tokens die with the run
        os.environ["DCE_JWT_SECRET"] = secrets.token_urlsafe(48)
    admin_email = os.environ.setdefault("DCE_BOOTSTRAP_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    admin_password = os.environ.setdefault("DCE_BOOTSTRAP_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)

    from local.emulator import LOOPBACK, SECRET_KEY_ENV, create_tables, run_credentials
    from local.emulator_process import QUEUES, STREAMS, EmulatorProcess, HostOptions
    from local.queues import create_queues
    from local.state import AuctionTimers, open_auctions

    port = int(listener.getsockname()[1])
    # The events function pushes frames through this gateway's @connections API, as it would on AWS.
    os.environ.setdefault("DCE_WS_ENDPOINT", f"http://{LOOPBACK}:{port}")
    emulator: EmulatorProcess | None = None
    restored: Restored | None = None
    if os.environ.get("AWS_ENDPOINT_URL"):  # another emulator: the credentials it is given, if any
        endpoint = os.environ["AWS_ENDPOINT_URL"]
        for key, value in run_credentials().items():
            os.environ.setdefault(key, value)
    else:  # the embedded moto, in a process of its own (local/emulator_process.py), with this run's key
        os.environ.update(run_credentials())
        child = {**os.environ, SECRET_KEY_ENV: os.environ["AWS_SECRET_ACCESS_KEY"]}
        prefix = os.environ["DCE_TABLE_PREFIX"]
        options = HostOptions(
            prefix, args.moto_port or None, state.path if state is not None else None, snapshot if state else None
        )
        try:
            emulator = EmulatorProcess.start(options, child)
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            return 1
        endpoint, restored = emulator.endpoint, emulator.ready.restored
        os.environ.update(emulator.ready.environment)  # queue URLs, the auction timer's ARN
        os.environ["AWS_ENDPOINT_URL"] = endpoint

    try:
        from dce.adapters.auction_timer import StepFunctionsTimer
        from dce.adapters.auctions_repo import DynamoAuctionRepo
        from dce.bootstrap import services
        from dce.config import settings
        from dce.services.admin_bootstrap import ensure_admin

        settings.cache_clear()
        prefix = settings().table_prefix
        if emulator is None:  # the embedded one has created them already
            create_tables(prefix)
            os.environ.update(create_queues(prefix))  # each queue's URL, for the functions that send to it
            settings.cache_clear()
        # Each restored open auction's timer died with the last run: started again once the poller runs.
        timers = AuctionTimers(
            open_auctions(DynamoAuctionRepo()) if restored else [], StepFunctionsTimer(), services().clock
        )
        ensure_admin(services().accounts, admin_email, admin_password)

        import logging

        import uvicorn

        from dce.adapters.stream_records import STREAM_SOURCES
        from local import log_throttle
        from local.gateway import Gateway
        from local.queues import PUSHES_AREA, QueuePoller, cheap_pushes
        from local.streams import AUTOBIDS_AREA, EVENTS_AREA, StreamPoller
        from local.websocket import WS_PATH, HandshakeLogFilter

        # The stream poller stands in for Lambda's DynamoDB event source; the gateway starts and stops it
        # (after the restore, at LATEST: restored items are never delivered as events again), then the
        # restored auctions' timers (so their closes are delivered).
        gateway: Gateway  # built below, with the pollers it starts; they invoke the functions through it
        poller = StreamPoller(
            STREAM_SOURCES,
            prefix,
            lambda event: gateway.run(EVENTS_AREA, event),
            wake=emulator.waker(STREAMS) if emulator is not None else None,
        )
        # The automatic bids: a second consumer of the auctions stream, with its own thread and positions.
        autobids = StreamPoller.for_area(
            AUTOBIDS_AREA,
            prefix,
            lambda event: gateway.run(AUTOBIDS_AREA, event),
            wake=emulator.waker(STREAMS) if emulator is not None else None,
        )
        # The push function takes the events function's deliveries from the push queue, a batch per account
        # group at a time (up to 4 in flight), as the SQS event source mapping does on AWS.
        pushes = QueuePoller.for_area(
            PUSHES_AREA,
            prefix,
            lambda event: gateway.run(PUSHES_AREA, event),
            wake=emulator.waker(QUEUES) if emulator is not None else None,
            express=cheap_pushes,
            deliver_express=lambda event: gateway.run(PUSHES_AREA, event, express=True),
        )
        gateway = Gateway(background=[pushes, poller, autobids, timers])
        logging.getLogger("uvicorn.error").addFilter(HandshakeLogFilter())  # handshakes are logged with ?token=

        base = f"http://{LOOPBACK}:{port}"
        print(
            "\nDependable Call Exchange — local stack\n"
            f"  REST API   {base}/api/v1   (health: {base}/api/v1/health)\n"
            f"  API docs   {base}/api/v1/docs\n"
            f"  WebSocket  ws://{LOOPBACK}:{port}{WS_PATH}?token=<access token>\n"
            f"  AWS emu    {endpoint}{'' if emulator is None else ' (its own process)'}\n"
            f"  Admin      {admin_email} / {admin_password}\n"
            f"  Limits     {limits.max_connections} open connections (503 past it); request head and body"
            f" within {limits.head_timeout:g} s / {limits.body_timeout:g} s\n"
            f"{weak_key_line()}"
            f"{state_lines(config, state, snapshot, restored, len(timers.auctions))}"
            "  Ctrl-C to stop\n",
            flush=True,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                gateway,
                host=LOOPBACK,
                port=port,
                log_level="warning" if args.quiet else "info",
                access_log=not args.quiet,
                lifespan="on",
                ws_max_size=128 * 1024,  # API Gateway's WebSocket message limit
                # The client is the TCP peer, as API Gateway's sourceIp: uvicorn would otherwise take it from
                # X-Forwarded-For (it trusts 127.0.0.1, i.e. every local client). dce.api.client_ip decides
                # whether X-Forwarded-For counts (DCE_TRUSTED_PROXIES), on AWS and here alike.
                proxy_headers=False,
                **limits.uvicorn_options(),  # head/body deadlines and the connection bound (http_limits)
            )
        )
        # After uvicorn.Config, which configures logging: every handler so far, and asyncio's records.
        log_throttle.install(log_throttle.RepeatFilter(repeat_seconds), ("asyncio", "uvicorn.error"))
        server.run(sockets=[listener])  # the port bound at the start
    finally:
        if emulator is not None:
            emulator.stop()  # the last save, after the gateway and its consumers have stopped
    return 0


def weak_key_line() -> str:
    """A warning for the banner when `@connections` trusts a short (well-known) secret key: with
    AWS_ENDPOINT_URL the environment's own credentials are used, e.g. LocalStack's `test`."""
    if len(os.environ.get("AWS_SECRET_ACCESS_KEY", "")) >= 16:
        return ""
    return "  Warning    AWS_SECRET_ACCESS_KEY is short: any local process knowing it can push WebSocket frames\n"


def state_lines(
    config: StateConfig, state: StateDir | None, snapshot: Snapshot | None, restored: Restored | None, timers: int
) -> str:
    """The banner's lines about the saved state: where it lives, what was restored, how to reset."""
    if state is None:
        return f"  State      {config.not_saved}\n"
    if restored is not None and snapshot is not None:
        accounts, calls = restored.by_table.get("accounts", 0), restored.by_table.get("calls", 0)
        counts = ", ".join(
            plural(n, thing) for n, thing in ((accounts, "account"), (calls, "call"), (timers, "open auction"))
        )
        what = f"restored {plural(restored.items, 'item')}: {counts}"
        if snapshot.saved_at:
            what += f" (saved {snapshot.saved_at})"
    elif config.fresh:
        what = "started fresh (DCE_FRESH=1: the saved state and signing key were discarded)"
    else:
        what = "started fresh (nothing saved yet)"
    return (
        f"  State      {state.path}: {what}\n"
        "             saved every few seconds and on Ctrl-C; `make dev-reset` starts empty\n"
    )


def plural(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def exit_now(code: int) -> None:
    """Exit without waiting for moto's Step Functions executions: each open auction's timer is a
    non-daemon thread inside a Wait state (up to the auction's duration, an hour at most), so a normal
    interpreter exit after Ctrl-C hung until the last timer fired. Everything of ours is stopped by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
