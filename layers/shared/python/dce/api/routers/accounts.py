"""HTTP shape of accounts, auth, API keys and admin. Rules live in dce.services and dce.domain."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from dce.api.app import caller
from dce.api.ids import parse_uuid
from dce.api.params import Cursor, Limit, UuidPath, client_ip, page_response, page_start
from dce.api.schemas.accounts import (
    AccountChangeIn,
    AccountOut,
    AdminUserIn,
    ApiKeyIn,
    ApiKeyOut,
    BalanceOut,
    CreditIn,
    HealthOut,
    LoginIn,
    NewApiKeyOut,
    RefreshIn,
    SignUpIn,
    TokensOut,
    TransactionOut,
)
from dce.api.schemas.common import error_docs
from dce.bootstrap import services
from dce.domain.accounts import AccountStatus, Role
from dce.domain.pages import DEFAULT_LIMIT
from dce.services.accounts import NewAccount

router = Router()
JSON = content_types.APPLICATION_JSON


def _new_account(body: SignUpIn) -> NewAccount:
    card = body.payment_info
    return NewAccount(
        email=body.email,
        company_name=body.company_name,
        role=Role(body.type),
        password=body.password,
        card_number=card.card_number if card else None,
        cvv=card.cvv if card else None,
        expiry=card.expiry if card else None,
    )


@router.get("/health", tags=["health"])
def health() -> HealthOut:
    return HealthOut()


@router.post("/accounts", tags=["accounts"], responses=error_docs(400, 403, 409, success=201))
def sign_up(body: SignUpIn) -> Response[AccountOut]:
    account, api_key = services().accounts.sign_up(_new_account(body), client_ip(router))
    return Response(201, JSON, AccountOut.of(account, api_key))


@router.post("/auth/login", tags=["auth"], responses=error_docs(400, 401, 403))
def login(body: LoginIn) -> TokensOut:
    pair = services().auth.login(body.email, body.password, client_ip(router))
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/auth/refresh", tags=["auth"], responses=error_docs(400, 401))
def refresh(body: RefreshIn) -> TokensOut:
    pair = services().auth.refresh(body.refresh_token)
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.get("/profile", tags=["accounts"], responses=error_docs(401))
def profile() -> AccountOut:
    return AccountOut.of(services().accounts.get(caller(router).account_id))


@router.get("/account/balance", tags=["accounts"], responses=error_docs(401))
def balance() -> BalanceOut:
    return BalanceOut.of(services().accounts.get(caller(router).account_id))


@router.get("/transactions", tags=["accounts"], responses=error_docs(400, 401))
def transactions(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[list[TransactionOut]]:
    page = services().accounts.ledger(caller(router).account_id, limit, page_start(router, cursor))
    return page_response(router, limit, page, [TransactionOut.of(e) for e in page.items])


@router.post("/api-keys", tags=["api-keys"], responses=error_docs(400, 401, success=201))
def create_api_key(body: ApiKeyIn) -> Response[NewApiKeyOut]:
    key, secret = services().api_keys.issue(caller(router), body.name)
    return Response(201, JSON, NewApiKeyOut(id=key.id, name=key.name, created_at=key.created_at, api_key=secret))


@router.get("/api-keys", tags=["api-keys"], responses=error_docs(401))
def list_api_keys() -> list[ApiKeyOut]:
    return [ApiKeyOut.of(k) for k in services().api_keys.active_for(caller(router))]


@router.delete("/api-keys/<id>", tags=["api-keys"], responses=error_docs(400, 401, 404, success=204))
def revoke_api_key(id: UuidPath) -> Response[None]:
    services().api_keys.revoke(caller(router), parse_uuid(id))
    return Response(204, JSON, None)


@router.get("/admin/users", tags=["admin"], responses=error_docs(400, 401, 403))
def list_users(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[list[AccountOut]]:
    page = services().accounts.recent(limit, page_start(router, cursor))
    return page_response(router, limit, page, [AccountOut.of(a) for a in page.items])


@router.post("/admin/users", tags=["admin"], responses=error_docs(400, 401, 403, 409, success=201))
def create_user(body: AdminUserIn) -> Response[AccountOut]:
    account, api_key = services().accounts.create(_new_account(body))
    return Response(201, JSON, AccountOut.of(account, api_key))


@router.patch("/admin/accounts/<id>", tags=["admin"], responses=error_docs(400, 401, 403, 404, 409))
def change_account(id: UuidPath, body: AccountChangeIn) -> AccountOut:
    account_id = parse_uuid(id)
    if body.status is None:
        return AccountOut.of(services().accounts.change(account_id, body.credit_limit, None))
    if body.credit_limit is not None:
        services().accounts.change(account_id, body.credit_limit, None)
    # A suspension revokes the account's sessions and closes its WebSockets (issue 14: dce.services.suspension).
    return AccountOut.of(services().suspension.set_status(account_id, AccountStatus(body.status)))


@router.post("/admin/accounts/<id>/credit", tags=["admin"], responses=error_docs(400, 401, 403, 404))
def credit(id: UuidPath, body: CreditIn) -> AccountOut:
    return AccountOut.of(services().accounts.credit(parse_uuid(id), body.amount, body.reason))
