"""Authentication against `GET /profile` (contract: Identity, Errors): every bad credential is a 401
UNAUTHORIZED with `WWW-Authenticate: Bearer`; HS256 is the only algorithm accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import JWT_SECRET
from tests.e2e.api_client import ApiClient, User
from tests.e2e.assertions import assert_unauthorized

ISSUER, AUDIENCE = "dependable-call-exchange", "api"  # the contract's values
DROP = object()
Headers = Callable[[ApiClient, User], dict[str, str]]


def claims(user: User, **changes: Any) -> dict[str, Any]:
    """Valid access-token claims for `user`, with `changes` applied (DROP removes a claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": user.id,
        "role": user.role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DROP}


def token(user: User, secret: str = JWT_SECRET, algorithm: str = "HS256", **changes: Any) -> str:
    return jwt.encode(claims(user, **changes), secret, algorithm=algorithm)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def with_admin_role(real_token: str) -> str:
    """The user's own token with `role` changed to admin in the payload, signature kept."""
    header, payload, signature = real_token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, b64({**decoded, "role": "admin"}), signature])


def revoked_key(api: ApiClient, user: User) -> dict[str, str]:
    key = api.post("/api-keys", {"name": "soon revoked"}, user).json()
    assert api.delete(f"/api-keys/{key['id']}", user).status_code == 204
    return {"X-API-Key": key["api_key"]}


def forged_key(api: ApiClient, user: User) -> dict[str, str]:
    """A real key id with a made-up secret."""
    real = api.post("/api-keys", {"name": "real"}, user).json()["api_key"]
    prefix, _ = real.rsplit("_", 1)
    return {"X-API-Key": f"{prefix}_{'A' * 43}"}


def without_signature(real_token: str) -> str:
    header, payload, _ = real_token.split(".")
    return f"{header}.{payload}."


# An attacker's own key pairs: "alg swap" tokens verify only against the attacker's public keys.
ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_EC = ec.generate_private_key(ec.SECP256R1())


def with_embedded_key(user: User) -> str:
    """RS256 signed with the attacker's key, the matching public key embedded in the header (`jwk`)."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_RSA.public_key()))
    return jwt.encode(claims(user), ATTACKER_RSA, algorithm="RS256", headers={"jwk": public})


def empty_key_token(user: User) -> str:
    """HS256 keyed with b"" and a `kid` naming an empty file: a server that loads keys by `kid` would accept it."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': '../../../../dev/null'})}.{b64(claims(user))}"
    signature = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


FUTURE = 10**9  # seconds from now: ~30 years
BAD_CREDENTIALS: dict[str, Headers] = {
    "missing header": lambda api, u: {},
    "bearer with empty token": lambda api, u: {"Authorization": "Bearer"},
    "basic scheme": lambda api, u: {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "token without scheme": lambda api, u: {"Authorization": u.access_token},
    "malformed token": lambda api, u: bearer("not-a-jwt"),
    "three garbage segments": lambda api, u: bearer("a.b.c"),
    "expired": lambda api, u: bearer(token(u, iat=int(time.time()) - 3600, exp=int(time.time()) - 120)),
    "wrong signature": lambda api, u: bearer(token(u, secret="another-secret-of-at-least-32-bytes-xx")),
    "alg none": lambda api, u: bearer(jwt.encode(claims(u), None, algorithm="none")),
    "alg none, uppercase": lambda api, u: bearer(f"{b64({'alg': 'NONE', 'typ': 'JWT'})}.{b64(claims(u))}."),
    "alg HS512 with the right secret": lambda api, u: bearer(token(u, algorithm="HS512")),
    "alg HS384 with the right secret": lambda api, u: bearer(token(u, algorithm="HS384")),
    "alg swap to RS256 (attacker's key)": lambda api, u: bearer(jwt.encode(claims(u), ATTACKER_RSA, algorithm="RS256")),
    "alg swap to ES256 (attacker's key)": lambda api, u: bearer(jwt.encode(claims(u), ATTACKER_EC, algorithm="ES256")),
    "alg swap to PS256 (attacker's key)": lambda api, u: bearer(jwt.encode(claims(u), ATTACKER_RSA, algorithm="PS256")),
    "attacker's key embedded as jwk": lambda api, u: bearer(with_embedded_key(u)),
    "kid pointing at an empty file, signed with an empty key": lambda api, u: bearer(empty_key_token(u)),
    "signature stripped": lambda api, u: bearer(without_signature(u.access_token)),
    "wrong iss": lambda api, u: bearer(token(u, iss="someone-else")),
    "wrong aud": lambda api, u: bearer(token(u, aud="refresh")),
    "no aud": lambda api, u: bearer(token(u, aud=DROP)),
    "missing exp": lambda api, u: bearer(token(u, exp=DROP)),
    "iat in the future": lambda api, u: bearer(token(u, iat=int(time.time()) + FUTURE, exp=int(time.time()) + FUTURE)),
    "nbf in the future": lambda api, u: bearer(token(u, nbf=int(time.time()) + FUTURE)),
    "not yet valid: nbf in two minutes": lambda api, u: bearer(token(u, nbf=int(time.time()) + 120)),
    "unknown role": lambda api, u: bearer(token(u, role="superuser")),
    "tampered payload (role changed)": lambda api, u: bearer(with_admin_role(u.access_token)),
    "refresh token as access token": lambda api, u: bearer(u.refresh_token),
    "token over 4 KiB": lambda api, u: bearer(token(u, pad="x" * 4096)),
    "revoked api key": revoked_key,
    "garbage api key": lambda api, u: {"X-API-Key": "garbage"},
    "api key shaped but unknown": lambda api, u: {"X-API-Key": f"dce_{uuid.uuid4().hex}_{'A' * 43}"},
    "api key with a forged secret": forged_key,
}


@pytest.mark.parametrize("make", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_a_bad_credential_is_unauthorized_with_a_bearer_challenge(api: ApiClient, buyer: User, make: Headers):
    response = api.get("/profile", headers=make(api, buyer))
    assert_unauthorized(response)
    assert buyer.email not in response.text


def test_a_valid_token_is_accepted(api: ApiClient, buyer: User):
    response = api.get("/profile", headers=bearer(buyer.access_token))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == buyer.id


def test_a_token_built_like_the_bad_ones_but_valid_is_accepted(api: ApiClient, buyer: User):
    """The control for the matrix above: each bad token differs from this one in one way only."""
    response = api.get("/profile", headers=bearer(token(buyer, pad="x" * 2000)))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == buyer.id


def test_the_bearer_scheme_is_case_insensitive(api: ApiClient, buyer: User):
    response = api.get("/profile", headers={"Authorization": f"bearer {buyer.access_token}"})
    assert response.status_code == 200, response.text


def test_a_valid_api_key_is_accepted(api: ApiClient, seller: User):
    key = api.post("/api-keys", {"name": "valid"}, seller).json()["api_key"]
    response = api.get("/profile", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == seller.id


def test_a_forged_admin_role_does_not_open_admin_routes(api: ApiClient, buyer: User):
    assert_unauthorized(api.get("/admin/users", headers=bearer(with_admin_role(buyer.access_token))))
