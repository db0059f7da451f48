"""`cdk synth` through the CDK CLI, as operators run it: every environment synthesizes with no cdk-nag error,
no cfn-lint finding and no checkov finding, whatever AWS environment the CLI hands the app — its default
(us-east-1, no account: exactly `make synth` on a fresh machine, with the deployable layer), a region and a
12-digit account in three commercial regions, and the China and GovCloud partitions.

Each case is one test (one CLI run, ~15 s), so pytest-xdist spreads them and none runs twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.cdk_cli import CliEnvironment, cli_synth, nag_violations, run_checkov, run_cli
from tests.infra.test_cfn_lint import IGNORED_RULES

pytestmark = pytest.mark.infra

ACCOUNT = "123456789012"
# (environment, what the operator's shell holds, layer): every environment at least twice, every partition.
CASES = [
    pytest.param("dev", CliEnvironment(None, None), None, id="make-synth-dev-cli-defaults-full-layer"),
    pytest.param("prod", CliEnvironment("us-east-1", ACCOUNT), "source", id="prod-us-east-1"),
    pytest.param("staging", CliEnvironment("eu-west-1", ACCOUNT), "source", id="staging-eu-west-1"),
    pytest.param("prod", CliEnvironment("ap-southeast-2", ACCOUNT), "source", id="prod-ap-southeast-2"),
    pytest.param("dev", CliEnvironment("cn-north-1", ACCOUNT), "source", id="dev-aws-cn"),
    pytest.param("staging", CliEnvironment("us-gov-west-1", ACCOUNT), "source", id="staging-aws-us-gov"),
    pytest.param("prod", CliEnvironment("cn-northwest-1", ACCOUNT), "source", id="prod-aws-cn"),
]


@pytest.mark.parametrize(("env", "environment", "layer"), CASES)
def test_cdk_cli_synth_passes_every_check(
    env: str, environment: CliEnvironment, layer: str | None, tmp_path: Path
) -> None:
    outdir = tmp_path / "cdk.out"
    result = cli_synth(env, environment, outdir, layer=layer)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"cdk synth ({environment.describe()}) failed:\n{output[-4000:]}"
    assert "ERROR" not in output and "Synthesis finished with errors" not in output, output[-4000:]
    assert nag_violations(outdir) == []

    template_path = outdir / f"dce-{env}.template.json"
    template = template_path.read_text()
    # The CLI's environment reached the app: ARNs are literal in this partition and region.
    arn_prefix = f"arn:{environment.partition}:execute-api:{environment.effective_region}:"
    assert arn_prefix in template, f"no literal {arn_prefix} ARN: the app did not get the CLI's environment"
    if environment.account:
        assert f"{arn_prefix}{environment.account}:" in template

    findings = lint(
        template,
        config=ManualArgs(regions=[environment.effective_region], ignore_checks=list(IGNORED_RULES)),
    )
    assert [str(finding) for finding in findings] == []

    checkov = run_checkov(template_path)
    assert checkov.parsing_errors == 0
    assert checkov.failed == []
    assert checkov.passed > 200, "checkov checked next to nothing: did it read the template?"
    assert all(skip["comment"] for skip in checkov.skipped), "every acknowledged checkov finding says why"


def test_cdk_diff_against_an_empty_environment_works_offline(tmp_path: Path) -> None:
    """What `make diff-offline ENV=prod` does: everything the stack would create, with no AWS account at hand."""
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({}))
    result = run_cli(
        ["diff", "-c", "env=prod", "-c", "layer=source", "--template", str(empty), "--output", str(tmp_path / "out")],
        CliEnvironment(None, None),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "[+] AWS::DynamoDB::Table" in output
    assert "[+] AWS::KMS::Key" in output
    assert "Number of stacks with differences: 1" in output
