"""The local stack's state across restarts: a snapshot of the embedded moto's DynamoDB in `.dce/state/`.

`make dev` loads the snapshot at start, saves it every few seconds while something changes and once
more on Ctrl-C / SIGTERM, so accounts, calls, auctions, bids, balances and compliance lists survive a
restart. `make dev-reset` (`DCE_FRESH=1`) discards it and starts empty; `DCE_PERSIST=0` (or an empty
`DCE_STATE_DIR`) keeps nothing. With `AWS_ENDPOINT_URL` (another emulator) nothing is saved here:
that emulator keeps its own state.

What is saved: every table of TABLES except EPHEMERAL — WebSocket connection records (a connection
dies with the process) and the rate limiters' token buckets and failed-log-in counters (short-lived
throttling, expiring within minutes anyway). Items whose TTL has passed are dropped at restore, as
DynamoDB's TTL would have deleted them. Moto's other services are not saved: each open auction's
timer (a Step Functions execution) is started again after the restore (`AuctionTimers`).

The directory (0700) holds `dynamodb.json` (the snapshot, 0600), `jwt-secret` (the generated local
signing key, 0600, so tokens survive a restart) and `lock` (one stack per directory).

A snapshot is consistent: it is read under the lock every moto item operation and transaction holds
(`local.moto_patches._LOCK`), so no TransactWriteItems is ever half in it. It is written atomically
(a temporary file in the same directory, fsync, `os.replace`) with a header line:
`{"format": "dce-local-state", "version": 1, "saved_at": ..., "bytes": N, "sha256": ...}` then the
tables as JSON (`{table: {"key": [hash, range], "items": [DynamoDB JSON items]}}`). A truncated,
corrupt or other-version file is refused with one message (StateError) saying how to start fresh.

Restored items are written into moto's tables directly with the table's stream switched off, so no
stream record is produced: the local stream pollers (which open the streams at LATEST afterwards anyway)
cannot replay old changes as WebSocket events, nor a restored open auction as a new one for the automatic
bids. No stream position is saved: moto's streams do not survive a restart, so each consumer (`events`,
`autobids`: one poller each, local/streams.py) starts at LATEST, and a change whose consumers had not run
when the stack stopped is not delivered after the restart (an auction opened in its last second gets no
automatic bids).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dce.adapters.tables import TABLES, Table
from dce.domain.auctions import Auction
from dce.ports import AuctionRepo, Clock
from dce.services.auctions import AuctionTimer
from local.moto_patches import _LOCK

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = ROOT / ".dce" / "state"
FORMAT = "dce-local-state"
VERSION = 1
SNAPSHOT_FILE = "dynamodb.json"
KEY_FILE = "jwt-secret"
LOCK_FILE = "lock"
EPHEMERAL = frozenset({"connections", "rate_limits"})
SAVE_INTERVAL_S = 2.0
MAX_LOCK_SHARE = 0.1  # a big state is saved less often: the lock is held at most ~10 % of the time
MIN_KEY_CHARS = 32
RESET_HINT = "start fresh with `make dev-reset` (or `DCE_FRESH=1 make dev`), which discards the saved state"
EXIT_BAD_STATE = 1
EXIT_IN_USE = 2
_OFF = ("0", "false", "no", "off")


class StateError(Exception):
    """The saved state cannot be used; the message is the one line shown to the user."""

    exit_code = EXIT_BAD_STATE


class StateInUse(StateError):
    exit_code = EXIT_IN_USE


@dataclass(frozen=True)
class StateConfig:
    """Where the state lives (None: not saved), whether to discard it first, and why not saved."""

    directory: Path | None
    fresh: bool
    not_saved: str = ""


def state_config(environ: Mapping[str, str]) -> StateConfig:
    fresh = environ.get("DCE_FRESH", "").strip().lower() not in ("", *_OFF)
    if environ.get("AWS_ENDPOINT_URL"):
        return StateConfig(None, fresh, f"kept by the emulator at {environ['AWS_ENDPOINT_URL']} (no local snapshot)")
    if environ.get("DCE_PERSIST", "1").strip().lower() in _OFF:
        return StateConfig(None, fresh, "not saved (DCE_PERSIST=0): everything is gone when the stack stops")
    if "DCE_STATE_DIR" in environ and not environ["DCE_STATE_DIR"].strip():
        return StateConfig(None, fresh, "not saved (DCE_STATE_DIR is empty): everything is gone when the stack stops")
    directory = Path(environ.get("DCE_STATE_DIR") or DEFAULT_STATE_DIR).expanduser().absolute()
    return StateConfig(directory, fresh)


# --- the snapshot format ---------------------------------------------------------------------------------


@dataclass
class TableState:
    hash_key: str
    range_key: str | None
    items: list[dict[str, Any]] = field(default_factory=list)  # DynamoDB JSON: {"id": {"S": "..."}, ...}


@dataclass
class Snapshot:
    tables: dict[str, TableState]  # by TABLES name ("accounts"), not physical name
    saved_at: str = ""

    @property
    def items(self) -> int:
        return sum(len(t.items) for t in self.tables.values())


def encode(snapshot: Snapshot) -> bytes:
    tables = {name: {"key": [t.hash_key, t.range_key], "items": t.items} for name, t in snapshot.tables.items()}
    body = json.dumps(tables, separators=(",", ":"), default=_json_default).encode()
    header = {
        "format": FORMAT,
        "version": VERSION,
        "saved_at": snapshot.saved_at,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return json.dumps(header).encode() + b"\n" + body + b"\n"


def decode(data: bytes, path: Path) -> Snapshot:
    """The snapshot in `data` (read from `path`), or StateError naming the file and the way out."""

    def refuse(problem: str) -> StateError:
        return StateError(f"the saved local state {path} {problem}; {RESET_HINT}")

    first, newline, rest = data.partition(b"\n")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise refuse("is not a local state file (corrupt or truncated)" if data else "is empty")
    if header.get("version") != VERSION:
        raise refuse(
            f"was written in format version {header.get('version')!r} (this local stack reads version {VERSION})"
        )
    size, digest = header.get("bytes"), header.get("sha256")
    body = rest[:size] if isinstance(size, int) else b""
    if not newline or len(body) != size or rest[len(body) :] != b"\n":
        raise refuse("is truncated or corrupt (its length does not match its header)")
    if hashlib.sha256(body).hexdigest() != digest:
        raise refuse("is corrupt (its checksum does not match)")
    try:
        raw = json.loads(body)
        tables = {name: _table_state(value) for name, value in raw.items()}
    except (ValueError, TypeError, AttributeError, KeyError):
        raise refuse("is corrupt (unexpected content)") from None
    return Snapshot(tables, str(header.get("saved_at", "")))


def _table_state(value: Any) -> TableState:
    hash_key, range_key = value["key"]
    items = value["items"]
    if not isinstance(hash_key, str) or not (range_key is None or isinstance(range_key, str)):
        raise TypeError("bad key")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise TypeError("bad items")
    return TableState(hash_key, range_key, items)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):  # a binary attribute moto holds decoded: DynamoDB JSON carries base64
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot save {type(value).__name__}")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once (0600): a crash leaves the old file or the new one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def read_snapshot(path: Path) -> Snapshot | None:
    """The snapshot at `path`, None when there is none, or StateError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateError(f"cannot read the saved local state {path} ({error.strerror}); {RESET_HINT}") from None
    return decode(data, path)


# --- the state directory ---------------------------------------------------------------------------------


class StateDir:
    """The directory of one local stack's state, locked for as long as the stack runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: int | None = None

    @property
    def snapshot_path(self) -> Path:
        return self.path / SNAPSHOT_FILE

    @property
    def key_path(self) -> Path:
        return self.path / KEY_FILE

    def open(self) -> None:
        """Create the directory (0700, and any missing parent 0700 too) and take its lock, or StateError."""
        try:
            _make_private_dirs(self.path)
            lock = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StateError(f"cannot use the state directory {self.path} ({error.strerror})") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = os.read(lock, 32).decode(errors="replace").strip()
            os.close(lock)
            if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise StateError(f"cannot lock the state directory {self.path} ({error.strerror})") from None
            raise StateInUse(
                f"the state directory {self.path} is in use by another local stack"
                f"{f' (pid {holder})' if holder else ''}: stop it, or set DCE_STATE_DIR=... or DCE_PERSIST=0"
            ) from None
        os.ftruncate(lock, 0)
        os.pwrite(lock, str(os.getpid()).encode(), 0)
        self._lock = lock

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    def discard(self) -> None:
        """Forget the saved state and the signing key (DCE_FRESH=1, `make dev-reset`)."""
        for path in (self.snapshot_path, self.key_path):
            path.unlink(missing_ok=True)

    def load(self) -> Snapshot | None:
        return read_snapshot(self.snapshot_path)

    def save(self, snapshot: Snapshot) -> None:
        write_atomic(self.snapshot_path, encode(snapshot))

    def jwt_secret(self) -> str:
        """The local JWT signing key kept here: generated on first use, then the same on every start."""
        path = self.key_path
        try:
            key = path.read_text().strip()
        except FileNotFoundError:
            key = secrets.token_urlsafe(48)
            write_atomic(path, (key + "\n").encode())
            return key
        except (OSError, UnicodeDecodeError):
            raise StateError(f"cannot read the local signing key {path}; {RESET_HINT}") from None
        if len(key) < MIN_KEY_CHARS:
            raise StateError(f"the local signing key {path} is damaged (too short); {RESET_HINT}")
        return key


def _make_private_dirs(path: Path) -> None:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700)
        os.chmod(directory, 0o700)  # whatever the umask


# --- moto: capture, restore, change tracking ---------------------------------------------------------------

_generation = 0  # bumped (under _LOCK) by every successful DynamoDB write in moto
_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "execute_statement",
    "batch_execute_statement",
)


def track_writes() -> None:
    """Count moto's DynamoDB writes, so the saver knows when something changed. Idempotent.
    (BatchWriteItem goes through `put_item` / `delete_item`.) Wraps `DynamoDBBackend` methods (moto 5.2.5)."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__dce_counted__", False):
            setattr(DynamoDBBackend, name, _counted(method))


def _counted(method: Callable[..., Any]) -> Callable[..., Any]:
    import functools

    @functools.wraps(method)  # keeps the __dce_*__ marks of moto_patches' wrappers
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _generation
        with _LOCK:
            result = method(*args, **kwargs)
            _generation += 1
            return result

    wrapper.__dce_counted__ = True  # type: ignore[attr-defined]
    return wrapper


def generation() -> int:
    return _generation


def moto_dynamodb(prefix: str) -> Any:
    """The embedded moto's DynamoDB backend (account and region) that holds our tables."""
    from moto.dynamodb.models import dynamodb_backends

    marker = TABLES[0].physical_name(prefix)
    for account in list(dict.values(dynamodb_backends)):
        for backend in list(dict.values(account)):
            if marker in backend.tables:
                return backend
    raise RuntimeError(f"no DynamoDB backend in this process has the table {marker}")


def _moto_items(table: Any) -> Iterator[Any]:
    if table.range_key_attr is None:
        yield from table.items.values()
    else:
        for bucket in table.items.values():
            yield from bucket.values()


def capture(backend: Any, prefix: str, tables: tuple[Table, ...] = TABLES) -> tuple[Snapshot, int]:
    """Every non-ephemeral table's items, read under the item operations' lock (so no transaction is
    half in it), and the write generation they are at."""
    saved_at = datetime.now(UTC).isoformat(timespec="seconds")
    states: dict[str, TableState] = {}
    with _LOCK:
        at = _generation
        for table in tables:
            moto_table = backend.tables.get(table.physical_name(prefix))
            if table.name in EPHEMERAL or moto_table is None:
                continue
            items = [item.to_json()["Attributes"] for item in _moto_items(moto_table)]
            states[table.name] = TableState(table.partition.name, table.sort.name if table.sort else None, items)
    return Snapshot(states, saved_at), at


@dataclass(frozen=True)
class Restored:
    items: int
    by_table: dict[str, int]
    expired: int


def restore(backend: Any, prefix: str, snapshot: Snapshot, path: Path, tables: tuple[Table, ...] = TABLES) -> Restored:
    """Write the snapshot's items into moto's (empty) tables directly, producing no stream record.
    Ephemeral tables and tables no longer defined are skipped; items past their TTL are dropped."""
    now = time.time()
    by_table: dict[str, int] = {}
    expired = 0
    with _LOCK:
        for table in tables:
            saved = snapshot.tables.get(table.name)
            if saved is None or table.name in EPHEMERAL:
                continue
            key = (table.partition.name, table.sort.name if table.sort else None)
            if (saved.hash_key, saved.range_key) != key:
                raise StateError(
                    f"the saved local state {path} has the table {table.name} keyed by "
                    f"{(saved.hash_key, saved.range_key)}, now keyed by {key}; {RESET_HINT}"
                )
            moto_table = backend.get_table(table.physical_name(prefix))
            stream, moto_table.stream_shard = moto_table.stream_shard, None  # no stream record for a restore
            count = 0
            try:
                for item in saved.items:
                    if _expired(item, table.ttl_attribute, now):
                        expired += 1
                        continue
                    moto_table.put_item(item, overwrite=True)
                    count += 1
            except Exception as error:
                raise StateError(
                    f"the saved local state {path} has an item the table {table.name} refuses ({error}); {RESET_HINT}"
                ) from None
            finally:
                moto_table.stream_shard = stream
            if count:
                by_table[table.name] = count
    return Restored(sum(by_table.values()), by_table, expired)


def _expired(item: dict[str, Any], ttl_attribute: str | None, now: float) -> bool:
    if ttl_attribute is None or not isinstance(item.get(ttl_attribute), dict):
        return False
    try:
        return float(item[ttl_attribute]["N"]) < now
    except (KeyError, TypeError, ValueError):
        return False  # DynamoDB's TTL ignores an attribute that is not a number


# --- saving while running -------------------------------------------------------------------------------


class Saver:
    """Saves a snapshot every `interval` seconds when moto's DynamoDB changed, and on `stop()`."""

    def __init__(
        self, state: StateDir, prefix: str, on_disk: int | None = None, interval: float = SAVE_INTERVAL_S
    ) -> None:
        """`on_disk`: the write generation the saved file holds (just restored), None if nothing is saved."""
        self._state, self._prefix, self._interval = state, prefix, interval
        self._saved = on_disk
        self._pause = interval
        self._stop = threading.Event()
        self._saving = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.saves = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dce-state-saver", daemon=True)
        self._thread.start()

    def save(self) -> bool:
        """Save now if anything changed since the last save; True when a snapshot was written."""
        with self._saving:
            if generation() == self._saved:
                return False
            started = time.monotonic()
            snapshot, at = capture(moto_dynamodb(self._prefix), self._prefix)
            held = time.monotonic() - started
            self._state.save(snapshot)
            self._saved, self.saves = at, self.saves + 1
            self._pause = max(self._interval, held / MAX_LOCK_SHARE)
            return True

    def stop(self) -> None:
        """Stop saving periodically and save a last time (a failure is reported on one line)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        try:
            self.save()
        except Exception as error:
            print(f"warning: could not save the local state to {self._state.path}: {error}", file=sys.stderr)

    def _run(self) -> None:
        while not self._stop.wait(self._pause):
            try:
                self.save()
                self._failing = False
            except Exception:
                if not self._failing:
                    logger.warning("saving the local state to %s failed; retrying", self._state.path, exc_info=True)
                self._failing = True


# --- after a restore -------------------------------------------------------------------------------------


def open_auctions(auctions: AuctionRepo) -> list[Auction]:
    """Every open auction (after a restore: each one's timer died with the last run)."""
    found: list[Auction] = []
    start: dict[str, Any] | None = None
    while True:
        page = auctions.list_open(100, start)
        found += page.items
        if page.next_key is None:
            return found
        start = page.next_key


class AuctionTimers:
    """Starts the timer of each given auction again, through the auctions service's timer port (the
    Step Functions adapter): one whose end passed while the stack was down closes at once. A gateway
    background service, started after the stream pollers so the closes reach WebSocket clients."""

    def __init__(self, auctions: list[Auction], timer: AuctionTimer, clock: Clock) -> None:
        self.auctions, self._timer, self._clock = auctions, timer, clock
        self.started = 0

    def start(self) -> None:
        now = self._clock.now()
        for auction in self.auctions:
            self._timer.start(auction.id, auction.seconds_left(now))
            self.started += 1

    def stop(self) -> None:
        """Nothing to stop: the executions run in moto."""
