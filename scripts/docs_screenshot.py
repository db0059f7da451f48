"""Open the API reference (`GET /api/v1/docs`) in headless Chromium: take a screenshot and check the page
Swagger UI rendered. `make docs-check` runs it; it is not part of `make test` (it needs a browser).

    python scripts/docs_screenshot.py [PNG] [--base-url http://127.0.0.1:8080]

Without --base-url it starts the local exchange on a free loopback port (local/launcher.py, as the e2e
tests do) and stops it at the end. The rendered DOM must contain the page title, the document's title as
Swagger UI draws it and one operation (`POST /calls`: its operationId and summary, read from
api/openapi.yaml); the browser console must show no error and no Content-Security-Policy violation.
Exit status: 0 when all holds, 1 when a check fails, 2 when Chromium is missing.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from local.launcher import running_exchange  # noqa: E402 (after the path set-up above)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DEFAULT_PNG = ROOT / "benchmarks" / "results" / "api-docs.png"
DOCS_PATH = "/api/v1/docs"
TITLE = "Dependable Call Exchange API"
OPERATION = ("/calls", "post")  # the operation whose rendering is checked
BUDGET_MS = 15_000  # virtual time for the page to load the bundle, fetch openapi.json and render
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("png", nargs="?", type=Path, default=DEFAULT_PNG, help=f"screenshot path ({DEFAULT_PNG})")
    parser.add_argument("--base-url", help="a running exchange (e.g. http://127.0.0.1:8080) instead of a new one")
    args = parser.parse_args()
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        print(f"Chromium not found at {CHROMIUM}: install it (Debian/Ubuntu: `apt-get install chromium`)")
        return 2
    with exchange(args.base_url) as base:
        url = base + DOCS_PATH
        dom, console = chromium(url, "--dump-dom")
        _, more = chromium(url, f"--screenshot={args.png.resolve()}", "--window-size=1280,1400")
    args.png.parent.mkdir(parents=True, exist_ok=True)
    failures = check(dom, console + more)
    print(f"{url}: {len(dom):,} characters of rendered DOM")
    if args.png.is_file():
        print(f"screenshot: {args.png} ({args.png.stat().st_size:,} bytes)")
    else:
        failures.append(f"Chromium wrote no screenshot to {args.png}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


@contextmanager
def exchange(base_url: str | None) -> Iterator[str]:
    if base_url:
        yield base_url.rstrip("/")
        return
    with running_exchange({"DCE_WORKERS": "1"}) as base:
        yield base


def chromium(url: str, *action: str) -> tuple[str, list[str]]:
    """Run headless Chromium on `url` with a fresh profile: its stdout and its console messages."""
    profile = tempfile.mkdtemp(prefix="dce-chromium-")
    try:
        done = subprocess.run(  # noqa: S603 (a fixed browser path, our own arguments)
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={BUDGET_MS}", *action, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return done.stdout, [m.group(1) for m in map(CONSOLE.search, done.stderr.splitlines()) if m]


def check(dom: str, console: list[str]) -> list[str]:
    """What is wrong with the rendered page (nothing: an empty list)."""
    path, method = OPERATION
    document = yaml.safe_load((ROOT / "api" / "openapi.yaml").read_text())
    operation = document["paths"][path][method]
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    marker = f'id="operations-{operation["tags"][0]}-{operation["operationId"]}"'
    block = dom[dom.find(marker) : dom.find('class="opblock opblock-', dom.find(marker))] if marker in dom else ""
    expected = {
        "the page title": f"<title>{TITLE}</title>" in dom,
        "the document's title, rendered by Swagger UI": re.search(r'<h2 class="title">\s*' + TITLE, dom) is not None,
        f"the operation block of {method.upper()} {path}": bool(block),
        f"its operationId {operation['operationId']}": f'operation-id">{operation["operationId"]}<' in block,
        f"its summary {operation['summary']!r}": f'description">{html.escape(operation["summary"])}<' in block,
    }
    for what, found in expected.items():
        print(f"{'found' if found else 'MISSING'}: {what}")
    failures = [f"the rendered page lacks {what}" for what, found in expected.items() if not found]
    for message in console:
        print(f"console: {message}")
        if "Content Security Policy" in message or "Uncaught" in message or "Failed to load" in message:
            failures.append(f"browser console: {message}")
    if "Unable to render this definition" in text or "Failed to load API definition" in text:
        failures.append("Swagger UI could not render the document")
    return failures


if __name__ == "__main__":
    sys.exit(main())
