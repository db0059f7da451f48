"""JSON with exact money: numbers are read as `Decimal` and `Decimal` is written as a plain JSON number.

The exchange reads money from the request text exactly (never through a float) and refuses more than
2 decimals, so `Decimal("22.00")` must go out as `22.00`, not `"22.00"` (a string is 400) nor a float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def dumps(value: Any) -> str:
    """Compact JSON of dicts, lists, text, numbers, booleans, None, Decimal, UUID, datetime and enums."""
    return "".join(_encode(value))


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading every number with a fraction or exponent as `Decimal` (never a float)."""
    return json.loads(text, parse_float=Decimal)


def _encode(value: Any) -> list[str]:
    parts: list[str] = []
    _write(value, parts)
    return parts


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool | int | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as JSON: money must be finite")
        out.append(format(value, "f"))
    elif isinstance(value, float):
        raise TypeError("floats are not sent: use Decimal for money (exact to the cent)")
    elif isinstance(value, Enum):
        _write(value.value, out)
    elif isinstance(value, UUID):
        out.append(json.dumps(str(value)))
    elif isinstance(value, datetime):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot send a {type(value).__name__} as JSON")
