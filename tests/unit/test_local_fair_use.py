"""The local gateway's fair-use settings (local/http_limits.py) and its once-per-interval log filter
(local/log_throttle.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from local.http_limits import (
    DEFAULT_MAX_CONNECTIONS,
    FD_RESERVE,
    MAX_BACKLOG,
    MIN_CONNECTIONS,
    HttpLimits,
    accept_backlog,
    connection_bound,
    guarded_protocol,
)
from local.log_throttle import RepeatFilter, install


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO, Clock]]:
    """A logger writing to a string through a handler carrying a 10 s RepeatFilter on a fake clock."""
    clock, stream = Clock(), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(10, clock=clock))
    logger = logging.getLogger("test.fair_use")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.DEBUG
    yield logger, stream, clock
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_repeated_error_is_written_once_per_interval_then_with_its_count(log):
    logger, stream, clock = log
    for fd in range(100_000):  # a flood, as "Too many open files" was, each with its own arguments
        logger.error("accept failed: %s (fd %d)", "Too many open files", fd)
    assert lines(stream) == ["accept failed: Too many open files (fd 0)"]
    clock.now += 10
    logger.error("accept failed: %s (fd %d)", "Too many open files", 7)
    assert lines(stream)[1] == "accept failed: Too many open files (fd 7) (repeated 99999 more times in the last 10 s)"
    logger.error("accept failed: %s (fd %d)", "Too many open files", 8)
    assert len(lines(stream)) == 2


def test_other_messages_and_lower_levels_are_not_held_back(log):
    logger, stream, _ = log
    logger.warning("Exceeded concurrency limit.")
    logger.error("Exceeded concurrency limit.")  # another level: another message
    logger.warning("Closed a connection: its request %s was not complete within %g s", "head", 10)
    for _ in range(3):
        logger.info('%s - "GET %s HTTP/1.1" %d', "127.0.0.1:5000", "/api/v1/health", 200)  # the access log
    assert len(lines(stream)) == 6


def test_a_record_passing_several_handlers_is_decided_once(log):
    logger, stream, _ = log
    shared = logger.handlers[0].filters[0]
    second = io.StringIO()
    other = logging.StreamHandler(second)
    other.addFilter(shared)
    logger.addHandler(other)
    try:
        logger.error("boom")
        logger.error("boom")
    finally:
        logger.removeHandler(other)
    assert lines(stream) == ["boom"] and lines(second) == ["boom"]


def test_install_reaches_handlers_and_the_last_resort(monkeypatch: pytest.MonkeyPatch):
    repeat = RepeatFilter(10)
    handler = logging.StreamHandler(io.StringIO())
    configured = logging.getLogger("test.fair_use.configured")
    monkeypatch.setattr(configured, "handlers", [handler])
    last_resort = logging.StreamHandler(io.StringIO())
    monkeypatch.setattr(logging, "lastResort", last_resort)
    install(repeat, ("test.fair_use.direct",))
    try:
        assert repeat in handler.filters and repeat in last_resort.filters
        assert repeat in logging.getLogger("test.fair_use.direct").filters
    finally:
        for each in [*logging.getLogger().handlers, handler, last_resort]:
            each.removeFilter(repeat)
        logging.getLogger("test.fair_use.direct").removeFilter(repeat)


def test_settings_default_to_10_s_and_are_read_from_the_environment():
    assert HttpLimits.from_environment({}, None) == HttpLimits(10.0, 10.0, DEFAULT_MAX_CONNECTIONS, MAX_BACKLOG)
    env = {"DCE_HEAD_TIMEOUT_SECONDS": "1", "DCE_BODY_TIMEOUT_SECONDS": "2.5", "DCE_MAX_CONNECTIONS": "20"}
    assert HttpLimits.from_environment(env, None) == HttpLimits(1.0, 2.5, 20, MAX_BACKLOG)
    assert HttpLimits.from_environment({}, 1024).max_connections == (1024 - FD_RESERVE) * 4 // 11


@pytest.mark.parametrize("value", ["0", "-1", "ten", "nan", "inf"])
def test_a_bad_setting_is_refused_by_name(value: str):
    with pytest.raises(ValueError, match="DCE_HEAD_TIMEOUT_SECONDS"):
        HttpLimits.from_environment({"DCE_HEAD_TIMEOUT_SECONDS": value}, None)


@pytest.mark.parametrize("open_files", [1024, 4096, 10240, 1_048_576])
def test_the_bound_stays_well_below_the_open_files_limit(open_files: int):
    bound = connection_bound(DEFAULT_MAX_CONNECTIONS, open_files)
    # The worst case: twice the bound open (past it connections are closed as accepted), three accept
    # bursts of the backlog not closed yet, and the rest of the process.
    assert 2 * bound + 3 * accept_backlog(bound, open_files) + FD_RESERVE <= open_files
    assert bound == DEFAULT_MAX_CONNECTIONS or open_files < 6000


def test_the_bound_has_a_floor_and_the_backlog_is_full_where_descriptors_allow():
    assert connection_bound(2048, 256) == MIN_CONNECTIONS
    assert connection_bound(20, 1_048_576) == 20 and accept_backlog(20, 1_048_576) == MAX_BACKLOG
    assert accept_backlog(186, 1024) == (1024 - FD_RESERVE - 2 * 186) // 3


def test_uvicorn_gets_the_guarded_protocol_and_a_503_past_the_bound():
    limits = HttpLimits(1.0, 1.0, 20, 64)
    options = limits.uvicorn_options()
    assert options["http"].limits == limits and options["limit_concurrency"] == 21  # 20 open are served
    assert options["backlog"] == 64
    assert limits.hard_cap == 40
    assert guarded_protocol(limits) is not guarded_protocol(HttpLimits())
