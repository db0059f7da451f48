"""CDK entry point (cdk.json: `.venv/bin/python infra/app.py`), run from the repository root."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jsii prints a multi-line banner on every synth while Node 20 is past its end of life: keep output readable.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[1]
# Running a script puts its own directory first on sys.path, where infra/constructs would shadow the
# `constructs` library; import everything from the repository root instead, and `dce` from its layer.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "infra"]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "layers" / "shared" / "python")]

from aws_cdk import App  # noqa: E402 (needs the sys.path above)

from infra.context import stack_from_context  # noqa: E402


def main() -> None:
    app = App()
    try:
        stack_from_context(app)
    except ValueError as exc:  # unknown -c env / -c layer: one clear line, not a traceback
        sys.exit(f"error: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
