"""The OpenAPI document (`api/openapi.yaml`): generated from the code, committed, complete, and served by
the local gateway."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs
import pytest
from openapi_spec_validator import validate

from dce.api.errors import STATUS_BY_CODE, STATUS_BY_ERROR
from dce.api.openapi import document, edge_statuses, render
from dce.api.routes import ROUTES
from tests.contract.openapi_contract import DOCUMENT
from tests.contract.openapi_contract import document as committed
from tests.e2e.conftest import base_url  # noqa: F401  (the local exchange of the e2e suite)

OPERATIONS = [(route, route.method.lower()) for route in ROUTES]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return committed()


def operation(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["paths"][path][method]
    return found


def test_the_committed_document_is_what_the_code_generates():
    assert DOCUMENT.read_text() == render(document()), "api/openapi.yaml is stale: run `make openapi`"


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]):
    validate(doc)
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [
        {"url": "/api/v1", "description": "Every path is below /api/v1"}
    ]


def test_every_route_is_an_operation_and_nothing_else_is(doc: dict[str, Any]):
    documented = {(path, method) for path, methods in doc["paths"].items() for method in methods}
    assert documented == {(route.path, method) for route, method in OPERATIONS}


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=lambda v: getattr(v, "path", v))
def test_every_operation_documents_its_security_and_the_edge_statuses(doc: dict[str, Any], route, method):
    op = operation(doc, route.path, method)
    assert op["security"] == ([] if route.public else [{"bearerAuth": []}, {"apiKey": []}])
    statuses = {int(s) for s in op["responses"]}
    assert edge_statuses(route) <= statuses and 422 not in statuses
    assert any(200 <= s < 300 for s in statuses)
    if route.method in ("PUT", "PATCH") or "requestBody" in op:  # a POST may act on its path alone
        assert op["requestBody"]["required"] and op["requestBody"]["content"]["application/json"]["schema"]
    if route.method == "POST" and route.idempotent:
        assert "Idempotency-Key" in {p["name"] for p in op["parameters"]}
    if not route.idempotent:  # log-in and refresh: each call issues new tokens, nothing is remembered
        assert "Idempotency-Key" not in {p["name"] for p in op.get("parameters", [])}


@pytest.mark.parametrize(("route", "method"), OPERATIONS, ids=lambda v: getattr(v, "path", v))
def test_every_error_status_has_the_error_shape_and_only_its_own_codes(doc: dict[str, Any], route, method):
    for status, response in operation(doc, route.path, method)["responses"].items():
        if int(status) < 400:
            continue
        name = response["$ref"].rsplit("/", 1)[1]
        component = doc["components"]["responses"][name]
        assert component["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        codes = component["x-error-codes"]
        # A code has its own status, or another in a situation STATUS_BY_ERROR names (403 ACCOUNT_SUSPENDED).
        other = {error.code: s for error, s in STATUS_BY_ERROR.items()}
        assert codes and all(int(status) in (STATUS_BY_CODE[code], other.get(code)) for code in codes)
        assert "X-Request-Id" in component["headers"]


def test_the_error_shape_lists_every_contract_code(doc: dict[str, Any]):
    schemas = doc["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    assert schemas["Error"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "request_id"}
    assert schemas["ErrorBody"]["properties"]["code"]["enum"] == sorted(STATUS_BY_CODE)
    responses = doc["components"]["responses"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]


def test_every_operation_has_a_readable_operation_id_and_one_declared_tag(doc: dict[str, Any]):
    declared = [tag["name"] for tag in doc["tags"]]
    ids = []
    for methods in doc["paths"].values():
        for op in methods.values():
            ids.append(op["operationId"])
            assert re.fullmatch(
                r"(get|list|create|update|delete|add|remove|set|place|withdraw|revoke|route|complete"
                r"|import|credit|log|refresh)[A-Z][A-Za-z]*",
                op["operationId"],
            ), op["operationId"]
            assert len(op["tags"]) == 1 and op["tags"][0] in declared
    assert len(ids) == len(set(ids)) == len(ROUTES)
    assert {"createCall", "listCalls", "getCall", "routeCall", "completeCall", "placeBid", "createAuction"} <= set(ids)
    assert all(tag.get("description") for tag in doc["tags"]) and len(declared) == len(set(declared))


def test_every_error_response_is_the_one_error_schema(doc: dict[str, Any]):
    """No inline error shapes: every 4xx/5xx of every operation is a components/responses entry, and each of
    those is `Error` itself (an `allOf` per status would make a generator emit one model per status)."""
    refs = {
        response["$ref"]
        for methods in doc["paths"].values()
        for op in methods.values()
        for status, response in op["responses"].items()
        if int(status) >= 400
    }
    assert refs == {f"#/components/responses/{name}" for name in doc["components"]["responses"]}
    for component in doc["components"]["responses"].values():
        assert component["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert "allOf" not in str(doc)


def test_request_bodies_have_examples_that_their_schemas_accept(doc: dict[str, Any]):
    schemas = doc["components"]["schemas"]
    for methods in doc["paths"].values():
        for op in methods.values():
            if "requestBody" not in op:
                continue
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            schema = schemas[ref.rsplit("/", 1)[1]]
            assert schema.get("examples"), f"{op['operationId']}: no example"
            validator = jsonschema_rs.validator_for({**schema, "components": doc["components"]}, validate_formats=True)
            for example in schema["examples"]:
                assert validator.is_valid(example), f"{op['operationId']}: {example}"


def test_ids_times_and_money_have_their_formats(doc: dict[str, Any]):
    schemas = doc["components"]["schemas"]
    call = schemas["CallOut"]["properties"]
    assert call["id"] == {"type": "string", "format": "uuid"}
    assert call["created_at"] == {"type": "string", "format": "date-time"}
    assert call["cost"]["anyOf"][0] == {"type": "number", "multipleOf": 0.01}
    assert schemas["PlaceBidIn"]["properties"]["amount"] == {
        "type": "number", "multipleOf": 0.01, "minimum": 0.01, "maximum": 1000
    }  # fmt: skip
    assert schemas["CreateAuctionIn"]["properties"]["min_duration"]["maximum"] == 86400  # an integer, not 86400.0
    assert schemas["SignUpIn"]["properties"]["email"]["format"] == "email"
    for path, methods in doc["paths"].items():
        for op in methods.values():
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == "id":
                    assert parameter["schema"]["format"] == "uuid", path
                assert "anyOf" not in parameter["schema"] and "title" not in parameter["schema"]


def test_both_credentials_are_security_schemes(doc: dict[str, Any]):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}


def test_the_local_gateway_serves_the_document_as_json(base_url: str, doc: dict[str, Any]):  # noqa: F811
    response = httpx.get(f"{base_url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json" and response.headers["x-request-id"]
    assert response.json() == doc
