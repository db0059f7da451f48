"""A seller bot: it bids on every auction that matches its criteria, as the auctions open.

    DCE_PASSWORD=... .venv/bin/python examples/seller_bot.py --email seller@example.com --states CA NY --bid 3.50

On start it creates a bid profile with your criteria (no automatic bid: the bot decides), so the exchange
sends it `auction.opened` for matching calls; it bids `--bid` (raised to the reserve, never above `--max`),
reports each auction's outcome and deletes the profile when it stops (Ctrl-C, or `--max-bids` auctions
bid on and closed). Lines go to stdout: `bid 3.50 on auction <id>`, `won auction <id>`, ...
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from decimal import Decimal

from dce_client import AsyncClient, DceError
from dce_client.models import Event

DEFAULT_URL = "http://127.0.0.1:8080/api/v1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DCE_API_URL", DEFAULT_URL))
    parser.add_argument("--email", required=True, help="a seller account (password: $DCE_PASSWORD)")
    parser.add_argument("--states", nargs="*", default=[], help="US states to buy calls from (default: any)")
    parser.add_argument("--call-type", action="append", default=[], help="call types to buy (default: any)")
    parser.add_argument("--bid", type=Decimal, default=Decimal("2.00"), help="amount to bid (default 2.00)")
    parser.add_argument("--max", type=Decimal, default=Decimal("10.00"), help="never bid more (default 10.00)")
    parser.add_argument("--max-bids", type=int, help="stop once this many auctions bid on have closed")
    return parser.parse_args()


async def run(args: argparse.Namespace) -> int:
    async with AsyncClient(args.url, email=args.email, password=os.environ.get("DCE_PASSWORD", "")) as client:
        criteria = {"geography": {"countries": ["US"], "states": args.states}, "call_type": args.call_type}
        profile = await client.bid_profiles.create({**criteria, "max_budget": args.max})
        note(f"watching for auctions (profile {profile.id}); Ctrl-C stops")
        try:
            await trade(client, args)
        finally:
            await client.bid_profiles.delete(profile.id)
    return 0


async def trade(client: AsyncClient, args: argparse.Namespace) -> None:
    bid_on: set[str] = set()
    closed = 0
    async for event in client.events(topics=["auction"]):
        if event.type == "auction.opened" and event.auction is not None:
            await bid(client, event, args, bid_on)
        elif event.type == "auction.closed" and event.data.get("auction_id") in bid_on:
            print(f"{event.outcome} auction {event.data['auction_id']}", flush=True)
            closed += 1
            if args.max_bids is not None and closed >= args.max_bids:
                return


async def bid(client: AsyncClient, event: Event, args: argparse.Namespace, bid_on: set[str]) -> None:
    assert event.auction is not None
    auction = event.auction
    amount = max(args.bid, auction.reserve_price)
    if amount > args.max:
        print(f"skip auction {auction.id}: reserve {auction.reserve_price} is above {args.max}", flush=True)
        return
    try:
        placed = await client.bids.place(auction.id, amount)
    except DceError as error:  # closed meanwhile, outbid ourselves, hourly limit...
        print(f"could not bid on auction {auction.id}: {error.code} {error.message}", flush=True)
        return
    bid_on.add(str(auction.id))
    print(f"bid {placed.amount} on auction {auction.id}", flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(run(parse_args())))
    except KeyboardInterrupt:
        sys.exit(0)
