"""Each SDK example in examples/ run as a user runs it, against a real local exchange: the seller bot
bids on a matching auction from the event stream, the buyer routes its call to the winner, the
dashboard prints the live market."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from dce_client import Client
from tests.e2e.api_client import PASSWORD, User
from tests.e2e.test_examples import Lines, stop

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT_S = 30.0


def start(script: str, base_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our examples, fixed arguments)
        [sys.executable, str(EXAMPLES / script), "--url", base_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DCE_PASSWORD": PASSWORD},
    )


def unique_call_type() -> str:
    """Only this test's bid profiles match its calls (the exchange is shared by the suite)."""
    return f"sdk-{uuid.uuid4().hex[:10]}"


def test_seller_bot_bids_on_a_matching_auction_and_reports_the_outcome(base_url: str, buyer_sdk: Client, seller: User):
    call_type = unique_call_type()
    bot = start("seller_bot.py", base_url, "--email", seller.email, "--states", "CA", "--call-type", call_type,
                "--bid", "3.50", "--max-bids", "1")  # fmt: skip
    assert bot.stdout is not None and bot.stderr is not None
    out, err = Lines(bot.stdout), Lines(bot.stderr)
    try:
        err.wait_for(lambda line: line.startswith("watching for auctions"), timeout=WAIT_S)
        call = buyer_sdk.calls.create("+14155551234", "+18005551234", direction="inbound", call_type=call_type)
        auction = buyer_sdk.auctions.create(call.id, reserve_price=Decimal("1.00"))
        out.wait_for(lambda line: line == f"bid 3.50 on auction {auction.id}", timeout=WAIT_S)
        closed = buyer_sdk.auctions.complete(auction.id)
        assert closed.winning_bid is not None and closed.winning_bid.seller_id == uuid.UUID(seller.id)
        out.wait_for(lambda line: line == f"won auction {auction.id}", timeout=WAIT_S)
        assert bot.wait(timeout=WAIT_S) == 0, err.rest()
    finally:
        if bot.poll() is None:
            stop(bot)
    assert "Traceback" not in err.rest()
    with Client(base_url, access_token=seller.access_token) as client:
        assert client.bid_profiles.list() == []  # the bot removed its profile


def test_buyer_routes_its_call_to_the_winning_bid_and_completes_it(base_url: str, buyer: User, seller_sdk: Client):
    call_type = unique_call_type()
    profile = seller_sdk.bid_profiles.create(
        {"geography": {"states": ["CA"]}, "call_type": [call_type], "max_budget": Decimal("50")},
        auto_bid=Decimal("4.00"),
    )
    try:
        done = subprocess.run(  # noqa: S603 (our example, fixed arguments)
            [
                sys.executable,
                str(EXAMPLES / "buyer.py"),
                "--url",
                base_url,
                "--email",
                buyer.email,
                "--call-type",
                call_type,
                "--duration",
                "90",
                "--wait",
                "15",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            env={**os.environ, "DCE_PASSWORD": PASSWORD},
            check=False,
        )
    finally:
        seller_sdk.bid_profiles.delete(profile.id)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"routed to seller {profile.seller_id} at 4.00/min" in lines[1]
    assert lines[2].endswith("completed, 90 s billed, cost 8.00")  # 4.00 x 2 started minutes
    assert lines[3].startswith("balance 992.00 ")
    assert seller_sdk.balance().balance == Decimal("8.00")


def test_buyer_cancels_a_call_nobody_bid_on(base_url: str, buyer: User):
    done = subprocess.run(  # noqa: S603 (our example, fixed arguments)
        [
            sys.executable,
            str(EXAMPLES / "buyer.py"),
            "--url",
            base_url,
            "--email",
            buyer.email,
            "--call-type",
            unique_call_type(),
            "--wait",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DCE_PASSWORD": PASSWORD},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no bids, canceled" in done.stdout and "balance 1000.00 " in done.stdout


def test_market_dashboard_prints_the_live_market(base_url: str, buyer: User, buyer_sdk: Client, seller_sdk: Client):
    dashboard = start("market_dashboard.py", base_url, "--email", buyer.email, "--count", "4")
    assert dashboard.stdout is not None and dashboard.stderr is not None
    out, err = Lines(dashboard.stdout), Lines(dashboard.stderr)
    try:
        out.wait_for(lambda line: line.startswith("market at start: open 0 | bids 0"), timeout=WAIT_S)
        call = buyer_sdk.calls.create("+14155551234", "+18005551234", direction="inbound")
        out.wait_for(lambda line: f"call.created         call {call.id} pending" in line)
        auction = buyer_sdk.auctions.create(call.id, reserve_price=Decimal("1.00"))
        out.wait_for(lambda line: "open 1 | bids 0" in line)
        seller_sdk.bids.place(auction.id, Decimal("2.25"))
        out.wait_for(lambda line: f"bid.placed           bid 2.25 on auction {auction.id}" in line)
        buyer_sdk.auctions.complete(auction.id)
        out.wait_for(lambda line: f"auction {auction.id} completed won at 2.25" in line)
        out.wait_for(lambda line: "open 0 | bids 1 | routed 0 | completed 0 | volume 0.00" in line)
        assert dashboard.wait(timeout=WAIT_S) == 0
    finally:
        if dashboard.poll() is None:
            stop(dashboard)
    assert "Traceback" not in err.rest()
