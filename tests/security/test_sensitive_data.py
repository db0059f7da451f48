"""Card data and secrets never reach the logs or the tables (contract: Identity). The handlers run in this
process with every logger at DEBUG, so everything they (and boto3) could log is captured and scanned, and
so is every item of every table afterwards."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from dce.adapters.tables import TABLES
from local.lambda_runtime import load_handler
from tests.conftest import JWT_SECRET, TEST_ENV, ApiResponse

CARD_NUMBER = "4111111111111111"
CVV = "9876"
PASSWORD = "a-password-nobody-logs-42"
NEVER_WRITTEN = {
    "card number": re.compile(r"4111[ -]?1111[ -]?1111[ -]?1111"),
    "CVV value": re.compile(rf"\"{CVV}\"|'{CVV}'|cvv\W+{CVV}", re.IGNORECASE),
    "CVV field": re.compile(r"""["']cvv["']\s*:|\bcvv=""", re.IGNORECASE),  # a JSON key or a repr, not a message
    "password": re.compile(re.escape(PASSWORD)),
    "JWT signing key": re.compile(re.escape(JWT_SECRET)),
}


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every logger at DEBUG for the test (Powertools' `dce` logger included)."""
    dce = logging.getLogger("dce")
    before = dce.level
    dce.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield
    dce.setLevel(before)


def leaks(text: str) -> list[str]:
    return [name for name, pattern in NEVER_WRITTEN.items() if pattern.search(text)]


def stored_items() -> str:
    client = boto3.client("dynamodb")
    items = []
    for table in TABLES:
        items += client.scan(TableName=table.physical_name(TEST_ENV["DCE_TABLE_PREFIX"]))["Items"]
    return json.dumps(items)


def signup(**card: Any) -> dict[str, Any]:
    body = {"email": "card@example.com", "password": PASSWORD, "company_name": "Acme", "type": "buyer"}
    return {**body, "payment_info": {"card_number": CARD_NUMBER, "cvv": CVV, "expiry": "12/30", **card}}


def test_card_numbers_cvvs_passwords_and_keys_are_never_logged_or_stored(
    call_api: Callable[..., ApiResponse],
    debug_logs: None,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    lambda_context: Any,
):
    once = {"Idempotency-Key": "sign-up-1"}
    responses = [
        call_api("POST", "/accounts", signup(), headers=once),  # Idempotency-Key: the request is remembered
        call_api("POST", "/accounts", signup(), headers=once),  # ... and replayed
        call_api("POST", "/accounts", signup()),  # taken email: the error path
        call_api("POST", "/accounts", signup(card_number="4111111111111112")),  # fails the Luhn check
        call_api("POST", "/accounts", signup(cvv="98x6")),  # invalid CVV: a validation error
        call_api("POST", "/accounts", {**signup(), "type": "nobody"}),  # invalid body: Powertools' validation
        call_api("POST", "/auth/login", {"email": "card@example.com", "password": PASSWORD + "x"}),
        login := call_api("POST", "/auth/login", {"email": "card@example.com", "password": PASSWORD}),
        call_api("POST", "/auth/refresh", {"refresh_token": login.body["refresh_token"]}),
    ]
    assert [r.status for r in responses] == [201, 201, 409, 400, 400, 400, 401, 200, 200]
    assert responses[0].body["payment_info"]["card_number"] == "****1111"
    authorizer = load_handler("authorizer")
    event = {"methodArn": "arn:aws:execute-api:us-east-1:1:api/local/GET/profile", "headers": {}}
    authorizer({**event, "headers": {"Authorization": f"Bearer {login.body['access_token']}"}}, lambda_context)
    tokens = [login.body["access_token"], login.body["refresh_token"], responses[-1].body["refresh_token"]]
    out, err = capfd.readouterr()
    assert "Calling API Route Handler" in caplog.text  # the scan read real DEBUG output
    for text in (out, err, caplog.text, stored_items(), *(r.raw for r in responses[:-2])):
        assert not leaks(text)
        assert not any(token in text for token in tokens)


def test_the_scan_finds_each_kind_of_leak():
    assert leaks(json.dumps(signup())) == ["card number", "CVV value", "CVV field", "password"]
    assert leaks(f"Authorization failed for key {JWT_SECRET}") == ["JWT signing key"]
