"""A small client for the exchange's HTTP API, used by the end-to-end tests. Every response it receives
is checked against the OpenAPI document (tests/contract/openapi_contract.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.contract import openapi_contract

PASSWORD = "correct-horse-battery-staple"


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class User:
    id: str
    email: str
    role: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class ApiClient:
    def __init__(self, base_url: str, check_contract: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        hooks = {"response": [self._check_contract]} if check_contract else {}
        self.http = httpx.Client(base_url=self.base_url, timeout=30, event_hooks=hooks)

    def _check_contract(self, response: httpx.Response) -> None:
        openapi_contract.check(response, self.base_url)

    def request(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**(user.auth if user else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, user, **kwargs)

    def post(self, path: str, body: Any = None, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, user, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, user, json=body, **kwargs)

    def delete(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, user, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post("/auth/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def sign_up(self, role: str = "buyer", email: str | None = None, **extra: Any) -> User:
        """Create a buyer or seller by public sign-up and log it in."""
        email = email or unique_email(role)
        body = {"email": email, "password": PASSWORD, "company_name": "Acme Calls", "type": role, **extra}
        response = self.post("/accounts", body)
        assert response.status_code == 201, response.text
        tokens = self.login(email)
        return User(response.json()["id"], email, role, tokens["access_token"], tokens["refresh_token"])

    def admin(self, email: str, password: str) -> User:
        tokens = self.login(email, password)
        profile = self.get("/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
        return User(profile["id"], email, "admin", tokens["access_token"], tokens["refresh_token"])

    def user(self, role: str, admin: User | None = None) -> User:
        """Any role: buyers and sellers sign up; admins are created by an admin."""
        if role != "admin":
            return self.sign_up(role)
        assert admin is not None
        email = unique_email("admin")
        body = {"email": email, "password": PASSWORD, "company_name": "Ops", "type": "admin"}
        response = self.post("/admin/users", body, admin)
        assert response.status_code == 201, response.text
        tokens = self.login(email)
        return User(response.json()["id"], email, "admin", tokens["access_token"], tokens["refresh_token"])
