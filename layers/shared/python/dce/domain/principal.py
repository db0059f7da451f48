"""Who is calling: the authenticated account and its role."""

from __future__ import annotations

from dataclasses import dataclass

from dce.domain.accounts import Role


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
