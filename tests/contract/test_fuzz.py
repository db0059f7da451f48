"""Fuzzing with schemathesis: every operation of `api/openapi.yaml` against a local exchange, as each role
allowed to call it (a real token; every other valid case uses the caller's own real ids in the path) and,
for the public operations, anonymously.

Every check schemathesis has (`--checks all`), on schema-valid (positive) and schema-invalid (negative)
data: no 5xx, a documented status, content type and headers, a body matching its schema, schema-invalid
input refused, and schema-valid input accepted. A schema-valid request may still be refused where the rule
is one no JSON Schema can state (a state machine, a signed cursor, a check digit, "in the future"): those
refusals are allowed by name below (ALLOWED_REFUSALS), each with its reason, and only those.

A fixed seed and bounded examples keep the run reproducible and short (about a minute on 2 cores). A role
refused by a route is answered at the edge before any input is read: the access matrix
(tests/security/test_access_matrix.py) checks every route for every role, so it is not fuzzed here. The
fuzzed stack is its own: admins fuzz global settings (TCPA hours, DNC, geographic restrictions).
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dce.api.idempotency import KEY_PATTERN
from dce.api.routes import ROUTES, find_route
from dce.domain.accounts import Role
from tests.contract.openapi_contract import DOCUMENT
from tests.e2e.api_client import ApiClient
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, local_stack

SEED = 20260701
MAX_EXAMPLES = 10  # per operation and role, on top of the schema's examples and boundary values (coverage)
CALLERS = ("anonymous", *(role.value for role in Role))
ANY_OPERATION = "*"
CURSOR_LISTS = ("listTransactions", "listUsers", "listCalls", "listAuctions", "listBids")

# Refusals of schema-valid requests that are the contract, not a gap in the document: (operationId, error
# code, message prefix) → why no schema can say it. Anything else a schema-valid request gets refused with
# fails the test: then the document is wrong (say the rule) or the server is (accept the request).
ALLOWED_REFUSALS: dict[tuple[str, str, str], str] = {
    # The status machine (the document describes it; a schema cannot know the call's current state).
    ("updateCallStatus", "INVALID_STATE", "Cannot change call status"): "state machine: the call's current state",
    ("routeCall", "INVALID_STATE", "Only a pending call"): "state machine: only a pending call is routed",
    ("routeCall", "NO_BIDS_AVAILABLE", ""): "the call has no auction or no eligible bid (marketplace state)",
    ("routeCall", "INSUFFICIENT_FUNDS", ""): "the buyer's available money at routing time (402, account state)",
    ("completeCall", "INVALID_STATE", "Only an in-progress call"): "state machine: only an in-progress call",
    ("createAuction", "INVALID_STATE", "An auction needs a pending call"): "state machine: the call is pending",
    ("withdrawBid", "INVALID_STATE", ""): "state machine: only an active bid is withdrawn",
    ("createCall", "INSUFFICIENT_FUNDS", ""): "the buyer's available money (402, account state)",
    # Values a pattern admits that a finer rule refuses.
    ("createCall", "VALIDATION_ERROR", "Invalid from number: not a valid phone number"): "numbering plans",
    ("createCall", "VALIDATION_ERROR", "Invalid to number: not a valid phone number"): "numbering plans",
    ("addDncNumber", "VALIDATION_ERROR", "Invalid phone number: not a valid phone number"): "numbering plans",
    ("getDncStatus", "VALIDATION_ERROR", "Invalid phone number: not a valid phone number"): "numbering plans",
    ("removeDncNumber", "VALIDATION_ERROR", "Invalid phone number: not a valid phone number"): "numbering plans",
    ("createAccount", "VALIDATION_ERROR", "Invalid card_number: not a valid card number"): "the Luhn check digit",
    ("createUser", "VALIDATION_ERROR", "Invalid card_number: not a valid card number"): "the Luhn check digit",
    ("setTcpaHours", "VALIDATION_ERROR", "Invalid end_time: must be later than start_time"): "compares two fields",
    ("setTcpaHours", "VALIDATION_ERROR", "Invalid timezone"): "the IANA zone list is the server's tz database",
    ("addDncNumber", "VALIDATION_ERROR", "Invalid expires_at: must be in the future"): "relative to the clock",
    ("importDncNumbers", "VALIDATION_ERROR", "Invalid expires_at: must be in the future"): "relative to the clock",
    # A cursor is signed (HMAC) for one list and caller: only the server issues valid ones.
    **{(op, "VALIDATION_ERROR", "Invalid cursor"): "a signed cursor only the server can issue" for op in CURSOR_LISTS},
}


def allowed_refusal(operation_id: str, response: Response) -> str | None:
    """Why the contract refuses this schema-valid request (ALLOWED_REFUSALS), or None."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    for (operation, code, prefix), reason in ALLOWED_REFUSALS.items():
        matches = operation in (operation_id, ANY_OPERATION) and error.get("code") == code
        if matches and str(error.get("message", "")).startswith(prefix):
            return reason
    return None


def positive_data_acceptance_but_the_rules(ctx: CheckContext, response: Response, case: schemathesis.Case) -> None:
    """schemathesis' `positive_data_acceptance`, allowing the refusals ALLOWED_REFUSALS names."""
    try:
        positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        route = find_route(case.method, case.operation.path)
        if route is None or allowed_refusal(route.operation_id, response) is None:
            raise


def may_call(role: str, method: str, path: str) -> bool:
    route = find_route(method, path)
    assert route is not None, f"{method} {path} is not in ROUTES"
    return route.public if role == "anonymous" else Role(role) in route.roles


def operations_for(role: str) -> BaseSchema:
    """The document's operations `role` may call, with the fuzzing settings."""
    loaded = schemathesis.openapi.from_path(DOCUMENT)
    loaded.config.seed = SEED
    loaded.config.generation.update(
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    )
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    # The coverage phase also sends each operation's path with methods it does not have (405 with `Allow`):
    # two of them show that, as all of them would, in a quarter of the requests.
    loaded.config.phases.coverage.unexpected_methods = {"options", "trace"}
    return loaded.include(lambda ctx: may_call(role, ctx.operation.method.upper(), ctx.operation.path))


@dataclass
class Caller:
    """A role's credentials and ids of real resources it may address (path parameter name → value)."""

    headers: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def fuzz_api() -> Iterator[ApiClient]:
    with local_stack() as url:
        yield ApiClient(url, check_contract=False)  # schemathesis checks the responses itself


@pytest.fixture(scope="session")
def callers(fuzz_api: ApiClient) -> dict[str, Caller]:
    """Each role with a token and its own resources: a buyer's call and auction, a seller's bid and profile."""
    admin = fuzz_api.admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    buyer, seller = fuzz_api.sign_up("buyer"), fuzz_api.sign_up("seller")
    call = fuzz_api.post("/calls", {"from_number": "+14155551234", "to_number": "+12125551234"}, buyer).json()
    auction = fuzz_api.post("/auctions", {"call_id": call["id"], "duration": 3600}, buyer).json()
    bid = fuzz_api.post("/bids", {"auction_id": auction["id"], "amount": 5}, seller).json()
    profile = fuzz_api.post("/bid-profiles", {"criteria": {"keywords": ["roof"]}}, seller).json()
    marketplace = {"calls": call["id"], "auctions": auction["id"], "bids": bid["id"], "bid-profiles": profile["id"]}
    compliance = {"phone": "+12125550100", "state": "CA"}
    result = {"anonymous": Caller({})}
    for role, user in (("buyer", buyer), ("seller", seller), ("admin", admin)):
        key = fuzz_api.post("/api-keys", {"name": "fuzz"}, user).json()["id"]
        owned = {"calls", "auctions"} if role == "buyer" else {"bids", "bid-profiles"} if role == "seller" else set()
        ids = {area: value for area, value in marketplace.items() if area in owned or role == "admin"}
        result[role] = Caller(user.auth, {**ids, "api-keys": key, "admin": user.id, **compliance})
    return result


def real_parameters(path: str, caller: Caller) -> dict[str, str]:
    """The caller's own ids for the template's parameters (`/calls/{id}` → its call), where it has one."""
    found = {}
    for name in re.findall(r"\{(\w+)\}", path):
        value = caller.ids.get(name if name != "id" else path.strip("/").split("/")[0])
        if value is not None:
            found[name] = value
    return found


def unique_idempotency_key(case: schemathesis.Case) -> None:
    """A valid generated Idempotency-Key is made unique: generated keys repeat ("0"), and a repeat with
    another body is a (documented) 409 that would hide what the request itself does. Invalid keys stay."""
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and KEY_PATTERN.match(str(key)):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def as_a_client_writes_it(value: Any) -> Any:
    """A generated (schema-valid) body with every float written as the decimal it stands for.

    - The generator makes money (`multipleOf: 0.01`) as k * 0.01 in binary floating point, whose JSON is
      `0.5700000000000001`: more than 2 decimals, rightly refused. Rounded to the cents it approximates.
    - JSON Schema counts `20722.0` as an integer; the contract does not (an integer is written without a
      fraction or exponent: docs/api.md, Strict input), which no schema keyword can say. Written as `20722`.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, float) and value == value and abs(value) < 1e15:
        cents = Decimal(repr(value)).quantize(Decimal("0.01"))
        return float(cents) if abs(Decimal(repr(value)) - cents) < Decimal("1e-9") else value
    if isinstance(value, dict):
        return {key: as_a_client_writes_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_a_client_writes_it(item) for item in value]
    return value


def fuzz(case: schemathesis.Case, caller: Caller, api: ApiClient) -> None:
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    # About half the valid cases address the caller's real resources, chosen from the generated values
    # themselves so that the run stays reproducible whichever worker gets which test.
    if not negative and zlib.crc32(repr(case.path_parameters).encode()) % 2 == 0:
        case.path_parameters = {**(case.path_parameters or {}), **real_parameters(case.operation.path, caller)}
    if not negative:
        case.body = as_a_client_writes_it(case.body)
    unique_idempotency_key(case)
    case.call_and_validate(
        base_url=api.base_url,
        headers=caller.headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_acceptance_but_the_rules],
    )


@operations_for("anonymous").parametrize()
def test_a_public_operation_conforms_to_the_document_whatever_anyone_sends(
    case: schemathesis.Case, callers: dict[str, Caller], fuzz_api: ApiClient
) -> None:
    fuzz(case, callers["anonymous"], fuzz_api)


@operations_for("buyer").parametrize()
def test_an_operation_conforms_to_the_document_whatever_a_buyer_sends(
    case: schemathesis.Case, callers: dict[str, Caller], fuzz_api: ApiClient
) -> None:
    fuzz(case, callers["buyer"], fuzz_api)


@operations_for("seller").parametrize()
def test_an_operation_conforms_to_the_document_whatever_a_seller_sends(
    case: schemathesis.Case, callers: dict[str, Caller], fuzz_api: ApiClient
) -> None:
    fuzz(case, callers["seller"], fuzz_api)


@operations_for("admin").parametrize()
def test_an_operation_conforms_to_the_document_whatever_an_admin_sends(
    case: schemathesis.Case, callers: dict[str, Caller], fuzz_api: ApiClient
) -> None:
    fuzz(case, callers["admin"], fuzz_api)


def test_every_route_is_fuzzed_as_every_role_that_may_call_it() -> None:
    fuzzed, expected = set(), set()
    for role in CALLERS:
        fuzzed |= {(role, op.ok().method.upper(), op.ok().path) for op in operations_for(role).get_all_operations()}
        expected |= {(role, r.method, r.path) for r in ROUTES if may_call(role, r.method, r.path)}
    assert fuzzed == expected
    assert {(method, path) for _, method, path in fuzzed} == {(r.method, r.path) for r in ROUTES}
