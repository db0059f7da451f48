"""The baseline: a bare ASGI app that answers every request with a constant JSON body.

Served by uvicorn with the settings `python -m local --quiet` uses (127.0.0.1, the same uvicorn version,
asyncio loop and h11 parser, no access log, lifespan on), in its own process, so that the generator
measures against it exactly as against the exchange. Our gateway's overhead is then a ratio at the same
rate: what the exchange adds on top of "uvicorn + one ASGI call + a JSON answer".

    python -m benchmarks.load.baseline --port 8099     # serve it by hand
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
BODY = b'{"status":"ok"}'  # the size of GET /api/v1/health's answer, give or take
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The whole application: drain the request body, answer 200 with BODY."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


@contextmanager
def running_baseline(port: int) -> Iterator[tuple[str, int]]:
    """Serve the baseline in a child process; yield (host, port) once it answers; stop it on exit."""
    process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "benchmarks.load.baseline", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://{LOOPBACK}:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the baseline server did not start") from None
                time.sleep(0.1)
        yield LOOPBACK, port
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The settings of local/__main__.py's uvicorn.run with --quiet.
    uvicorn.run(app, host=LOOPBACK, port=args.port, log_level="warning", access_log=False, lifespan="on")


if __name__ == "__main__":
    main()
