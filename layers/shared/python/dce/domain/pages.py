"""A page of a list, newest first, with an opaque cursor for the next one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_LIMIT, MAX_LIMIT = 50, 100


@dataclass(frozen=True, slots=True)
class Page[T]:
    items: list[T]
    next_key: dict[str, Any] | None = None
