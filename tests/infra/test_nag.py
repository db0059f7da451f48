"""cdk-nag's AwsSolutions rules pass on every environment: no unacknowledged error or warning, and every
acknowledgment is specific and explained next to its resource (infra/nag.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Fn, Stack
from aws_cdk import aws_sqs as sqs

from infra.nag import acknowledge, apply_checks, logical_id, rendered
from tests.infra.cfn import Synthesized

pytestmark = pytest.mark.infra


def _violations(synthesized: Synthesized) -> list[str]:
    assert synthesized.template_path is not None
    report = synthesized.template_path.parent / "validation-report.json"
    if not report.exists():
        return []
    found: list[str] = []
    for plugin in json.loads(report.read_text())["pluginReports"]:
        for violation in plugin["violations"]:
            for construct in violation["violatingConstructs"]:
                found.append(f"{violation['ruleName']} ({violation['severity']}) {construct['constructPath']}")
    return found


def test_no_unacknowledged_aws_solutions_finding(each_env: Synthesized) -> None:
    assert each_env.validation_failure is None, "\n".join(_violations(each_env)) or each_env.validation_failure
    assert _violations(each_env) == []


def test_a_finding_nobody_acknowledged_fails_the_synth(tmp_path: Path) -> None:
    """The gate itself: an unencrypted-in-transit queue without a dead-letter queue must not synthesize."""
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Bad"), "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    apply_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules


def test_an_acknowledgment_removes_exactly_its_finding(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    queue = sqs.Queue(Stack(app, "Acknowledged"), "Queue", enforce_ssl=True)
    acknowledge(queue, "SQS3", "a dead-letter queue of its own: nothing would ever be redriven from it")
    apply_checks(app)
    app.synth()  # no other finding: SQS4 is satisfied by enforce_ssl


def test_an_acknowledgment_needs_a_real_reason() -> None:
    app = App()
    queue = sqs.Queue(Stack(app, "Lazy"), "Queue")
    with pytest.raises(ValueError, match="say why"):
        acknowledge(queue, "SQS3", "not needed")


def test_a_finding_renders_tokens_as_cdk_nag_does_in_every_environment(tmp_path: Path) -> None:
    """An acknowledgment written from `rendered(...)` matches whether the stack has a region or not."""
    for env in (None, Environment(account="123456789012", region="cn-north-1")):
        app = App(outdir=str(tmp_path), context={"@aws-cdk/core:enablePartitionLiterals": True})  # as cdk.json
        stack = Stack(app, "Rendered", env=env)
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        arn = stack.format_arn(service="sqs", resource=queue.queue_name)
        text = rendered(stack, arn)
        if env is None:
            assert text == f"arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:<{logical_id(queue)}.QueueName>"
        else:
            assert text == f"arn:aws-cn:sqs:cn-north-1:123456789012:<{logical_id(queue)}.QueueName>"


def test_a_value_cdk_nag_cannot_render_is_refused() -> None:
    stack = Stack(App(), "Unrenderable")
    with pytest.raises(ValueError, match="cannot render"):
        rendered(stack, Fn.import_value("another-stacks-output"))
