"""A buyer: it brings calls to the exchange, auctions each one, routes it to the winning seller and
completes it, printing what each call cost.

    DCE_PASSWORD=... .venv/bin/python examples/buyer.py --email buyer@example.com --calls 3 --reserve 1.00

Each call is an inbound call from `--from` (a San Francisco number by default); its auction stays open
until a bid arrives (at most `--wait` seconds), then routing closes it and picks the winner. The call
then rings, is answered and lasts `--duration` seconds. A call nobody bid on is canceled.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal

from dce_client import BadRequestError, Client
from dce_client.models import Call

DEFAULT_URL = "http://127.0.0.1:8080/api/v1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DCE_API_URL", DEFAULT_URL))
    parser.add_argument("--email", required=True, help="a buyer account (password: $DCE_PASSWORD)")
    parser.add_argument("--calls", type=int, default=1, help="how many calls (default 1)")
    parser.add_argument("--from", dest="from_number", default="+14155551234", help="the caller (E.164)")
    parser.add_argument("--to", dest="to_number", default="+18005551234", help="the number called (E.164)")
    parser.add_argument("--call-type", help="e.g. insurance: what bid profiles match on")
    parser.add_argument("--reserve", type=Decimal, default=Decimal("1.00"), help="reserve price (default 1.00)")
    parser.add_argument("--wait", type=float, default=20.0, help="seconds to wait for a bid (default 20)")
    parser.add_argument("--duration", type=int, default=90, help="how long each call lasts, seconds (default 90)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    with Client(args.url, email=args.email, password=os.environ.get("DCE_PASSWORD", "")) as client:
        for _ in range(args.calls):
            handle(client, args)
        balance = client.balance()
        print(f"balance {balance.balance} (held {balance.held}, available {balance.available})", flush=True)
    return 0


def handle(client: Client, args: argparse.Namespace) -> None:
    call = client.calls.create(
        args.from_number, args.to_number, direction="inbound", call_type=args.call_type, max_duration=600
    )
    auction = client.auctions.create(call.id, reserve_price=args.reserve, duration=max(30, int(args.wait) + 10))
    print(f"call {call.id}: auction {auction.id} open, reserve {auction.reserve_price}", flush=True)
    deadline = time.monotonic() + args.wait
    while client.auctions.get(auction.id).bid_count == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    try:
        routed = client.calls.route(call.id)  # closes the auction and picks the winner
    except BadRequestError as error:
        if error.code != "NO_BIDS_AVAILABLE":
            raise
        client.calls.update_status(call.id, "canceled")
        print(f"call {call.id}: no bids, canceled", flush=True)
        return
    print(f"call {call.id}: routed to seller {routed.seller_id} at {routed.winning_bid_amount}/min", flush=True)
    finish(client, routed, args.duration)


def finish(client: Client, call: Call, duration: int) -> None:
    client.calls.update_status(call.id, "ringing")
    client.calls.update_status(call.id, "in_progress")
    done = client.calls.complete(call.id, duration)
    print(f"call {call.id}: completed, {done.billed_duration} s billed, cost {done.cost}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
