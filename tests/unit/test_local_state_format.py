"""The local stack's saved state (local/state.py): the snapshot format, its atomic write, the state
directory, and the one clear message for a file that cannot be used."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from local.state import (
    DEFAULT_STATE_DIR,
    FORMAT,
    VERSION,
    Snapshot,
    StateDir,
    StateError,
    StateInUse,
    TableState,
    decode,
    encode,
    read_snapshot,
    state_config,
    write_atomic,
)

ROOT = Path(__file__).resolve().parents[2]


def sample() -> Snapshot:
    return Snapshot(
        {
            "accounts": TableState(
                "id",
                None,
                [
                    {"id": {"S": "a-1"}, "balance": {"N": "12.50"}, "tags": {"SS": ["x", "y"]}},
                    {"id": {"S": "a-2"}, "profile": {"M": {"name": {"S": "Zoë"}, "n": {"L": [{"N": "1"}]}}}},
                ],
            ),
            "ledger": TableState("account_id", "entry_key", [{"account_id": {"S": "a-1"}, "entry_key": {"S": "1"}}]),
            "dnc": TableState("phone_number", None, []),
        },
        saved_at="2025-06-18T19:00:00+00:00",
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_clear_error(error: StateError, path: Path) -> None:
    message = str(error)
    assert str(path) in message
    assert "make dev-reset" in message and "DCE_FRESH=1" in message
    assert "\n" not in message and "Traceback" not in message


# --- format -------------------------------------------------------------------------------------------------


def test_a_snapshot_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "dynamodb.json"
    write_atomic(path, encode(sample()))
    assert read_snapshot(path) == sample()


def test_the_file_starts_with_a_versioned_header(tmp_path: Path) -> None:
    header = json.loads(encode(sample()).split(b"\n", 1)[0])
    assert header["format"] == FORMAT and header["version"] == VERSION
    assert header["saved_at"] == "2025-06-18T19:00:00+00:00"
    assert set(header) == {"format", "version", "saved_at", "bytes", "sha256"}


def test_no_file_is_no_snapshot(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "dynamodb.json") is None


def test_binary_attributes_are_saved_as_base64() -> None:
    snapshot = Snapshot({"events": TableState("id", None, [{"id": {"S": "e"}, "blob": {"B": b"\x00\xff"}}])})
    decoded = decode(encode(snapshot), Path("x"))
    assert decoded.tables["events"].items == [{"id": {"S": "e"}, "blob": {"B": "AP8="}}]


@pytest.mark.parametrize("cut", [0, 1, 20, -40, -2, -1])
def test_a_truncated_file_is_refused_with_one_clear_message(tmp_path: Path, cut: int) -> None:
    data = encode(sample())
    path = tmp_path / "dynamodb.json"
    path.write_bytes(data[:cut])
    with pytest.raises(StateError) as raised:
        read_snapshot(path)
    assert_clear_error(raised.value, path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"not a snapshot at all\n", id="garbage"),
        pytest.param(lambda data: b"\x00\xff" * 10, id="binary"),
        pytest.param(lambda data: data.replace(b'"a-2"', b'"a-3"'), id="flipped-body"),
        pytest.param(lambda data: data + b"trailing", id="trailing-junk"),
        pytest.param(lambda data: data.replace(FORMAT.encode(), b"other-format"), id="other-format"),
        pytest.param(lambda data: b'{"format": "dce-local-state", "version": 1}\n[]\n', id="no-checksum"),
    ],
)
def test_a_corrupt_file_is_refused_with_one_clear_message(tmp_path: Path, damage) -> None:
    path = tmp_path / "dynamodb.json"
    path.write_bytes(damage(encode(sample())))
    with pytest.raises(StateError) as raised:
        read_snapshot(path)
    assert_clear_error(raised.value, path)


def test_a_body_that_is_valid_json_but_not_tables_is_refused(tmp_path: Path) -> None:
    body = json.dumps({"accounts": {"key": "id", "items": 3}}).encode()
    import hashlib

    header = {"format": FORMAT, "version": VERSION, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    path = tmp_path / "dynamodb.json"
    path.write_bytes(json.dumps(header).encode() + b"\n" + body + b"\n")
    with pytest.raises(StateError, match="corrupt") as raised:
        read_snapshot(path)
    assert_clear_error(raised.value, path)


@pytest.mark.parametrize("version", [0, VERSION + 1, "1", None])
def test_another_format_version_is_refused_with_one_clear_message(tmp_path: Path, version: object) -> None:
    data = encode(sample())
    header, body = data.split(b"\n", 1)
    path = tmp_path / "dynamodb.json"
    path.write_bytes(json.dumps({**json.loads(header), "version": version}).encode() + b"\n" + body)
    with pytest.raises(StateError, match="format version") as raised:
        read_snapshot(path)
    assert_clear_error(raised.value, path)


# --- atomic write ---------------------------------------------------------------------------------------------


def test_the_write_is_private_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "dynamodb.json"
    write_atomic(path, b"one")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamodb.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dynamodb.json"
    write_atomic(path, encode(sample()))

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomic(path, b"half a new snapshot")
    assert read_snapshot(path) == sample()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamodb.json"]


def test_the_write_goes_through_a_temporary_file_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dynamodb.json"
    write_atomic(path, b"old")
    seen: list[tuple[str, bytes, bytes]] = []
    replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((src, Path(src).read_bytes(), Path(dst).read_bytes()))  # the old file is whole until here
        replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(path, b"new")
    ((src, content, before),) = seen
    assert Path(src).parent == tmp_path and content == b"new" and before == b"old"


# --- the directory ----------------------------------------------------------------------------------------------


def test_the_directory_and_its_missing_parents_are_private(tmp_path: Path) -> None:
    state = StateDir(tmp_path / ".dce" / "state")
    state.open()
    try:
        assert mode(tmp_path / ".dce") == 0o700 and mode(state.path) == 0o700
        state.save(sample())
        assert mode(state.snapshot_path) == 0o600
        assert state.load() == sample()
    finally:
        state.close()


def test_one_stack_per_directory(tmp_path: Path) -> None:
    first, second = StateDir(tmp_path), StateDir(tmp_path)
    first.open()
    try:
        with pytest.raises(StateInUse, match=f"pid {os.getpid()}") as raised:
            second.open()
        assert raised.value.exit_code == 2 and "\n" not in str(raised.value)
    finally:
        first.close()
    second.open()  # free again once the first stack is gone
    second.close()


def test_the_signing_key_is_kept_private_and_discarded_with_the_state(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.open()
    try:
        key = state.jwt_secret()
        assert len(key) >= 32 and state.jwt_secret() == key
        assert mode(state.key_path) == 0o600
        state.save(sample())
        state.discard()
        assert not state.snapshot_path.exists() and state.load() is None
        assert state.jwt_secret() != key
    finally:
        state.close()


def test_a_damaged_signing_key_is_refused(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.key_path.write_text("short\n")
    with pytest.raises(StateError) as raised:
        state.jwt_secret()
    assert_clear_error(raised.value, state.key_path)


# --- settings --------------------------------------------------------------------------------------------------


def test_by_default_the_state_lives_in_the_checkout() -> None:
    config = state_config({})
    assert config.directory == DEFAULT_STATE_DIR == ROOT / ".dce" / "state" and not config.fresh


@pytest.mark.parametrize(
    ("environ", "saved", "fresh"),
    [
        ({"DCE_STATE_DIR": "/srv/dce-state"}, True, False),
        ({"DCE_FRESH": "1"}, True, True),
        ({"DCE_FRESH": "0"}, True, False),
        ({"DCE_PERSIST": "0"}, False, False),
        ({"DCE_STATE_DIR": ""}, False, False),
        ({"AWS_ENDPOINT_URL": "http://localhost:4566"}, False, False),
    ],
)
def test_settings(environ: dict[str, str], saved: bool, fresh: bool) -> None:
    config = state_config(environ)
    assert (config.directory is not None) is saved and config.fresh is fresh
    assert saved or config.not_saved


def test_with_another_emulator_nothing_is_saved_here() -> None:
    config = state_config({"AWS_ENDPOINT_URL": "http://localhost:4566", "DCE_STATE_DIR": "/srv/x"})
    assert config.directory is None and "http://localhost:4566" in config.not_saved


# --- python -m local with a file it cannot use -------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b'{"format": "dce-local-state", "version": 0}\n{}\n', b"{half"])
def test_the_stack_refuses_a_bad_snapshot_with_one_line_and_exit_1(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "dynamodb.json").write_bytes(content)
    env = {**os.environ, "DCE_STATE_DIR": str(tmp_path), "DCE_PERSIST": "1", "DCE_FRESH": ""}
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "local", "--port", "0"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the saved local state"), lines
    assert str(tmp_path / "dynamodb.json") in lines[0] and "make dev-reset" in lines[0]
    assert done.stdout == b""  # no banner
    assert (tmp_path / "dynamodb.json").read_bytes() == content  # never overwritten
