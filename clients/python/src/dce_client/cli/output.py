"""Output of the `dce` command line: aligned tables by default, `--json` for scripts, coloured event
lines only when stdout is a terminal (and NO_COLOR is unset)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from pydantic import BaseModel

from dce_client import _json
from dce_client.models import Event

COLUMNS: dict[str, tuple[str, ...]] = {
    "Call": ("id", "status", "direction", "from_number", "to_number", "seller_id", "cost", "created_at"),
    "Auction": ("id", "call_id", "status", "reserve_price", "bid_count", "ends_at"),
    "Bid": ("id", "auction_id", "amount", "status", "placed_at"),
    "Transaction": ("id", "type", "amount", "balance_after", "call_id", "created_at"),
    "Account": ("id", "email", "type", "status", "balance", "created_at"),
    "BidProfile": ("id", "active", "auto_bid", "created_at"),
    "ApiKey": ("id", "name", "created_at"),
}
COLOURS = {"call": "36", "auction": "33", "bid": "35"}  # cyan, yellow, magenta


def text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, BaseModel):
        return " ".join(f"{k}={text(v)}" for k, v in value.model_dump().items())
    if isinstance(value, dict):
        return " ".join(f"{k}={text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    return str(value)


def as_json(value: Any) -> str:
    """Exact JSON (money as numbers with their cents) of a model, a list of models or plain data."""
    if isinstance(value, BaseModel):
        return _json.dumps(value.model_dump(mode="python"))
    if isinstance(value, list):
        return "[" + ",".join(as_json(item) for item in value) + "]"
    return _json.dumps(value)


def table(rows: Sequence[Sequence[str]], header: Sequence[str], out: TextIO) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    for line in (header, *rows):
        out.write("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip() + "\n")


def show(value: Any, json_output: bool, out: TextIO | None = None) -> None:
    """One object as `field  value` lines, a list as a table with a header, or JSON."""
    out = out or sys.stdout
    if json_output:
        out.write(as_json(value) + "\n")
    elif isinstance(value, list):
        show_rows(value, out)
    elif isinstance(value, BaseModel):
        data = value.model_dump()
        table([(key, text(item)) for key, item in data.items()], ("FIELD", "VALUE"), out)
    elif value is not None:
        out.write(text(value) + "\n")


def show_rows(items: Iterable[BaseModel], out: TextIO) -> None:
    items = list(items)
    if not items:
        out.write("(none)\n")
        return
    columns = COLUMNS.get(type(items[0]).__name__) or tuple(items[0].model_dump())
    table([[text(getattr(item, c, None)) for c in columns] for item in items], [c.upper() for c in columns], out)


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def event_line(event: Event, colour: bool) -> str:
    """`<ts>  <type>  <what it is about>` on one line."""
    about = []
    for key in ("call", "auction", "bid"):
        item = event.data.get(key)
        if isinstance(item, dict):
            summary = [f"{key}={item.get('id')}"]
            summary += [f"{f}={text(item[f])}" for f in ("status", "amount", "cost") if item.get(f) is not None]
            about.append(" ".join(summary))
    if event.outcome:
        about.append(f"outcome={event.outcome}")
    kind = event.type.ljust(20)
    if colour:
        kind = f"\x1b[{COLOURS.get(event.type.split('.')[0], '0')}m{kind}\x1b[0m"
    return f"{text(event.ts)}  {kind}  {'  '.join(about)}".rstrip()


def progress_bar(done: int, total: int, out: TextIO, width: int = 30) -> None:
    """A bar on stderr, redrawn in place on a terminal, one line per step otherwise."""
    fraction = done / total if total else 1.0
    bar = "#" * int(width * fraction)
    line = f"[{bar.ljust(width)}] {done}/{total} lines"
    out.write(f"\r{line}" if out.isatty() else f"{line}\n")
    if out.isatty() and done >= total:
        out.write("\n")
    out.flush()
