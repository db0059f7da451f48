"""The OpenAPI document as an oracle: every response the HTTP suites receive is validated against
`api/openapi.yaml` (openapi-core), so an undocumented status, header or field fails the test that got it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from dce.api.errors import STATUS_BY_CODE
from dce.api.routes import API_PREFIX

DOCUMENT = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
NOT_OPERATIONS = {API_PREFIX + "/openapi.json"}  # the local gateway's copy of the document itself


class ContractViolation(AssertionError):
    """A response the OpenAPI document does not allow."""


@dataclass(frozen=True)
class _Request:
    """openapi-core's Request protocol, for an httpx request."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters


@dataclass(frozen=True)
class _Response:
    """openapi-core's Response protocol, for an httpx response."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(yaml.safe_load(DOCUMENT.read_text()))


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())
    return loaded


def api_path(url: httpx.URL, base_url: str) -> str:
    """The request's path as the document names it (`/api/v1/...`), whatever prefix the base URL has."""
    base_path = urlsplit(base_url).path.rstrip("/")
    return API_PREFIX + url.path.removeprefix(base_path)


def check(response: httpx.Response, base_url: str) -> None:
    """Raise ContractViolation unless the document allows `response` to its request."""
    request = response.request
    path = api_path(request.url, base_url)
    if path in NOT_OPERATIONS:
        return
    response.read()
    wire = _Response(
        response.status_code,
        response.headers.get("content-type", ""),
        Headers(list(response.headers.multi_items())),
        response.content,
    )
    asked = _Request(
        f"{request.url.scheme}://{request.url.netloc.decode()}",
        path,
        request.method.lower(),
        None,
        request.headers.get("content-type", ""),
        RequestParameters(query=ImmutableMultiDict(), header=Headers(), cookie=ImmutableMultiDict()),
    )
    where = f"{request.method} {path} -> {response.status_code}"
    try:
        openapi().validate_response(asked, wire)
    except (PathNotFound, OperationNotFound):
        _check_gateway_error(response, where)  # not an operation: the gateway's own 404/405
    except OpenAPIError as error:
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        raise ContractViolation(f"{where} breaks the document: {error}{cause}\n{response.text[:500]}") from error


def _check_gateway_error(response: httpx.Response, where: str) -> None:
    if response.status_code not in (404, 405):
        raise ContractViolation(f"{where}: a request outside the document must be 404 or 405")
    error = response.json().get("error", {})
    if STATUS_BY_CODE.get(error.get("code")) != response.status_code or not error.get("request_id"):
        raise ContractViolation(f"{where}: not the contract's error shape: {response.text[:300]}")
