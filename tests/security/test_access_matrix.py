"""The access matrix (contract: Access matrix), driven by the route table: a new route in ROUTES is
covered here without editing this file."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from dce.api.routes import ROUTES, Route
from dce.domain.accounts import Role
from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_error, assert_unauthorized

PROTECTED = [r for r in ROUTES if not r.public]
BODY_METHODS = {"POST", "PUT", "PATCH"}


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def send(api: ApiClient, route: Route, user: User | None) -> httpx.Response:
    """The route with every path parameter a random UUID and, where a body goes, `{}`."""
    path = re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), route.path)
    body = {"json": {}} if route.method in BODY_METHODS else {}
    return api.request(route.method, path, user, **body)


@pytest.fixture(scope="module")
def users(api: ApiClient, admin: User) -> dict[Role, User]:
    return {Role.BUYER: api.sign_up("buyer"), Role.SELLER: api.sign_up("seller"), Role.ADMIN: admin}


def test_the_matrix_covers_every_role():
    assert set(Role) == {Role.BUYER, Role.SELLER, Role.ADMIN}  # a new role needs a user in `users`


@pytest.mark.parametrize("route", PROTECTED, ids=route_id)
def test_a_protected_route_without_credentials_is_unauthorized(api: ApiClient, route: Route):
    assert_unauthorized(send(api, route, None))


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_a_role_is_forbidden_exactly_where_the_route_table_says(
    api: ApiClient, users: dict[Role, User], route: Route, role: Role
):
    response = send(api, route, users[role])
    if route.public or role in route.roles:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert_error(response, 403, "FORBIDDEN")
