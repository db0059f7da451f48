"""The embedded moto in a process of its own (local/emulator_process.py), as `python -m local` starts it:
it is ready with our tables and queues, its writes wake the gateway's pollers across the pipe, it saves
the state a last time when stopped, and it exits by itself when the gateway is gone."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest

from dce.adapters.queues import PUSHES
from dce.adapters.tables import CALLS, TABLES
from local.emulator import EMULATOR_CREDENTIALS, SECRET_KEY_ENV
from local.emulator_process import QUEUES, STREAMS, EmulatorProcess, HostOptions
from local.state import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "dce-child"
RUN_KEY = secrets.token_urlsafe(32)  # this test's emulator key, as a run of `make dev` chooses one
WAIT_S = 10.0


@contextmanager
def child(tmp_path: Path | None = None) -> Iterator[EmulatorProcess]:
    environment = {**os.environ, "DCE_TABLE_PREFIX": PREFIX, SECRET_KEY_ENV: RUN_KEY}
    environment.pop("AWS_ENDPOINT_URL", None)
    emulator = EmulatorProcess.start(HostOptions(PREFIX, state_path=tmp_path), environment)
    try:
        yield emulator
    finally:
        emulator.stop()


def client(emulator: EmulatorProcess, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=RUN_KEY,
    )


def test_it_is_ready_with_every_table_and_queue_and_wakes_the_pollers() -> None:
    with child() as emulator:
        dynamodb, sqs = client(emulator, "dynamodb"), client(emulator, "sqs")
        names = set(dynamodb.list_tables()["TableNames"])  # type: ignore[attr-defined]
        assert {table.physical_name(PREFIX) for table in TABLES} <= names
        url = emulator.ready.environment[PUSHES.env_var]
        assert emulator.ready.environment["DCE_AUCTION_STATE_MACHINE_ARN"].startswith("arn:aws:states:")
        streams, queues = emulator.waker(STREAMS), emulator.waker(QUEUES)
        assert not streams.is_set() and not queues.is_set()

        dynamodb.put_item(TableName=CALLS.physical_name(PREFIX), Item={"id": {"S": "c-1"}})  # type: ignore[attr-defined]
        assert streams.wait(WAIT_S), "a stream record did not wake the gateway's stream pollers"
        assert not queues.is_set()
        sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId="d")  # type: ignore[attr-defined]
        assert queues.wait(WAIT_S), "an SQS message did not wake the gateway's queue poller"


def test_stopping_it_saves_the_state_a_last_time(tmp_path: Path) -> None:
    with child(tmp_path) as emulator:
        dynamodb = client(emulator, "dynamodb")
        dynamodb.put_item(TableName=CALLS.physical_name(PREFIX), Item={"id": {"S": "kept"}})  # type: ignore[attr-defined]
    snapshot = read_snapshot(tmp_path / "dynamodb.json")
    assert snapshot is not None
    assert [item["id"] for item in snapshot.tables["calls"].items] == [{"S": "kept"}]


GATEWAY = """
import os, sys, time
from local.emulator_process import EmulatorProcess, HostOptions
environment = dict(os.environ)
environment.pop("AWS_ENDPOINT_URL", None)
emulator = EmulatorProcess.start(HostOptions("dce-orphan"), environment)
print(emulator.process.pid, flush=True)
time.sleep(600)
"""


def test_it_exits_when_the_gateway_is_gone() -> None:
    """A gateway killed outright (SIGKILL: no `stop()`) leaves no emulator behind: the pipe's end is its signal."""
    gateway = subprocess.Popen(  # noqa: S603 (our own code)
        [sys.executable, "-c", GATEWAY],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert gateway.stdout is not None
        pid = int(gateway.stdout.readline())
        os.kill(pid, 0)  # running
    finally:
        gateway.kill()
        gateway.wait()
    deadline = time.monotonic() + WAIT_S
    while _alive(pid):
        assert time.monotonic() < deadline, "the emulator outlived its gateway"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_a_state_it_cannot_restore_is_a_state_error(tmp_path: Path) -> None:
    from local.state import Snapshot, StateError, TableState

    rekeyed = Snapshot(tables={"calls": TableState(hash_key="call_id", range_key=None, items=[])})
    environment = {**os.environ, "DCE_TABLE_PREFIX": PREFIX}
    environment.pop("AWS_ENDPOINT_URL", None)
    with pytest.raises(StateError, match="keyed by"):  # one line for the user, as when the gateway restored it
        EmulatorProcess.start(HostOptions(PREFIX, state_path=tmp_path, snapshot=rekeyed), environment)
