"""No secrets in the repository: every file git would commit is scanned for credentials' shapes (cloud keys,
private keys, tokens, JWTs, long secret-looking assignments). Test and local-development values are listed
below by name, each with the reason it is not a secret."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"(?i)aws_secret_access_key\W{1,4}[A-Za-z0-9/+=]{40}\b"),
    "private key": re.compile(r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "JSON Web Token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "secret-looking assignment": re.compile(
        r"""(?i)(secret|password|passwd|token|api_?key)\w*["']?\s*[:=]\s*["']([^"'\s]{24,})["']"""
    ),
}
# Values that look like secrets but are not, with why.
NOT_SECRETS = {
    "test-secret-for-unit-tests-only-0123456789abcdef",  # tests/conftest.py: the test suites' JWT key
    "another-secret-of-at-least-32-bytes-xx",  # tests/security/test_jwt.py: the "wrong key" attack
    "correct-horse-battery-staple",  # tests: the test users' password
    "unit-test-secret-0123456789-0123456789",  # tests/unit/test_tokens.py: the token codec's test key
    "benchmark-secret-0123456789-0123456789",  # benchmarks/marketplace.py: a throwaway local stack's key
    "a-password-nobody-logs-42",  # tests/security/test_sensitive_data.py: the password the log scan looks for
}
SKIPPED_SUFFIXES = {".png", ".jpg", ".gif", ".ico", ".whl", ".zip", ".gz"}


def repository_files() -> list[Path]:
    """What git would commit: tracked files and untracked ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607 (git from PATH)
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix not in SKIPPED_SUFFIXES]


def findings(text: str) -> list[str]:
    found = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(match.lastindex or 0) if kind == "secret-looking assignment" else match.group(0)
            if value not in NOT_SECRETS:
                found.append(f"{kind}: {value[:12]}...")
    return found


def test_no_file_in_the_repository_holds_a_secret():
    leaks = {}
    for path in repository_files():
        found = findings(path.read_text(errors="ignore"))
        if found:
            leaks[str(path.relative_to(ROOT))] = found
    assert not leaks


# Built at run time so that this file itself holds none of them.
SAMPLES = [
    "AWS_ACCESS_KEY_ID=" + "AKIA" + "IOSFODNN7EXAMPLE",
    "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "-----BEGIN RSA " + "PRIVATE KEY-----",
    "token: " + "ghp_" + "a" * 36,
    "Bearer " + ".".join(["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJ1c2VyLTEyMyJ9", "c2lnbmF0dXJlLXZhbHVlLXh4"]),
    "DCE_JWT_SECRET = " + '"pP8sK2vQ9zX4mN7b' + 'R1tY6wE3uI0oA5sD"',
]


@pytest.mark.parametrize("leak", SAMPLES)
def test_the_scanner_recognises_each_kind_of_secret(leak: str):
    assert findings(leak)
