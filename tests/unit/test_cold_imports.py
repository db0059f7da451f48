"""Cold start hygiene: each Lambda handler imports only what its own code path uses (issue 8).

A fresh interpreter imports the handler module and builds what its first event needs; the modules listed
must not be loaded. This guards the budget `make bench` measures (benchmarks/cold_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_ENV

ROOT = Path(__file__).resolve().parents[2]
RESOLVER = "aws_lambda_powertools.event_handler"
IDEMPOTENCY = "aws_lambda_powertools.utilities.idempotency"
PROBE = """
import json, sys
sys.path[:0] = [{folder!r}, {layer!r}]
import {module}
from dce.bootstrap import services
{ready}
print(json.dumps(sorted(sys.modules)))
"""

# area: (folder, module, what its first event builds, modules it must never load)
CASES = {
    "authorizer": (
        "authorizer",
        "handler",
        "services().tokens; services().api_keys; services().standing",
        (RESOLVER, IDEMPOTENCY, "argon2", "phonenumbers", "dce.api.schemas", "dce.services.calls"),
    ),
    "auction_close": (
        "auctions",
        "close",
        "services().auctions.on_timer",
        (RESOLVER, IDEMPOTENCY, "argon2", "jwt", "phonenumbers", "dce.api.schemas", "dce.adapters.secrets"),
    ),
    "calls": (
        "calls",
        "handler",
        "services().calls; services().cursors",
        ("argon2", "jwt", "dce.api.schemas.accounts", "dce.api.schemas.compliance", IDEMPOTENCY),
    ),
    "bids": (
        "bids",
        "handler",
        "services().bids; services().bid_profiles; services().cursors",
        ("argon2", "jwt", "phonenumbers", "dce.api.schemas.calls", "dce.services.calls", IDEMPOTENCY),
    ),
    "events": (
        "events",
        "handler",
        "from dce.bootstrap import events; events()",
        (RESOLVER, IDEMPOTENCY, "argon2", "jwt", "dce.adapters.secrets"),
    ),
    # The automatic bids: the bid path and the profiles, never the REST resolver, tokens or the signing key.
    "autobids": (
        "autobids",
        "handler",
        "services().auto_bids",
        (RESOLVER, IDEMPOTENCY, "argon2", "jwt", "dce.adapters.secrets", "dce.api.schemas", "dce.services.calls"),
    ),
}


@pytest.mark.parametrize("area", sorted(CASES))
def test_a_handler_loads_nothing_its_code_path_does_not_use(area: str):
    folder, module, ready, forbidden = CASES[area]
    code = PROBE.format(
        folder=str(ROOT / "functions" / folder), layer=str(ROOT / "layers/shared/python"), module=module, ready=ready
    )
    env = {**TEST_ENV, "PATH": ""}
    out = subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith(forbidden)] == []
