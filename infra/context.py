"""From `cdk synth -c env=... [-c layer=source]` to a stack: shared by infra/app.py and the tests."""

from __future__ import annotations

import os

from aws_cdk import App, Environment

from infra.layer import layer_code, layer_mode
from infra.nag import apply_checks
from infra.settings import settings_for
from infra.stacks.dce_stack import DceStack


def stack_from_context(app: App) -> DceStack:
    settings = settings_for(app.node.try_get_context("env"))
    mode = layer_mode(app.node.try_get_context("layer"), os.environ)
    # Account and region come from the CLI's credentials when there are any; otherwise the
    # template stays environment-agnostic (synth works offline).
    environment = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    stack = DceStack(app, settings.stack_name, settings=settings, layer_code=layer_code(mode), env=environment)
    # cdk-nag's AwsSolutions rules: a synth (CLI or tests) with an unacknowledged finding fails.
    apply_checks(app)
    return stack
