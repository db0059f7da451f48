"""A live view of the market: what is open, what is bid, what is routed and billed, as it happens.

    DCE_PASSWORD=dce-admin-dev-password .venv/bin/python examples/market_dashboard.py --email admin@dce.local

An admin sees the whole exchange; a buyer or seller sees its own calls, auctions and bids. It starts
from the open auctions (`GET /auctions`), then prints one line per event followed by the running totals
(`open 2 | bids 5 | routed 1 | completed 1 | volume 88.00`). `--count N` stops after N events.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal

from dce_client import AsyncClient
from dce_client.models import Event

DEFAULT_URL = "http://127.0.0.1:8080/api/v1"


@dataclass
class Market:
    open_auctions: set[str] = field(default_factory=set)
    bids: int = 0
    routed: int = 0
    completed: int = 0
    volume: Decimal = Decimal("0.00")

    def apply(self, event: Event) -> None:
        if event.type == "auction.opened" and event.auction is not None:
            self.open_auctions.add(str(event.auction.id))
        elif event.type == "auction.closed":
            self.open_auctions.discard(str(event.data.get("auction_id")))
        elif event.type == "bid.placed":
            self.bids += 1
        elif event.type == "call.routed":
            self.routed += 1
        elif event.type == "call.completed" and event.call is not None:
            self.completed += 1
            self.volume += event.call.cost or Decimal("0")

    def totals(self) -> str:
        return (
            f"open {len(self.open_auctions)} | bids {self.bids} | routed {self.routed} | "
            f"completed {self.completed} | volume {self.volume}"
        )


def describe(event: Event) -> str:
    if event.call is not None:
        call = event.call
        cost = f" cost {call.cost}" if call.cost is not None else ""
        return f"{event.type:<20} call {call.id} {call.status}{cost}"
    if event.bid is not None:
        return f"{event.type:<20} bid {event.bid.amount} on auction {event.bid.auction_id}"
    if event.auction is not None:
        auction = event.auction
        winner = f" won at {auction.winning_bid.amount}" if auction.winning_bid else ""
        return f"{event.type:<20} auction {auction.id} {auction.status}{winner}"
    return f"{event.type:<20} {event.data}"


async def run(args: argparse.Namespace) -> int:
    market, seen = Market(), 0
    async with AsyncClient(args.url, email=args.email, password=os.environ.get("DCE_PASSWORD", "")) as client:
        market.open_auctions = {str(a.id) async for a in client.auctions.list(limit=100)}
        print(f"market at start: {market.totals()}", flush=True)
        async for event in client.events():
            market.apply(event)
            print(f"{event.ts:%H:%M:%S} {describe(event)}", flush=True)
            print(f"         {market.totals()}", flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                break
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DCE_API_URL", DEFAULT_URL))
    parser.add_argument("--email", required=True, help="the account to watch as (password: $DCE_PASSWORD)")
    parser.add_argument("--count", type=int, help="stop after this many events")
    try:
        return asyncio.run(run(parser.parse_args()))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
