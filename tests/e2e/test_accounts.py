"""Identity over HTTP (contract: Identity): sign-up, log-in, refresh, profile, balance, ledger,
API keys and the admin routes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.api_client import PASSWORD, ApiClient, User, unique_email
from tests.e2e.assertions import assert_error, assert_unauthorized, next_path

CARD_NUMBER = "4111111111111111"
CVV = "9876"
MARKUP = [
    "<script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    "<img src=x onerror=alert(1)>",
    'Acme" onmouseover="alert(1)',
]


def signup_body(role: str = "buyer", **extra: Any) -> dict[str, Any]:
    return {"email": unique_email(role), "password": PASSWORD, "company_name": "Acme Calls", "type": role, **extra}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- sign-up -------------------------------------------------------------------------------------


def test_sign_up_creates_a_buyer_with_a_lowercased_email_and_the_signup_credit(api: ApiClient):
    email = f"Mixed.Case-{uuid.uuid4().hex[:8]}@Example.COM"
    response = api.post("/accounts", signup_body(email=email))
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["email"] == email.lower()
    assert account["type"] == "buyer"
    assert account["company_name"] == "Acme Calls"
    assert account["balance"] == 1000.0 and account["currency"] == "USD"
    assert uuid.UUID(account["id"])
    assert account["created_at"].endswith("Z")
    assert datetime.fromisoformat(account["created_at"]).utcoffset() == timedelta(0)
    assert not account.get("api_key")  # only password-less accounts get a key
    assert "password" not in response.text and "hash" not in response.text


def test_a_seller_starts_with_a_zero_balance(api: ApiClient):
    response = api.post("/accounts", signup_body("seller"))
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "seller"
    assert response.json()["balance"] == 0


def test_signing_up_again_with_the_same_email_in_another_case_is_email_taken(api: ApiClient):
    email = unique_email("dup")
    assert api.post("/accounts", signup_body(email=email)).status_code == 201
    again = api.post("/accounts", signup_body("seller", email=email.upper()))
    error = assert_error(again, 409, "EMAIL_TAKEN")
    assert email not in error["message"].lower()


def test_public_sign_up_refuses_an_admin_account(api: ApiClient):
    body = signup_body("admin")
    assert_error(api.post("/accounts", body), 403, "FORBIDDEN")
    # nothing was written: the email is still free
    assert api.post("/accounts", {**body, "type": "buyer"}).status_code == 201


@pytest.mark.parametrize("length", [11, 129], ids=["too-short", "too-long"])
def test_a_password_outside_12_to_128_characters_is_refused_naming_the_field(api: ApiClient, length: int):
    error = assert_error(api.post("/accounts", signup_body(password="p" * length)), 400, "VALIDATION_ERROR")
    assert "password" in error["message"]
    assert "p" * length not in error["message"]


@pytest.mark.parametrize("length", [12, 128])
def test_a_password_of_12_or_128_characters_is_accepted_and_logs_in(api: ApiClient, length: int):
    body = signup_body(password="p" * length)
    assert api.post("/accounts", body).status_code == 201
    assert api.post("/auth/login", {"email": body["email"], "password": "p" * length}).status_code == 200


def test_an_account_without_a_password_gets_a_one_time_api_key_that_authenticates(api: ApiClient):
    body = signup_body("seller")
    del body["password"]
    response = api.post("/accounts", body)
    assert response.status_code == 201, response.text
    account = response.json()
    api_key = account["api_key"]
    assert isinstance(api_key, str) and len(api_key) >= 32

    profile = api.get("/profile", headers={"X-API-Key": api_key})
    assert profile.status_code == 200, profile.text
    assert profile.json()["id"] == account["id"]
    assert profile.json()["type"] == "seller"
    assert api_key not in profile.text  # shown once, at sign-up only

    keys = api.get("/api-keys", headers={"X-API-Key": api_key})
    assert keys.status_code == 200
    assert len(keys.json()) == 1 and api_key not in keys.text
    # no password, so no password log-in
    assert_error(api.post("/auth/login", {"email": body["email"], "password": PASSWORD}), 401, "INVALID_CREDENTIALS")


def test_a_card_is_kept_masked_and_neither_its_number_nor_its_cvv_is_returned(api: ApiClient):
    card = {"card_number": "4111 1111 1111 1111", "cvv": CVV, "expiry": "12/30"}
    body = signup_body(payment_info=card)
    response = api.post("/accounts", body)
    assert response.status_code == 201, response.text
    assert response.json()["payment_info"] == {"card_number": "****1111", "brand": "visa", "expiry": "12/30"}
    token = api.login(body["email"])["access_token"]
    profile = api.get("/profile", headers=bearer(token))
    assert profile.json()["payment_info"]["card_number"] == "****1111"
    for text in (response.text, profile.text):
        assert CARD_NUMBER not in text.replace(" ", "") and "4111 1111" not in text
        assert "cvv" not in text.lower()
        assert f'"{CVV}"' not in text


@pytest.mark.parametrize(
    ("card", "field"),
    [
        ({"card_number": "4111111111111112", "cvv": "123"}, "card_number"),  # fails the Luhn check
        ({"card_number": "٤١١١١١١١١١١١١١١١", "cvv": "123"}, "card_number"),  # Arabic-Indic digits
        ({"card_number": "²111111111111111", "cvv": "123"}, "card_number"),  # a superscript "digit"
        ({"card_number": CARD_NUMBER, "cvv": "12a"}, "cvv"),
        ({"card_number": CARD_NUMBER, "cvv": "١٢٣"}, "cvv"),
        ({"card_number": CARD_NUMBER, "cvv": "123", "expiry": "13/30"}, "expiry"),
        ({"card_number": CARD_NUMBER}, "cvv"),
    ],
    ids=["luhn", "non-ascii-digits", "superscript", "cvv-letters", "cvv-non-ascii", "expiry", "cvv-missing"],
)
def test_an_invalid_card_is_refused_naming_the_field(api: ApiClient, card: dict[str, str], field: str):
    error = assert_error(api.post("/accounts", signup_body(payment_info=card)), 400, "VALIDATION_ERROR")
    assert field in error["message"]
    assert card["card_number"] not in error["message"]


@pytest.mark.parametrize("company_name", MARKUP)
def test_markup_in_company_name_is_refused_and_never_reflected(api: ApiClient, company_name: str):
    body = signup_body(company_name=company_name)
    response = api.post("/accounts", body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "company_name" in error["message"]
    assert company_name not in response.text
    assert "<" not in response.text and "javascript:" not in response.text.lower()
    # nothing was stored: the email is still free
    assert api.post("/accounts", {**body, "company_name": "Acme"}).status_code == 201


def test_missing_fields_are_a_validation_error_listing_each_field(api: ApiClient):
    error = assert_error(api.post("/accounts", {}), 400, "VALIDATION_ERROR")
    fields = {detail["field"] for detail in error["details"]}
    assert {"email", "company_name", "type"} <= fields
    assert all(detail["message"] for detail in error["details"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("type", "superuser"),
        ("company_name", ""),
        ("company_name", "x" * 201),
    ],
    ids=["email-shape", "email-too-long", "type", "company-empty", "company-too-long"],
)
def test_an_invalid_field_is_refused_naming_it_without_echoing_it(api: ApiClient, field: str, value: str):
    error = assert_error(api.post("/accounts", signup_body(**{field: value})), 400, "VALIDATION_ERROR")
    assert field in error["message"]
    if value:
        assert value not in error["message"]


# --- log-in and refresh --------------------------------------------------------------------------


def test_login_returns_a_bearer_token_pair_that_authenticates(api: ApiClient, buyer: User):
    response = api.post("/auth/login", {"email": buyer.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    profile = api.get("/profile", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 200 and profile.json()["id"] == buyer.id


def test_login_ignores_the_case_of_the_email(api: ApiClient, buyer: User):
    response = api.post("/auth/login", {"email": buyer.email.upper(), "password": PASSWORD})
    assert response.status_code == 200, response.text


def test_a_wrong_password_and_an_unknown_email_get_the_same_invalid_credentials_answer(api: ApiClient, buyer: User):
    wrong = assert_error(
        api.post("/auth/login", {"email": buyer.email, "password": "wrong-password-123"}), 401, "INVALID_CREDENTIALS"
    )
    unknown = assert_error(
        api.post("/auth/login", {"email": unique_email("ghost"), "password": PASSWORD}), 401, "INVALID_CREDENTIALS"
    )
    assert wrong["message"] == unknown["message"]


def test_login_without_a_password_is_a_validation_error(api: ApiClient, buyer: User):
    assert_error(api.post("/auth/login", {"email": buyer.email}), 400, "VALIDATION_ERROR")


def test_refresh_rotates_the_pair_and_the_new_access_token_works(api: ApiClient, buyer: User):
    response = api.post("/auth/refresh", {"refresh_token": buyer.refresh_token})
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert tokens["refresh_token"] != buyer.refresh_token
    profile = api.get("/profile", headers=bearer(tokens["access_token"]))
    assert profile.status_code == 200 and profile.json()["id"] == buyer.id
    # the rotated token rotates again
    assert api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 200


def test_reusing_a_refresh_token_revokes_its_whole_family(api: ApiClient, buyer: User):
    other_session = api.login(buyer.email)["refresh_token"]
    first = buyer.refresh_token
    newest = api.post("/auth/refresh", {"refresh_token": first}).json()["refresh_token"]

    assert_unauthorized(api.post("/auth/refresh", {"refresh_token": first}))  # reuse: theft suspected
    assert_unauthorized(api.post("/auth/refresh", {"refresh_token": newest}))  # the whole family is gone
    # another log-in is another family and keeps working
    assert api.post("/auth/refresh", {"refresh_token": other_session}).status_code == 200


def test_an_access_token_is_not_accepted_as_a_refresh_token(api: ApiClient, buyer: User):
    assert_unauthorized(api.post("/auth/refresh", {"refresh_token": buyer.access_token}))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 4096])
def test_a_malformed_refresh_token_is_unauthorized(api: ApiClient, token: str):
    assert_unauthorized(api.post("/auth/refresh", {"refresh_token": token}))


def test_a_refresh_token_over_4_kib_is_a_validation_error(api: ApiClient):
    error = assert_error(api.post("/auth/refresh", {"refresh_token": "x" * 4097}), 400, "VALIDATION_ERROR")
    assert "refresh_token" in error["message"]


# --- profile, balance, ledger --------------------------------------------------------------------


def test_profile_returns_the_callers_own_account(api: ApiClient, seller: User):
    response = api.get("/profile", seller)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["id"] == seller.id and profile["email"] == seller.email and profile["type"] == "seller"
    assert profile["currency"] == "USD"
    assert not profile.get("api_key")
    assert "hash" not in response.text and "password" not in response.text


def test_a_new_buyer_has_the_signup_credit_as_balance(api: ApiClient, buyer: User):
    response = api.get("/account/balance", buyer)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "balance": 1000.0,
        "held": 0,
        "available": 1000.0,
        "credit_limit": 0,
        "currency": "USD",
    }


def test_a_new_seller_has_a_zero_balance(api: ApiClient, seller: User):
    response = api.get("/account/balance", seller)
    assert response.status_code == 200, response.text
    assert response.json() == {"balance": 0, "held": 0, "available": 0, "credit_limit": 0, "currency": "USD"}


def test_a_new_buyers_ledger_holds_the_signup_credit(api: ApiClient, buyer: User):
    response = api.get("/transactions", buyer)
    assert response.status_code == 200, response.text
    [entry] = response.json()
    assert entry["type"] == "credit"
    assert entry["amount"] == 1000.0 and entry["balance_after"] == 1000.0
    assert entry.get("call_id") is None
    assert uuid.UUID(entry["id"]) and entry["created_at"].endswith("Z")


def test_a_new_sellers_ledger_is_empty(api: ApiClient, seller: User):
    response = api.get("/transactions", seller)
    assert response.status_code == 200, response.text
    assert response.json() == []
    assert "link" not in response.headers


# --- API keys ------------------------------------------------------------------------------------


def create_key(api: ApiClient, user: User, name: str = "ci") -> dict[str, Any]:
    response = api.post("/api-keys", {"name": name}, user)
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


def test_creating_an_api_key_returns_its_secret_once_and_the_key_authenticates(api: ApiClient, buyer: User):
    key = create_key(api, buyer)
    assert {"id", "api_key", "created_at"} <= set(key)
    assert uuid.UUID(key["id"])
    profile = api.get("/profile", headers={"X-API-Key": key["api_key"]})
    assert profile.status_code == 200, profile.text
    assert profile.json()["id"] == buyer.id


def test_listing_api_keys_never_shows_a_secret(api: ApiClient, buyer: User):
    key = create_key(api, buyer, "listed")
    response = api.get("/api-keys", buyer)
    assert response.status_code == 200, response.text
    listed = {k["id"]: k for k in response.json()}
    assert listed[key["id"]]["name"] == "listed"
    assert all(set(k) <= {"id", "name", "created_at"} for k in listed.values())
    assert key["api_key"] not in response.text


def test_a_deleted_api_key_is_refused(api: ApiClient, buyer: User):
    key = create_key(api, buyer)
    response = api.delete(f"/api-keys/{key['id']}", buyer)
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_unauthorized(api.get("/profile", headers={"X-API-Key": key["api_key"]}))
    assert key["id"] not in api.get("/api-keys", buyer).text


def test_deleting_someone_elses_api_key_is_not_found_and_leaves_it_working(api: ApiClient, buyer: User, seller: User):
    key = create_key(api, buyer)
    assert_error(api.delete(f"/api-keys/{key['id']}", seller), 404, "NOT_FOUND")
    assert api.get("/profile", headers={"X-API-Key": key["api_key"]}).status_code == 200


def test_deleting_an_unknown_api_key_is_not_found(api: ApiClient, buyer: User):
    assert_error(api.delete(f"/api-keys/{uuid.uuid4()}", buyer), 404, "NOT_FOUND")


def test_deleting_an_api_key_with_a_malformed_id_is_invalid_uuid(api: ApiClient, buyer: User):
    assert_error(api.delete("/api-keys/not-a-uuid", buyer), 400, "INVALID_UUID")


@pytest.mark.parametrize("name", MARKUP)
def test_markup_in_an_api_key_name_is_refused_and_never_reflected(api: ApiClient, buyer: User, name: str):
    response = api.post("/api-keys", {"name": name}, buyer)
    assert_error(response, 400, "VALIDATION_ERROR")
    assert name not in response.text and "<" not in response.text


@pytest.mark.business_hours  # creates an outbound call
def test_an_api_key_carries_its_owners_role(api: ApiClient, seller: User):
    key = create_key(api, seller)
    response = api.post(
        "/calls", {"from_number": "+14155551234", "to_number": "+18005551234"}, headers={"X-API-Key": key["api_key"]}
    )
    assert_error(response, 403, "FORBIDDEN")


# --- admin: users --------------------------------------------------------------------------------


def test_admin_lists_users_newest_first_with_a_link_to_the_next_page(api: ApiClient, admin: User):
    older = api.sign_up("seller")
    newer = api.sign_up("buyer")
    first = api.get("/admin/users?limit=1", admin)
    assert first.status_code == 200, first.text
    assert [u["id"] for u in first.json()] == [newer.id]
    following = next_path(first)
    assert following is not None and "limit=1" in following
    second = api.get(following, admin)
    assert second.status_code == 200, second.text
    assert [u["id"] for u in second.json()] == [older.id]
    assert "hash" not in second.text and "password" not in second.text


def test_a_tampered_cursor_is_a_validation_error(api: ApiClient, admin: User):
    api.sign_up("seller")
    api.sign_up("seller")
    following = next_path(api.get("/admin/users?limit=1", admin))
    assert following is not None
    cursor = following.split("cursor=", 1)[1].split("&", 1)[0]
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    for bad in (flipped, "x" + cursor, "not-a-cursor", "A" * 3000):
        assert_error(api.get(f"/admin/users?limit=1&cursor={bad}", admin), 400, "VALIDATION_ERROR")


@pytest.mark.business_hours  # creates an outbound call
def test_a_cursor_from_another_list_is_a_validation_error(api: ApiClient, admin: User, buyer: User):
    for _ in range(2):
        api.post("/calls", {"from_number": "+14155551234", "to_number": "+18005551234"}, buyer)
    calls_next = next_path(api.get("/calls?limit=1", buyer))
    users_next = next_path(api.get("/admin/users?limit=1", admin))
    assert calls_next is not None and users_next is not None
    calls_cursor = calls_next.split("cursor=", 1)[1]
    users_cursor = users_next.split("cursor=", 1)[1]
    assert_error(api.get(f"/admin/users?limit=1&cursor={calls_cursor}", admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"/transactions?limit=1&cursor={users_cursor}", buyer), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"/calls?limit=1&cursor={calls_cursor}", admin), 400, "VALIDATION_ERROR")
    other = api.sign_up("buyer")
    assert_error(api.get(f"/calls?limit=1&cursor={calls_cursor}", other), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
@pytest.mark.parametrize("path", ["/admin/users", "/transactions", "/calls"])
def test_a_limit_outside_1_to_100_is_a_validation_error(api: ApiClient, admin: User, path: str, limit: str):
    error = assert_error(api.get(f"{path}?limit={limit}", admin), 400, "VALIDATION_ERROR")
    assert "limit" in error["message"]


def test_an_admin_creates_another_admin_who_can_use_the_admin_routes(api: ApiClient, admin: User):
    body = signup_body("admin", company_name="Ops")
    response = api.post("/admin/users", body, admin)
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "admin" and response.json()["email"] == body["email"]
    assert response.json()["balance"] == 0
    token = api.login(body["email"])["access_token"]
    assert api.get("/admin/users?limit=1", headers=bearer(token)).status_code == 200


def test_an_admin_creating_a_user_with_a_taken_email_is_email_taken(api: ApiClient, admin: User, buyer: User):
    assert_error(api.post("/admin/users", signup_body("seller", email=buyer.email), admin), 409, "EMAIL_TAKEN")


# --- admin: credit -------------------------------------------------------------------------------


def test_an_admin_credit_raises_the_balance_and_adds_a_credit_ledger_entry(api: ApiClient, admin: User, buyer: User):
    response = api.post(f"/admin/accounts/{buyer.id}/credit", {"amount": 25.5, "reason": "goodwill"}, admin)
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["id"] == buyer.id and account["balance"] == 1025.5
    assert api.get("/account/balance", buyer).json() == {
        "balance": 1025.5,
        "held": 0,
        "available": 1025.5,
        "credit_limit": 0,
        "currency": "USD",
    }
    newest = api.get("/transactions", buyer).json()[0]
    assert newest["type"] == "credit"
    assert newest["amount"] == 25.5 and newest["balance_after"] == 1025.5
    assert newest["reason"] == "goodwill"


def test_an_admin_can_credit_a_seller(api: ApiClient, admin: User, seller: User):
    response = api.post(f"/admin/accounts/{seller.id}/credit", {"amount": 10.01, "reason": "bonus"}, admin)
    assert response.status_code == 200, response.text
    assert response.json()["balance"] == 10.01
    [entry] = api.get("/transactions", seller).json()
    assert entry["type"] == "credit" and entry["balance_after"] == 10.01


def test_crediting_an_unknown_account_is_account_not_found(api: ApiClient, admin: User):
    response = api.post(f"/admin/accounts/{uuid.uuid4()}/credit", {"amount": 5, "reason": "x"}, admin)
    assert_error(response, 404, "ACCOUNT_NOT_FOUND")


def test_crediting_a_malformed_account_id_is_invalid_uuid(api: ApiClient, admin: User):
    assert_error(api.post("/admin/accounts/nope/credit", {"amount": 5, "reason": "x"}, admin), 400, "INVALID_UUID")


@pytest.mark.parametrize("amount", [1.005, "1.005", -5, 0, "NaN", 1_000_000.01], ids=str)
def test_a_credit_amount_that_is_not_positive_whole_cents_is_refused(
    api: ApiClient, admin: User, buyer: User, amount: Any
):
    response = api.post(f"/admin/accounts/{buyer.id}/credit", {"amount": amount, "reason": "x"}, admin)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "amount" in error["message"]
    assert api.get("/account/balance", buyer).json()["balance"] == 1000.0


@pytest.mark.parametrize("body", [{"amount": 5}, {"amount": 5, "reason": ""}, {"amount": 5, "reason": MARKUP[0]}])
def test_a_credit_needs_a_plain_text_reason(api: ApiClient, admin: User, buyer: User, body: dict[str, Any]):
    response = api.post(f"/admin/accounts/{buyer.id}/credit", body, admin)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "reason" in error["message"]
    assert "<" not in response.text
