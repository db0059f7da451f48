"""scripts/create_admin.py: the first admin of a deployed stage, written through AccountService."""

from __future__ import annotations

import pytest

from dce import bootstrap
from dce.domain.errors import InvalidCredentials
from scripts.create_admin import main

PASSWORD = "correct-horse-battery-staple"  # the test users' password (not a secret)


@pytest.fixture
def run(aws, monkeypatch: pytest.MonkeyPatch):
    # The script points dce at the stage's tables through these; monkeypatch puts the test's back.
    monkeypatch.setenv("DCE_ENV", "test")
    monkeypatch.setenv("DCE_TABLE_PREFIX", "dce-test")
    monkeypatch.setenv("DCE_ADMIN_PASSWORD", PASSWORD)

    def run(*args: str) -> int:
        bootstrap.reset()
        try:
            return main(["--env", "dev", "--table-prefix", "dce-test", *args])
        finally:
            bootstrap.reset()

    return run


def test_the_admin_can_log_in_and_is_an_admin(run, capsys: pytest.CaptureFixture[str]):
    assert run("--email", "ops@example.com") == 0
    assert "Created admin ops@example.com" in capsys.readouterr().out
    session = bootstrap.services().auth.login("ops@example.com", PASSWORD, "198.51.100.1")
    principal = bootstrap.services().tokens.verify_access(session.access_token)
    assert principal.role.value == "admin"


def test_running_it_again_changes_nothing(run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    assert run("--email", "ops@example.com") == 0
    monkeypatch.setenv("DCE_ADMIN_PASSWORD", "another-password-entirely")
    assert run("--email", "ops@example.com") == 0
    assert "Already there, unchanged" in capsys.readouterr().out
    assert bootstrap.services().auth.login("ops@example.com", PASSWORD, "198.51.100.1").access_token


def test_a_weak_password_is_refused_with_the_apis_message(run, capsys, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DCE_ADMIN_PASSWORD", "short")
    assert run("--email", "ops@example.com") == 2
    assert "Invalid password" in capsys.readouterr().err


def test_an_unknown_environment_is_refused():
    with pytest.raises(SystemExit):
        main(["--env", "qa", "--email", "ops@example.com"])


def test_the_environment_names_the_tables(run, monkeypatch: pytest.MonkeyPatch):
    from local.emulator import create_tables

    create_tables("dce-staging")  # as the staging stack names them
    bootstrap.reset()
    try:
        assert main(["--env", "staging", "--email", "ops@example.com"]) == 0
        assert bootstrap.services().auth.login("ops@example.com", PASSWORD, "198.51.100.1").access_token
    finally:
        monkeypatch.setenv("DCE_TABLE_PREFIX", "dce-test")
        bootstrap.reset()
    with pytest.raises(InvalidCredentials):  # not in the test prefix's tables
        bootstrap.services().auth.login("ops@example.com", PASSWORD, "198.51.100.1")
