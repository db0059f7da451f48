"""The entry point `cdk` runs: cdk.json's command and infra/app.py as a script."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra.paths import REPO_ROOT

pytestmark = pytest.mark.infra

APP_COMMAND = json.loads((REPO_ROOT / "cdk.json").read_text())["app"]


def _run_app(context: dict[str, str], outdir: Path) -> subprocess.CompletedProcess[str]:
    """Run the app the way the CDK CLI does: context and output directory through the environment."""
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(  # noqa: S603 (our own command from cdk.json)
        APP_COMMAND.split(), cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False, timeout=120
    )


def test_cdk_json_runs_the_app_with_the_project_virtualenv() -> None:
    interpreter, script = APP_COMMAND.split()
    assert interpreter == ".venv/bin/python"
    assert (REPO_ROOT / script).is_file()


def test_app_script_synthesizes_from_the_repository_root(tmp_path: Path) -> None:
    # As a script, infra/ would come first on sys.path and infra/constructs would shadow the
    # `constructs` library; this proves app.py prevents that.
    result = _run_app({"env": "dev", "layer": "source"}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "dce-dev.template.json").read_text())
    assert any(r["Type"] == "AWS::ApiGateway::RestApi" for r in template["Resources"].values())


def test_app_script_rejects_an_unknown_environment(tmp_path: Path) -> None:
    result = _run_app({"env": "qa"}, tmp_path)
    assert result.returncode != 0
    assert "Unknown environment 'qa'" in result.stderr
    assert "Traceback" not in result.stderr
