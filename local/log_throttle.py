"""Repeated log messages written once per interval, so a flood of events is not a flood of lines.

A client that exhausts file descriptors (or keeps sending garbage) makes the same warning or error
happen thousands of times a second: one local run wrote "Too many open files" 461,710 times (a 203 MB
log in about 20 s). `RepeatFilter` lets a message through the first time, drops the same message
(same logger, level and template: not its arguments) for `interval` seconds, and adds to the next one
let through how many were dropped. Only WARNING and above: the access log and other INFO lines are
one line per request by design.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_INTERVAL_S = 10.0
MAX_TRACKED = 1024  # distinct messages remembered at once; the stalest are forgotten past this
_DECIDED = "dce_repeat_filter"  # set on a record once decided: one record can pass several handlers


@dataclass
class _Window:
    started: float
    dropped: int = 0


class RepeatFilter(logging.Filter):
    """Let each message template through once per `interval` seconds (WARNING and above)."""

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL_S,
        level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.interval, self.level, self._clock = interval, level, clock
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._lock = threading.Lock()  # moto's server threads and the stream poller log too

    def filter(self, record: logging.LogRecord) -> bool:
        decided = record.__dict__.get(_DECIDED)
        if isinstance(decided, bool):
            return decided
        passed = record.levelno < self.level or self._first_in_window(record)
        record.__dict__[_DECIDED] = passed
        return passed

    def _first_in_window(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now - window.started < self.interval:
                window.dropped += 1
                return False
            dropped = window.dropped if window is not None else 0
            self._windows[key] = _Window(now)
            if len(self._windows) > MAX_TRACKED:
                self._forget_stalest()
        if dropped:  # the template is kept (its arguments still apply); no "%" is added
            record.msg = f"{record.msg} (repeated {dropped} more times in the last {self.interval:g} s)"
        return True

    def _forget_stalest(self) -> None:
        for key, _ in sorted(self._windows.items(), key=lambda item: item[1].started)[: MAX_TRACKED // 2]:
            del self._windows[key]


def install(repeat_filter: RepeatFilter, loggers: Iterable[str] = ()) -> None:
    """Add the filter to every handler that can write a record: those of the root logger and of every
    logger configured so far (uvicorn's), `logging.lastResort` (what writes records when no handler is
    configured, e.g. asyncio's "socket.accept() out of system resource"), and to the named loggers
    themselves (records logged on them directly)."""
    handlers: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if repeat_filter not in handler.filters:
            handler.addFilter(repeat_filter)
    for name in loggers:
        logger = logging.getLogger(name)
        if repeat_filter not in logger.filters:
            logger.addFilter(repeat_filter)
