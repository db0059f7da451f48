"""Create the first admin account of a deployed stage. The deploy creates none (an admin password must
never sit in a template or a function's environment); `make dev` makes its own local one.

    python scripts/create_admin.py --env staging --email ops@example.com

It asks for the password (or reads DCE_ADMIN_PASSWORD, for automation) and writes the account straight
into the stage's tables with the operator's AWS credentials, through the same AccountService as sign-up,
so the password is hashed with argon2 exactly as the API would. Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
# jsii (imported with infra.settings) prints a Node end-of-life banner on every run otherwise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

PASSWORD_ENV_VAR = "DCE_ADMIN_PASSWORD"  # noqa: S105 (the variable's name, not a password)


def read_password() -> str:
    if password := os.environ.get(PASSWORD_ENV_VAR):
        return password
    password = getpass.getpass("Admin password: ")
    if getpass.getpass("Again: ") != password:
        raise SystemExit("The passwords differ: nothing was created")
    return password


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from infra.settings import ENV_NAMES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--env", required=True, choices=ENV_NAMES, help="the deployed environment")
    parser.add_argument("--email", required=True)
    parser.add_argument("--table-prefix", help="tables' prefix when not the environment's own (LocalStack)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from infra.settings import ENVIRONMENTS

    os.environ["DCE_ENV"] = args.env
    os.environ["DCE_TABLE_PREFIX"] = args.table_prefix or ENVIRONMENTS[args.env].table_prefix
    password = read_password()

    from dce.bootstrap import services
    from dce.domain.errors import DomainError
    from dce.services.admin_bootstrap import ensure_admin

    try:
        created = ensure_admin(services().accounts, args.email, password)
    except DomainError as error:  # an invalid email or password: the API's own message
        print(error.message, file=sys.stderr)
        return 2
    tables = os.environ["DCE_TABLE_PREFIX"]
    print(f"{'Created' if created else 'Already there, unchanged:'} admin {args.email} ({tables}-* tables)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
