"""What each `dce` command does, with the SDK."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dce_client.cli.config import Config, Profile
from dce_client.cli.output import as_json, event_line, progress_bar, show, use_colour
from dce_client.client import Client
from dce_client.models import Tokens


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.config = Config.load()
        self.name, self.profile = self.config.profile(args.profile)
        self.base_url = args.url.rstrip("/") if args.url else self.profile.base_url

    def remember_url(self) -> None:
        """`login` and `signup` store the --url they were given in the profile."""
        self.profile.base_url = self.base_url

    def client(self, anonymous: bool = False) -> Client:
        p = self.profile
        if anonymous:
            return Client(self.base_url, ws_url=p.ws_url)
        if p.api_key:
            return Client(self.base_url, api_key=p.api_key, ws_url=p.ws_url)
        if not p.access_token and not p.refresh_token:
            raise SystemExit(f"error: not logged in for profile {self.name!r}: run `dce login`")
        return Client(
            self.base_url,
            access_token=p.access_token,
            refresh_token=p.refresh_token,
            on_tokens=self.store_tokens,
            ws_url=p.ws_url,
        )

    def store_tokens(self, tokens: Tokens) -> None:
        """Refresh tokens rotate: the new pair must replace the old one at once."""
        self.profile.access_token, self.profile.refresh_token = tokens.access_token, tokens.refresh_token
        self.config.save()

    def show(self, value: Any) -> None:
        show(value, self.args.json)


def amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise SystemExit(f"error: not an amount: {text!r} (e.g. 22.00)") from None


def password(email: str) -> str:
    return os.environ.get("DCE_PASSWORD") or getpass.getpass(f"Password for {email}: ")


def take[T](items: Iterable[T], args: argparse.Namespace) -> list[T]:
    result: list[T] = []
    for item in items:
        if not args.all and len(result) >= args.limit:
            break
        result.append(item)
    return result


def page_size(args: argparse.Namespace) -> int:
    return 100 if args.all else max(1, min(100, args.limit))


# --- accounts ---------------------------------------------------------------------------------------


def signup(ctx: Context) -> None:
    a = ctx.args
    with ctx.client(anonymous=True) as client:
        secret = None if a.no_password else password(a.email)
        account = client.accounts.sign_up(a.email, a.company, a.type, password=secret)
    ctx.remember_url()
    ctx.profile.email = account.email
    if account.api_key:
        ctx.profile.forget_credentials()
        ctx.profile.api_key = account.api_key
    ctx.config.save()
    ctx.show(account)


def login(ctx: Context) -> None:
    a, p = ctx.args, ctx.profile
    if a.api_key:
        ctx.remember_url()
        p.forget_credentials()
        p.api_key = a.api_key
        ctx.config.save()
        print(f"stored the API key in profile {ctx.name!r}", file=sys.stderr)
        return
    email = a.email or p.email or input("Email: ")
    with ctx.client(anonymous=True) as client:
        tokens = client.login(email, password(email))
    ctx.remember_url()
    p.forget_credentials()
    p.email = email
    ctx.store_tokens(tokens)
    print(f"logged in as {email} (profile {ctx.name!r}, {p.base_url})", file=sys.stderr)


def logout(ctx: Context) -> None:
    ctx.profile.forget_credentials()
    ctx.config.save()


def profiles(ctx: Context) -> None:
    if ctx.args.use:
        ctx.config.default_profile = ctx.args.use
        ctx.config.profile(ctx.args.use)
        ctx.config.save()
    rows = [
        {"profile": name, "default": name == ctx.config.default_profile, "base_url": p.base_url, "email": p.email}
        for name, p in sorted(ctx.config.profiles.items())
    ]
    if ctx.args.json:
        show(rows, True)
        return
    for row in rows:
        print(f"{'*' if row['default'] else ' '} {row['profile']:<12} {row['base_url']}  {row['email'] or '-'}")


def whoami(ctx: Context) -> None:
    with ctx.client() as client:
        ctx.show(client.account.profile())


def balance(ctx: Context) -> None:
    with ctx.client() as client:
        ctx.show(client.balance())


def transactions(ctx: Context) -> None:
    with ctx.client() as client:
        ctx.show(take(client.account.transactions(limit=page_size(ctx.args)), ctx.args))


# --- calls, auctions, bids --------------------------------------------------------------------------


def calls(ctx: Context) -> None:
    a = ctx.args
    with ctx.client() as client:
        if a.action == "create":
            result: Any = client.calls.create(
                a.from_number,
                a.to_number,
                direction=a.direction,
                call_type=a.call_type,
                keywords=a.keywords,
                max_duration=a.max_duration,
            )
        elif a.action == "list":
            result = take(client.calls.list(limit=page_size(a)), a)
        elif a.action == "get":
            result = client.calls.get(a.id)
        elif a.action == "route":
            result = client.calls.route(a.id)
        elif a.action == "status":
            result = client.calls.update_status(a.id, a.status)
        else:
            result = client.calls.complete(a.id, a.duration)
        ctx.show(result)


def auctions(ctx: Context) -> None:
    a = ctx.args
    with ctx.client() as client:
        if a.action == "create":
            reserve = amount(a.reserve) if a.reserve is not None else None
            result: Any = client.auctions.create(
                a.call_id,
                reserve_price=reserve,
                duration=a.duration,
                billing_model=a.billing_model,
                min_duration=a.min_duration,
            )
        elif a.action == "complete":
            result = client.auctions.complete(a.id)
        elif a.action == "get":
            result = client.auctions.get(a.id)
        else:
            result = take(client.auctions.list(limit=page_size(a)), a)
        ctx.show(result)


def bids(ctx: Context) -> None:
    a = ctx.args
    with ctx.client() as client:
        if a.action == "place":
            ctx.show(client.bids.place(a.auction_id, amount(a.amount)))
        elif a.action == "list":
            ctx.show(take(client.bids.list(auction_id=a.auction, limit=page_size(a)), a))
        else:
            client.bids.withdraw(a.id)


def events(ctx: Context) -> None:
    a, colour = ctx.args, use_colour(sys.stdout)
    seen = 0
    with ctx.client() as client:
        print(f"listening on {client.ws_url} (Ctrl-C stops)", file=sys.stderr, flush=True)
        for event in client.events(topics=a.topics):
            line = as_json(event) if a.json else event_line(event, colour)
            print(line, flush=True)
            seen += 1
            if a.count is not None and seen >= a.count:
                return


# --- compliance and admin ---------------------------------------------------------------------------


def dnc(ctx: Context) -> None:
    a = ctx.args
    with ctx.client() as client:
        if a.action == "check":
            ctx.show(client.compliance.check_dnc(a.phone))
        elif a.action == "add":
            ctx.show(client.compliance.add_dnc(a.phone, a.reason))
        elif a.action == "remove":
            client.compliance.remove_dnc(a.phone)
        else:
            text = sys.stdin.read() if a.file == "-" else Path(a.file).read_text(encoding="utf-8")
            result = client.compliance.import_dnc(
                text,
                a.reason,
                list=a.list,
                chunk_lines=a.chunk_lines,
                on_progress=lambda done, total: progress_bar(done, total, sys.stderr),
            )
            ctx.show(result)


def admin(ctx: Context) -> None:
    a = ctx.args
    with ctx.client() as client:
        if a.action == "credit":
            ctx.show(client.admin.credit(a.account_id, amount(a.amount), a.reason))
        else:
            ctx.show(take(client.admin.users(limit=page_size(a)), a))


COMMANDS: dict[str, Callable[[Context], None]] = {
    "signup": signup,
    "login": login,
    "logout": logout,
    "profiles": profiles,
    "whoami": whoami,
    "balance": balance,
    "transactions": transactions,
    "calls": calls,
    "auctions": auctions,
    "bids": bids,
    "events": events,
    "dnc": dnc,
    "admin": admin,
}


def run(args: argparse.Namespace) -> int:
    ctx = Context(args)
    COMMANDS[args.command](ctx)
    return 0


__all__ = ["COMMANDS", "Context", "Profile", "run"]
