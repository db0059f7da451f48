"""The OpenAPI document (`api/openapi.yaml`): generated from the code, committed, complete, and served by
the local gateway."""

from __future__ import annotations

from typing import Any

import httpx
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
        schema = component["content"]["application/json"]["schema"]
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/ErrorOut"}
        codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
        # A code has its own status, or another in a situation STATUS_BY_ERROR names (403 ACCOUNT_SUSPENDED).
        other = {error.code: s for error, s in STATUS_BY_ERROR.items()}
        assert codes and all(int(status) in (STATUS_BY_CODE[code], other.get(code)) for code in codes)
        assert "X-Request-Id" in component["headers"]


def test_the_error_shape_lists_every_contract_code(doc: dict[str, Any]):
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "request_id"}
    assert schemas["ErrorBody"]["properties"]["code"]["enum"] == sorted(STATUS_BY_CODE)
    responses = doc["components"]["responses"]
    assert "Retry-After" in responses["TooManyRequests"]["headers"]
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]


def test_both_credentials_are_security_schemes(doc: dict[str, Any]):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}


def test_the_local_gateway_serves_the_document_as_json(base_url: str, doc: dict[str, Any]):  # noqa: F811
    response = httpx.get(f"{base_url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json" and response.headers["x-request-id"]
    assert response.json() == doc
