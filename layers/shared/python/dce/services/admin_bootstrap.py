"""The first admin account, from DCE_BOOTSTRAP_ADMIN_EMAIL / DCE_BOOTSTRAP_ADMIN_PASSWORD. Idempotent."""

from __future__ import annotations

from dce.domain.accounts import Role
from dce.domain.errors import EmailTaken
from dce.services.accounts import AccountService, NewAccount


def ensure_admin(accounts: AccountService, email: str, password: str) -> bool:
    """Create the admin unless the email is already taken; True when it was created now."""
    try:
        accounts.create(NewAccount(email=email, company_name="DCE Operations", role=Role.ADMIN, password=password))
    except EmailTaken:
        return False
    return True
