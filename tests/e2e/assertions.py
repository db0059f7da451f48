"""Assertions shared by the end-to-end and security tests: the contract's error shape and list paging."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.api_client import ApiClient, User

ERROR_KEYS = {"code", "message", "request_id", "details"}
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error for `status`/`code`; returns the `error` object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) <= ERROR_KEYS and {"code", "message", "request_id"} <= set(error), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return error


def assert_unauthorized(response: httpx.Response) -> None:
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["www-authenticate"].startswith("Bearer")


def next_path(response: httpx.Response) -> str | None:
    """The `rel="next"` link of a list response as a path below /api/v1, or None on the last page."""
    link = response.headers.get("link")
    if link is None:
        return None
    found = _NEXT.search(link)
    assert found, link
    target = found.group(1)
    assert "/api/v1/" in target, link
    return "/" + target.split("/api/v1/", 1)[1]


def all_pages(api: ApiClient, path: str, user: User) -> list[dict[str, Any]]:
    """Every item of a list, following `Link: rel="next"` to the end."""
    items: list[dict[str, Any]] = []
    next_page: str | None = path
    while next_page is not None:
        response = api.get(next_page, user)
        assert response.status_code == 200, response.text
        items += response.json()
        next_page = next_path(response)
    return items
