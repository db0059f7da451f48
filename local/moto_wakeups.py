"""Wake-up signals from the embedded moto: a poller sleeps until moto stores what it polls for.

`wake_on(cls, method)` wraps `cls.method` (once) so that every call sets each waker registered for it, and
returns a new waker. Each poller needs its own: it clears it before reading, and with one shared event a poller
could clear the wake-up meant for another, which would then sleep through it. Only for moto running in this
process (`ThreadedMotoServer`).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

_WAKERS: dict[tuple[type, str], weakref.WeakSet[threading.Event]] = {}
_LOCK = threading.Lock()


def wake_on(cls: type, method: str) -> threading.Event:
    """A new event, set after every call of `cls.method` (wrapped the first time it is asked for)."""
    wake = threading.Event()
    key = (cls, method)
    with _LOCK:
        wakers = _WAKERS.get(key)
        if wakers is None:
            wakers = _WAKERS[key] = weakref.WeakSet()
            _wrap(cls, method, wakers)
        wakers.add(wake)
    return wake


def _wrap(cls: type, method: str, wakers: weakref.WeakSet[threading.Event]) -> None:
    original = getattr(cls, method)

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        with _LOCK:
            waiting = list(wakers)
        for waker in waiting:
            waker.set()
        return result

    wrapped.__dce_original__ = original  # type: ignore[attr-defined]
    setattr(cls, method, wrapped)
