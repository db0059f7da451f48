"""The `dce` command line against a real local exchange, run as a user runs it (a subprocess), with a
config directory of its own: the README's walk-through, profiles and stored tokens, errors, the live
event tail and the DNC import's progress."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.clients.conftest import unique_email
from tests.e2e.api_client import PASSWORD
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_examples import Lines, stop

pytestmark = pytest.mark.e2e
DCE = Path(sys.executable).parent / "dce"  # the console script of `pip install -e clients/python`


class Cli:
    def __init__(self, base_url: str, config_dir: Path) -> None:
        self.base_url = base_url
        self.env = {**os.environ, "DCE_CONFIG_DIR": str(config_dir), "DCE_PASSWORD": PASSWORD}
        self.env.pop("DCE_PROFILE", None)

    def run(self, *args: str, ok: bool = True, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(  # noqa: S603 (our CLI, fixed arguments)
            [sys.executable, "-m", "dce_client.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**self.env, "DCE_PASSWORD": password},
            check=False,
        )
        if ok:
            assert done.returncode == 0, f"dce {' '.join(args)}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run("--json", *args).stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 (our CLI, fixed arguments)
            [str(DCE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )


@pytest.fixture
def cli(base_url: str, tmp_path: Path) -> Cli:
    return Cli(base_url, tmp_path / "dce-config")


def test_readme_marketplace_walkthrough_with_the_cli(cli: Cli, base_url: str, tmp_path: Path):
    buyer, seller = unique_email("cli-buyer"), unique_email("cli-seller")
    cli.run("--url", base_url, "signup", "--email", buyer, "--company", "Acme Leads", "--type", "buyer")
    cli.run("login")  # the profile remembers the URL and the email
    seller_args = ("--profile", "seller")
    cli.run(
        *seller_args, "--url", base_url, "signup", "--email", seller, "--company", "Call Center", "--type", "seller"
    )
    cli.run(*seller_args, "login", "--email", seller)

    call = cli.json("calls", "create", "--from", "+14155551234", "--to", "+18005551234", "--direction", "inbound",
                    "--max-duration", "600")  # fmt: skip
    assert call["status"] == "pending"
    assert cli.json("calls", "get", call["id"]) == call
    listed = cli.run("calls", "list", "--limit", "10").stdout.splitlines()
    assert listed[0].split()[:3] == ["ID", "STATUS", "DIRECTION"] and call["id"] in listed[1]
    auction = cli.json("auctions", "create", call["id"], "--reserve", "1.00", "--duration", "30")
    bid = cli.json(*seller_args, "bids", "place", auction["id"], "22.00")
    assert bid["amount"] == 22.00 and bid["status"] == "active"
    closed = cli.json("auctions", "complete", auction["id"])
    assert closed["winning_bid"]["amount"] == 22.0
    assert cli.json("calls", "route", call["id"])["status"] == "queued"
    assert cli.json("balance")["held"] == 220.0
    for status in ("ringing", "in_progress"):
        cli.run("calls", "status", call["id"], status)
    done = cli.json("calls", "complete", call["id"], "--duration", "240")
    assert done["cost"] == 88.0 and done["status"] == "completed"
    assert cli.json(*seller_args, "balance")["balance"] == 88.0
    table = cli.run("balance").stdout
    assert "912.00" in table and "available" in table  # money with its cents in tables
    # --json money is an exact JSON number, never a string or a float artefact
    assert '"balance":912.00' in cli.run("balance", "--json").stdout


def test_profiles_store_tokens_privately_and_keep_rotated_refresh_tokens(cli: Cli, base_url: str, tmp_path: Path):
    email = unique_email("cli-profile")
    cli.run("--url", base_url, "--profile", "dev", "signup", "--email", email, "--company", "Acme", "--type", "buyer")
    cli.run("--profile", "dev", "login")
    config_file = tmp_path / "dce-config" / "config.json"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    stored = json.loads(config_file.read_text())["profiles"]["dev"]
    assert stored["base_url"] == base_url and stored["email"] == email and stored["refresh_token"]
    assert PASSWORD not in config_file.read_text()

    stored["access_token"] = "expired-or-revoked"
    config = json.loads(config_file.read_text())
    config["profiles"]["dev"] = stored
    config_file.write_text(json.dumps(config))
    assert cli.json("--profile", "dev", "whoami")["email"] == email
    renewed = json.loads(config_file.read_text())["profiles"]["dev"]
    assert renewed["refresh_token"] != stored["refresh_token"] and renewed["access_token"] != "expired-or-revoked"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600

    cli.run("profiles", "dev")
    assert "* dev" in cli.run("profiles").stdout
    assert cli.json("whoami")["email"] == email  # the default profile now
    cli.run("logout")
    refused = cli.run("whoami", ok=False)
    assert refused.returncode != 0 and "dce login" in refused.stderr


def test_errors_print_the_code_and_request_id_and_exit_1(cli: Cli, base_url: str):
    email = unique_email("cli-errors")
    cli.run("--url", base_url, "signup", "--email", email, "--company", "Acme", "--type", "buyer")
    cli.run("login")
    missing = cli.run("calls", "get", str(uuid4()), ok=False)
    assert missing.returncode == 1 and "404 CALL_NOT_FOUND: Call not found (request " in missing.stderr
    invalid = cli.run("calls", "create", "--from", "nope", "--to", "+18005551234", ok=False)
    assert invalid.returncode == 1 and "VALIDATION_ERROR" in invalid.stderr and "Traceback" not in invalid.stderr
    wrong = cli.run("login", "--email", email, ok=False, password="wrong-password-42")
    assert wrong.returncode == 1 and "INVALID_CREDENTIALS" in wrong.stderr
    assert cli.run("calls", "frobnicate", ok=False).returncode == 2  # usage


def test_events_tail_prints_one_line_per_event_without_colour_when_piped(cli: Cli, base_url: str):
    email = unique_email("cli-events")
    cli.run("--url", base_url, "signup", "--email", email, "--company", "Acme", "--type", "buyer")
    cli.run("login")
    process = cli.popen("events", "tail", "--topics", "call")
    assert process.stdout is not None and process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        err.wait_for(lambda line: line.startswith("listening on "))
        first = cli.json("calls", "create", "--from", "+14155551234", "--to", "+18005551234", "--direction", "inbound")
        line = out.wait_for(lambda text: first["id"] in text)
        assert "call.created" in line and "\x1b[" not in line and "status=pending" in line
        second = cli.json("calls", "create", "--from", "+14155551234", "--to", "+18005551234", "--direction", "inbound")
        out.wait_for(lambda text: second["id"] in text)
    finally:
        code = stop(process)
    assert code == 130 and "Traceback" not in err.rest()

    as_json = cli.popen("--json", "events", "tail", "--count", "1")
    assert as_json.stdout is not None and as_json.stderr is not None
    Lines(as_json.stderr).wait_for(lambda line: line.startswith("listening on "))
    third = cli.json("calls", "create", "--from", "+14155551234", "--to", "+18005551234", "--direction", "inbound")
    output, _ = as_json.communicate(timeout=30)
    event = json.loads(output)
    assert as_json.returncode == 0 and event["type"] == "call.created" and event["data"]["call"]["id"] == third["id"]


@pytest.mark.local_only  # logs in as the local stack's bootstrap admin
def test_dnc_import_shows_progress(cli: Cli, base_url: str, tmp_path: Path):
    cli.run("--url", base_url, "login", "--email", ADMIN_EMAIL, password=ADMIN_PASSWORD)
    base = uuid4().int % 9000 + 1000
    numbers = [f"+1720555{(base + i) % 10000:04d}" for i in range(3)]
    listing = tmp_path / "dnc.csv"
    listing.write_text(f"{numbers[0]}\nnot-a-number\n{numbers[1]},{numbers[2]}\n\n")
    done = cli.run("--json", "dnc", "import", str(listing), "--reason", "cli test", "--chunk-lines", "2")
    result = json.loads(done.stdout)
    assert (result["imported"], result["invalid_count"], result["invalid"][0]["line"]) == (3, 1, 2)
    assert "2/5 lines" in done.stderr and "5/5 lines" in done.stderr
    assert cli.json("dnc", "check", numbers[2])["is_dnc"] is True
    for number in numbers:
        cli.run("dnc", "remove", number)
    assert cli.json("dnc", "check", numbers[2])["is_dnc"] is False
