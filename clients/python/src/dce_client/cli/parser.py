"""The `dce` command line's arguments (argparse)."""

from __future__ import annotations

import argparse
from typing import Any


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dce", description="Dependable Call Exchange from the command line")
    parser.add_argument("--profile", help="config profile: local (default), staging, ... ($DCE_PROFILE)")
    parser.add_argument("--url", help="REST API base URL for this run (stored by `login`/`signup`)")
    parser.add_argument("--json", action="store_true", help="JSON output instead of tables")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    signup = commands.add_parser("signup", help="create a buyer or seller account")
    signup.add_argument("--email", required=True)
    signup.add_argument("--company", required=True, help="company name")
    signup.add_argument("--type", required=True, choices=["buyer", "seller"])
    signup.add_argument("--no-password", action="store_true", help="get an API key instead (stored in the profile)")

    login = commands.add_parser("login", help="log in and store the tokens in the profile")
    login.add_argument("--email", help="default: the profile's last one")
    login.add_argument("--api-key", help="store this API key instead of logging in")
    commands.add_parser("logout", help="forget the profile's tokens and API key")
    profiles = commands.add_parser("profiles", help="list the profiles, or choose the default one")
    profiles.add_argument("use", nargs="?", help="make this profile the default")
    commands.add_parser("whoami", help="the account of the profile")

    calls = commands.add_parser("calls", help="create, list, read, route and complete calls")
    call = calls.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = call.add_parser("create")
    create.add_argument("--from", dest="from_number", required=True, help="E.164, e.g. +14155551234")
    create.add_argument("--to", dest="to_number", required=True)
    create.add_argument("--direction", choices=["inbound", "outbound"])
    create.add_argument("--call-type")
    create.add_argument("--keyword", action="append", dest="keywords")
    create.add_argument("--max-duration", type=int, help="seconds (default 1800)")
    _listing(call.add_parser("list"))
    call.add_parser("get").add_argument("id")
    call.add_parser("route").add_argument("id")
    status = call.add_parser("status", help="ringing, in_progress, failed, canceled, no_answer, busy")
    status.add_argument("id")
    status.add_argument("status")
    complete = call.add_parser("complete")
    complete.add_argument("id")
    complete.add_argument("--duration", type=int, required=True, help="seconds")

    auctions = commands.add_parser("auctions", help="open, read and close auctions")
    auction = auctions.add_subparsers(dest="action", required=True, metavar="ACTION")
    open_ = auction.add_parser("create")
    open_.add_argument("call_id")
    open_.add_argument("--reserve", help="reserve price, e.g. 1.00")
    open_.add_argument("--duration", type=int, help="seconds (default 30)")
    open_.add_argument("--billing-model", choices=["per_minute", "per_call"])
    open_.add_argument("--min-duration", type=int)
    auction.add_parser("complete").add_argument("id")
    auction.add_parser("get").add_argument("id")
    _listing(auction.add_parser("list", help="open auctions, closing soonest first"))

    bids = commands.add_parser("bids", help="place, list and withdraw bids")
    bid = bids.add_subparsers(dest="action", required=True, metavar="ACTION")
    place = bid.add_parser("place")
    place.add_argument("auction_id")
    place.add_argument("amount", help="e.g. 22.00")
    _listing(bid.add_parser("list")).add_argument("--auction", help="only this auction's bids")
    bid.add_parser("withdraw").add_argument("id")

    commands.add_parser("balance", help="balance, held, available, credit limit")
    _listing(commands.add_parser("transactions", help="the ledger, newest first"))

    events = commands.add_parser("events", help="the live event stream")
    event = events.add_subparsers(dest="action", required=True, metavar="ACTION")
    tail = event.add_parser("tail", help="one line per event until Ctrl-C")
    tail.add_argument("--topics", nargs="+", help="only event types starting with these (call, auction.closed)")
    tail.add_argument("--count", type=int, help="stop after this many events")

    dnc = commands.add_parser("dnc", help="Do-Not-Call list (admin to change it)")
    dnc_action = dnc.add_subparsers(dest="action", required=True, metavar="ACTION")
    dnc_action.add_parser("check").add_argument("phone")
    add = dnc_action.add_parser("add")
    add.add_argument("phone")
    add.add_argument("--reason", required=True)
    dnc_action.add_parser("remove").add_argument("phone")
    bulk = dnc_action.add_parser("import", help="a file of numbers (newline or comma separated), with progress")
    bulk.add_argument("file", help="path, or - for stdin")
    bulk.add_argument("--reason", required=True)
    bulk.add_argument("--list", choices=["internal", "federal", "state", "custom"])
    bulk.add_argument("--chunk-lines", type=int, default=1000)

    admin = commands.add_parser("admin", help="admin operations")
    admin_action = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    credit = admin_action.add_parser("credit")
    credit.add_argument("account_id")
    credit.add_argument("amount")
    credit.add_argument("--reason", required=True)
    _listing(admin_action.add_parser("users"))
    _everywhere(parser, commands)
    return parser


def _everywhere(parser: argparse.ArgumentParser, commands: argparse._SubParsersAction[Any]) -> None:
    """`--json` also after the command (`dce calls list --json`), not only before it."""
    for sub in commands.choices.values():
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON output")
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _everywhere(sub, action)


def _listing(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--limit", type=int, default=20, help="at most this many items (default 20)")
    parser.add_argument("--all", action="store_true", help="every item, following every page")
    return parser
