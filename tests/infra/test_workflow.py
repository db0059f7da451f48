"""The GitHub workflow: the same `make test` as .ci/run, the audit, and a manual OIDC deploy per environment."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from infra.paths import REPO_ROOT
from infra.settings import ENV_NAMES

pytestmark = pytest.mark.infra

WORKFLOW: dict[Any, Any] = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = WORKFLOW["jobs"][job]["steps"]
    return steps


def test_ci_runs_what_ci_run_runs_and_the_audit() -> None:
    assert any(step.get("run") == ".ci/run" for step in _steps("test"))
    assert any(step.get("run") == "make audit" for step in _steps("supply-chain"))


def test_every_action_is_pinned_to_an_exact_version() -> None:
    for job in WORKFLOW["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", step["uses"]), step["uses"]


def test_deploy_is_manual_per_environment_with_oidc() -> None:
    dispatch = WORKFLOW[True]["workflow_dispatch"]["inputs"]["environment"]  # YAML 1.1 reads `on` as True
    assert tuple(dispatch["options"]) == ENV_NAMES
    deploy = WORKFLOW["jobs"]["deploy"]
    assert deploy["if"] == "github.event_name == 'workflow_dispatch'"
    assert deploy["environment"] == "${{ inputs.environment }}"  # GitHub environments: approval on prod
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["needs"] == ["test"]
    credentials = next(s for s in _steps("deploy") if "configure-aws-credentials" in s.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert "aws-access-key-id" not in credentials["with"]
    runs = "\n".join(step.get("run", "") for step in _steps("deploy"))
    assert "npx --yes aws-cdk@2 deploy" in runs and "--require-approval never" in runs
    assert "make e2e BASE_URL=" in runs
