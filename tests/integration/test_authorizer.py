"""The Lambda authorizer handler: Bearer JWT or X-API-Key → an Allow policy with the caller's context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from local.lambda_runtime import load_handler

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/api/v1/profile"


@pytest.fixture
def authorizer():
    return load_handler("authorizer")


def event(headers: dict[str, str]) -> dict[str, object]:
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}


def test_a_valid_bearer_token_is_allowed_with_the_callers_context(aws, authorizer, lambda_context):
    account, _ = services().accounts.sign_up(
        NewAccount(email="seller@example.com", company_name="Seller", role=Role.SELLER, password=None)
    )
    token = services().tokens.access_token(Principal(account.id, Role.SELLER), datetime.now(UTC), "jti")
    policy = authorizer(event({"Authorization": f"Bearer {token}"}), lambda_context)
    assert policy["principalId"] == account.id
    assert policy["context"] == {"account_id": account.id, "role": "seller", "account_status": "active"}
    [statement] = policy["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*"


def test_an_api_key_is_allowed_until_it_is_revoked(aws, authorizer, lambda_context):
    account, api_key = services().accounts.sign_up(
        NewAccount(email="bot@example.com", company_name="Bot", role=Role.BUYER, password=None)
    )
    assert api_key is not None
    policy = authorizer(event({"x-api-key": api_key}), lambda_context)
    assert policy["context"] == {"account_id": account.id, "role": "buyer", "account_status": "active"}
    principal = Principal(account.id, Role.BUYER)
    [key] = services().api_keys.active_for(principal)
    services().api_keys.revoke(principal, key.id)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(event({"x-api-key": api_key}), lambda_context)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer x.y.z"}],
    ids=["none", "empty-bearer", "basic", "junk-jwt"],
)
def test_anything_else_is_unauthorized(aws, authorizer, lambda_context, headers):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(event(headers), lambda_context)
