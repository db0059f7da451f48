"""`make dev`: the whole exchange on this machine — embedded moto, our tables, the bootstrap admin,
and the local API gateway on 127.0.0.1. `AWS_ENDPOINT_URL` points it at another emulator instead."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

DEFAULT_ADMIN_EMAIL = "admin@dce.local"
DEFAULT_ADMIN_PASSWORD = "dce-admin-dev-password"  # noqa: S105 (documented local-only default)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DCE_PORT", "8080")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("DCE_MOTO_PORT", "0")))
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)

    os.environ.setdefault("DCE_ENV", "local")
    os.environ.setdefault("DCE_TABLE_PREFIX", "dce-local")
    # A fresh random signing key per run unless one is given: tokens from an old run stop working.
    os.environ.setdefault("DCE_JWT_SECRET", secrets.token_urlsafe(48))
    admin_email = os.environ.setdefault("DCE_BOOTSTRAP_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL)
    admin_password = os.environ.setdefault("DCE_BOOTSTRAP_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD)

    from local.emulator import (
        EMULATOR_CREDENTIALS,
        LOOPBACK,
        Emulator,
        create_tables,
        deploy_auction_timer,
        start_moto,
    )

    if os.environ.get("AWS_ENDPOINT_URL"):
        emulator = Emulator(endpoint=os.environ["AWS_ENDPOINT_URL"])
        for key, value in EMULATOR_CREDENTIALS.items():
            os.environ.setdefault(key, value)
    else:
        emulator = start_moto(args.moto_port or None)

    try:
        from dce.bootstrap import services
        from dce.config import settings
        from dce.services.admin_bootstrap import ensure_admin

        create_tables(settings().table_prefix)
        if emulator.server is not None:  # the auction timer runs our close handler inside moto
            os.environ["DCE_AUCTION_STATE_MACHINE_ARN"] = deploy_auction_timer(settings().table_prefix)
            settings.cache_clear()
        ensure_admin(services().accounts, admin_email, admin_password)
        # The events function pushes frames through this gateway's @connections API, as it would on AWS.
        os.environ.setdefault("DCE_WS_ENDPOINT", f"http://{LOOPBACK}:{args.port}")
        settings.cache_clear()

        import logging

        import uvicorn

        from dce.adapters.stream_records import STREAM_SOURCES
        from local.gateway import Gateway
        from local.streams import EVENTS_AREA, StreamPoller, wake_on_moto_writes
        from local.websocket import WS_PATH, HandshakeLogFilter

        # The stream poller stands in for Lambda's DynamoDB event source; the gateway starts and stops it.
        poller = StreamPoller(
            STREAM_SOURCES,
            settings().table_prefix,
            lambda event: gateway.run(EVENTS_AREA, event),
            wake=wake_on_moto_writes() if emulator.server is not None else None,
        )
        gateway = Gateway(background=[poller])
        logging.getLogger("uvicorn.error").addFilter(HandshakeLogFilter())  # handshakes are logged with ?token=

        base = f"http://{LOOPBACK}:{args.port}"
        print(
            "\nDependable Call Exchange — local stack\n"
            f"  REST API   {base}/api/v1   (health: {base}/api/v1/health)\n"
            f"  WebSocket  ws://{LOOPBACK}:{args.port}{WS_PATH}?token=<access token>\n"
            f"  AWS emu    {emulator.endpoint}\n"
            f"  Admin      {admin_email} / {admin_password}\n"
            "  Ctrl-C to stop\n",
            flush=True,
        )
        uvicorn.run(
            gateway,
            host=LOOPBACK,
            port=args.port,
            log_level="warning" if args.quiet else "info",
            access_log=not args.quiet,
            lifespan="on",
            ws_max_size=128 * 1024,  # API Gateway's WebSocket message limit
        )
    finally:
        emulator.stop()
    return 0


def exit_now(code: int) -> None:
    """Exit without waiting for moto's Step Functions executions: each open auction's timer is a
    non-daemon thread inside a Wait state (up to the auction's duration, an hour at most), so a normal
    interpreter exit after Ctrl-C hung until the last timer fired. Everything of ours is stopped by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
