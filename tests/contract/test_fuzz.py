"""Fuzzing with schemathesis: every operation of `api/openapi.yaml` against a local exchange, as each role
allowed to call it (a real token; every other valid case uses the caller's own real ids in the path) and,
for the public operations, anonymously.

A fixed seed and bounded examples keep the run reproducible and short. Every response must pass: no 5xx,
a documented status, content type and headers, a body matching its schema, and schema-invalid input
refused. A role refused by a route is answered at the edge before any input is read: the access matrix
(tests/security/test_access_matrix.py) checks every route for every role, so it is not fuzzed here. The
fuzzed stack is its own: admins fuzz global settings (TCPA hours, DNC, geographic restrictions).
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis import BaseSchema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dce.api.idempotency import KEY_PATTERN
from dce.api.routes import ROUTES, find_route
from dce.domain.accounts import Role
from tests.contract.openapi_contract import DOCUMENT
from tests.e2e.api_client import ApiClient
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, local_stack

SEED = 20260701
MAX_EXAMPLES = 12  # per operation and role, on top of the schema's examples and boundary values (coverage)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CALLERS = ("anonymous", *(role.value for role in Role))


def may_call(role: str, method: str, path: str) -> bool:
    route = find_route(method, path)
    assert route is not None, f"{method} {path} is not in ROUTES"
    return route.public if role == "anonymous" else Role(role) in route.roles


def operations_for(role: str) -> BaseSchema:
    """The document's operations `role` may call, with the fuzzing settings."""
    loaded = schemathesis.openapi.from_path(DOCUMENT)
    loaded.config.seed = SEED
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
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


def fuzz(case: schemathesis.Case, caller: Caller, api: ApiClient) -> None:
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    # About half the valid cases address the caller's real resources, chosen from the generated values
    # themselves so that the run stays reproducible whichever worker gets which test.
    if not negative and zlib.crc32(repr(case.path_parameters).encode()) % 2 == 0:
        case.path_parameters = {**(case.path_parameters or {}), **real_parameters(case.operation.path, caller)}
    unique_idempotency_key(case)
    case.call_and_validate(base_url=api.base_url, headers=caller.headers, checks=CHECKS)


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
