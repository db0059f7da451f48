from datetime import UTC, datetime, timedelta

import jwt
import pytest

from dce.domain.accounts import Role
from dce.domain.errors import Unauthorized
from dce.domain.principal import Principal
from dce.services.tokens import TokenCodec, api_key_id, hash_api_key, new_api_key_secret

SECRET = "unit-test-secret-0123456789-0123456789"
NOW = datetime.now(UTC)


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(SECRET, 900, 3600)


def test_an_access_token_round_trips_to_its_principal(codec):
    token = codec.access_token(Principal("acct-1", Role.SELLER), NOW, "jti-1")
    assert codec.verify_access(token) == Principal("acct-1", Role.SELLER)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")
    assert claims["iss"] == "dependable-call-exchange"
    assert claims["exp"] - claims["iat"] == 900


def test_an_access_token_tells_until_when_it_is_valid(codec):
    token = codec.access_token(Principal("acct-1", Role.BUYER), NOW, "jti-1")
    principal, expires_at = codec.verify_access_until(token)
    assert principal == Principal("acct-1", Role.BUYER)
    assert expires_at == datetime.fromtimestamp(int((NOW + timedelta(seconds=900)).timestamp()), UTC)


def test_a_refresh_token_is_not_an_access_token_and_vice_versa(codec):
    refresh = codec.refresh_token("acct-1", "fam-1", "jti-2", NOW)
    with pytest.raises(Unauthorized):
        codec.verify_access(refresh)
    access = codec.access_token(Principal("acct-1", Role.BUYER), NOW, "jti-3")
    with pytest.raises(Unauthorized):
        codec.verify_refresh(access)
    assert codec.verify_refresh(refresh).family_id == "fam-1"


def claims(**overrides):
    base = {
        "sub": "acct-1",
        "role": "buyer",
        "iss": "dependable-call-exchange",
        "aud": "api",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "jti": "j",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(exp=int((NOW - timedelta(minutes=1)).timestamp())), SECRET, algorithm="HS256"),
        jwt.encode(claims(), "another-secret-0123456789-0123456789", algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS512"),
        jwt.encode(claims(iss="evil"), SECRET, algorithm="HS256"),
        jwt.encode(claims(aud="other"), SECRET, algorithm="HS256"),
        jwt.encode(claims(exp=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(role="root"), SECRET, algorithm="HS256"),
        jwt.encode(claims(), None, algorithm="none"),
        "not-a-jwt",
        "",
        "a" * 5000,
    ],
    ids=[
        "expired",
        "wrong-key",
        "hs512",
        "wrong-iss",
        "wrong-aud",
        "no-exp",
        "bad-role",
        "alg-none",
        "junk",
        "empty",
        "huge",
    ],
)
def test_bad_tokens_are_unauthorized(codec, token):
    with pytest.raises(Unauthorized):
        codec.verify_access(token)


def test_api_keys_carry_their_id_and_are_hashed():
    key_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    secret = new_api_key_secret(key_id)
    assert api_key_id(secret) == key_id
    assert hash_api_key(secret) != secret and len(hash_api_key(secret)) == 64
    assert api_key_id("dce_nothex_x") is None
    assert api_key_id("garbage") is None
