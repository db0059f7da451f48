"""Every JSON body of the REST API ends with a newline (curl's output stays on lines of its own): the
resolver's serializer and the error body (`dce.api.errors.json_text`), the local gateway's own errors and
its openapi.json. The local stack over HTTP: tests/e2e/test_examples.py."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from dce.api.app import build_app
from dce.api.errors import error_body, json_text
from dce.domain.errors import NotFound
from local.gateway import Gateway
from local.lambda_runtime import LambdaContext
from local.openapi import openapi_json
from tests.conftest import make_event


class Out(BaseModel):
    status: str


def resolve(query: dict[str, str]) -> dict[str, Any]:
    """`GET /api/v1/health?...` through build_app (a public route with no rate limit: no table is touched)."""
    router = Router()

    @router.get("/health")
    def health(kind: Annotated[str, Query()] = "one", n: Annotated[int, Query()] = 0) -> Out | list[Out]:
        if kind == "missing":
            raise NotFound("Nothing here")
        return [Out(status="ok")] * 2 if kind == "list" else Out(status="ok")

    result: dict[str, Any] = build_app(router).resolve(
        make_event("GET", "/api/v1/health", query=query), LambdaContext("test")
    )
    return result


def test_json_text_is_compact_json_ending_with_one_newline():
    text = json_text({"a": [1, 2], "b": None})
    assert text == '{"a":[1,2],"b":null}\n' and json.loads(text) == {"a": [1, 2], "b": None}


def test_success_bodies_end_with_a_newline():
    for query, expected in (({}, {"status": "ok"}), ({"kind": "list"}, [{"status": "ok"}] * 2)):
        result = resolve(query)
        assert result["statusCode"] == 200 and result["body"].endswith(("}\n", "]\n")), result
        assert json.loads(result["body"]) == expected


def test_error_bodies_end_with_a_newline():
    for query, status, code in (({"kind": "missing"}, 404, "NOT_FOUND"), ({"n": "x"}, 400, "VALIDATION_ERROR")):
        result = resolve(query)
        assert result["statusCode"] == status and result["body"].endswith("}\n")
        assert json.loads(result["body"])["error"]["code"] == code
    assert error_body("NOT_FOUND", "Route not found", "r-1").endswith('"request_id":"r-1"}}\n')


def _get(gateway: Gateway, method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": method, "path": path, "headers": headers or [], "query_string": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(gateway(scope, receive, send))
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_local_gateways_own_answers_end_with_a_newline():
    with ThreadPoolExecutor(max_workers=1) as pool:  # never used: these answers need no handler
        gateway = Gateway(pool=pool)
        too_large = [(b"content-length", b"999999999"), (b"content-type", b"application/json")]
        for body in (
            _get(gateway, "GET", "/api/v1/no-such-route"),  # 404
            _get(gateway, "DELETE", "/api/v1/calls"),  # 405
            _get(gateway, "POST", "/api/v1/accounts", too_large),  # 413
            _get(gateway, "GET", "/api/v1/openapi.json"),
        ):
            assert body.endswith(b"}\n") and json.loads(body)
    assert openapi_json().endswith(b"}\n")
