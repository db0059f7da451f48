"""`dce`: the exchange from a shell.

    dce login --email buyer@example.com                 # asks for the password ($DCE_PASSWORD)
    dce calls create --from +14155551234 --to +18005551234 --direction inbound
    dce calls list --limit 10 --json
    dce events tail --topics call auction
    dce --profile staging balance

Exit status: 0 done, 1 the exchange refused (the error's code and request id are printed), 2 usage.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from dce_client.cli.commands import run
from dce_client.cli.parser import build_parser
from dce_client.errors import DceError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DceError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.status == 401:
            print("(log in again: dce login)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
