"""Running the app the way operators do: through the CDK CLI (`npx aws-cdk@2`), with the AWS environment the
CLI would see on their machine, and the second opinion (checkov) on what it writes.

The CLI always hands the app a region (`CDK_DEFAULT_REGION`: the configured one, else us-east-1), and an
account when it finds credentials; ARNs then resolve to literals (`arn:aws-cn:...:cn-north-1:...`) instead of
the `<AWS::Partition>`/`<AWS::Region>` tokens of an in-process synth without an environment. Anything keyed
on how a token renders (a cdk-nag acknowledgment, say) is only proven by a synth through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.paths import REPO_ROOT

CDK_CLI = ("npx", "--yes", "aws-cdk@2")  # what README and the Makefile run
# checkov lives in its own virtualenv (`make checkov`): it pins boto3 and others far below the project's pins.
CHECKOV = Path(os.environ.get("DCE_CHECKOV", REPO_ROOT / ".venv-checkov" / "bin" / "checkov"))
TIMEOUT_SECONDS = 600  # the first `npx` of a machine downloads the CLI


@dataclass(frozen=True)
class CliEnvironment:
    """What the operator's shell holds: a region (None = nothing configured, the CLI's default) and an account."""

    region: str | None
    account: str | None

    @property
    def partition(self) -> str:
        region = self.region or "us-east-1"
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def effective_region(self) -> str:
        return self.region or "us-east-1"

    def describe(self) -> str:
        return f"{self.region or 'no region'}/{self.account or 'no account'}"


def cli_environ(environment: CliEnvironment) -> dict[str, str]:
    """This process's environment minus anything AWS or CDK, plus exactly `environment`: no credentials, no
    config files, no instance metadata (offline, as in CI), no notices or telemetry."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        {
            "AWS_CONFIG_FILE": str(REPO_ROOT / ".no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(REPO_ROOT / ".no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    if "AWS_CA_BUNDLE" in os.environ:  # this machine's registry proxy certificate, for npx
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    if environment.region:
        env["AWS_REGION"] = environment.region
        env["AWS_DEFAULT_REGION"] = environment.region
    if environment.account:
        env["CDK_DEFAULT_ACCOUNT"] = environment.account
    return env


def run_cli(
    args: list[str], environment: CliEnvironment, *, timeout: float = TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own fixed command)
        [*CDK_CLI, *args, "--no-notices"],
        cwd=REPO_ROOT,
        env=cli_environ(environment),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def cli_synth(
    env: str, environment: CliEnvironment, outdir: Path, *, layer: str | None = "source"
) -> subprocess.CompletedProcess[str]:
    """`cdk synth -c env=<env>` into `outdir`; `layer=None` builds the deployable layer as `make synth` does."""
    args = ["synth", "-c", f"env={env}", "--quiet", "--output", str(outdir)]
    if layer:
        args += ["-c", f"layer={layer}"]
    return run_cli(args, environment)


def nag_violations(outdir: Path) -> list[str]:
    """cdk-nag's unacknowledged findings as the CLI's synth recorded them (none: no report)."""
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    return [
        f"{violation['ruleName']} {construct['constructPath']}"
        for plugin in json.loads(report.read_text())["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


@dataclass(frozen=True)
class CheckovResult:
    passed: int
    failed: list[str]
    skipped: list[dict[str, Any]]
    parsing_errors: int


def run_checkov(template: Path) -> CheckovResult:
    if not CHECKOV.is_file():
        raise FileNotFoundError(f"checkov is not installed at {CHECKOV}: run `make checkov` (make test does)")
    result = subprocess.run(  # noqa: S603 (our own fixed command)
        [str(CHECKOV), "--file", str(template), "--framework", "cloudformation", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    if not result.stdout.strip():
        raise RuntimeError(f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if isinstance(report, list):  # one entry per framework
        (report,) = report
    results = report["results"]
    return CheckovResult(
        passed=report["summary"]["passed"],
        failed=[
            f"{check['check_id']} {check['resource']}: {check['check_name']}" for check in results["failed_checks"]
        ],
        skipped=[
            {
                "id": check["check_id"],
                "resource": check["resource"],
                "comment": check.get("check_result", {}).get("suppress_comment"),
            }
            for check in results.get("skipped_checks", [])
        ],
        parsing_errors=report["summary"]["parsing_errors"],
    )
