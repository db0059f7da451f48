"""API keys: issued once, stored hashed, revocable."""

from __future__ import annotations

from dce.domain.accounts import Account, ApiKey, check_plain_text
from dce.domain.errors import ApiKeyNotFound, Unauthorized
from dce.domain.principal import Principal
from dce.ports import ApiKeyRepo, Clock, IdGen
from dce.services.tokens import api_key_id, hash_api_key, new_api_key_secret, same_hash

NAME_MAX = 100


class ApiKeyService:
    def __init__(self, repo: ApiKeyRepo, clock: Clock, ids: IdGen) -> None:
        self._repo, self._clock, self._ids = repo, clock, ids

    def issue(self, account: Account | Principal, name: str | None) -> tuple[ApiKey, str]:
        account_id = account.id if isinstance(account, Account) else account.account_id
        name = None if name is None else check_plain_text(name, "name", NAME_MAX)  # shown back: plain text only
        key_id = self._ids.new_id()
        secret = new_api_key_secret(key_id)
        key = ApiKey(key_id, account_id, account.role, name, hash_api_key(secret), self._clock.now())
        self._repo.put(key)
        return key, secret

    def active_for(self, principal: Principal) -> list[ApiKey]:
        return [k for k in self._repo.list_for(principal.account_id) if not k.revoked]

    def revoke(self, principal: Principal, key_id: str) -> None:
        if not self._repo.revoke(key_id, principal.account_id):
            raise ApiKeyNotFound()

    def authenticate(self, api_key: str) -> Principal:
        key_id = api_key_id(api_key)
        key = self._repo.get(key_id) if key_id else None
        if key is None or key.revoked or not same_hash(key.secret_hash, hash_api_key(api_key)):
            raise Unauthorized("Invalid API key")
        return Principal(key.account_id, key.role)
