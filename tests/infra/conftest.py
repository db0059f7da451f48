"""Synthesize each environment once per session (a synth takes seconds) with the cheap source-only layer,
the way `cdk synth` does: cdk-nag's AwsSolutions checks run (tests/infra/test_nag.py reads their verdict) and
the template is the one written to the cloud assembly (which tests/infra/test_cfn_lint.py lints).

The jsii runtime's Node end-of-life banner is silenced in `tests/infra/__init__.py`, which Python imports
before this module and every test module here, hence before anything imports aws_cdk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.context import stack_from_context
from infra.paths import REPO_ROOT
from infra.settings import ENV_NAMES
from tests.infra.cfn import Synthesized

# The CLI hands cdk.json's feature flags to the app; give the tests the same ones so they check what
# `cdk synth` produces.
CDK_CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds real artifacts (pip downloads); seconds, not milliseconds")


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, object]:
    return dict(CDK_CONTEXT)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synthesized]:
    synthesized: dict[str, Synthesized] = {}

    def get(env: str) -> Synthesized:
        if env not in synthesized:
            synthesized[env] = synthesize(env, tmp_path_factory.mktemp(f"cdk.out-{env}"))
        return synthesized[env]

    return get


def synthesize(env: str, outdir: Path) -> Synthesized:
    """One synth of `env` into `outdir`. A cdk-nag finding fails the synth after the template is written:
    the failure is kept for test_nag, and every other test still gets the template."""
    app = App(context={**CDK_CONTEXT, "env": env, "layer": "source"}, outdir=str(outdir))
    stack = stack_from_context(app)
    validation_failure: str | None = None
    try:
        app.synth()
    except RuntimeError as exc:
        if "ValidationFailed" not in str(exc):
            raise
        validation_failure = str(exc)
    template_path = outdir / stack.template_file
    data = json.loads(template_path.read_text())
    return Synthesized(env, Template.from_json(data), data, template_path, validation_failure)


@pytest.fixture(scope="session")
def dev(synth: Callable[[str], Synthesized]) -> Synthesized:
    return synth("dev")


@pytest.fixture(scope="session")
def prod(synth: Callable[[str], Synthesized]) -> Synthesized:
    return synth("prod")


@pytest.fixture(scope="session", params=ENV_NAMES)
def each_env(request: pytest.FixtureRequest, synth: Callable[[str], Synthesized]) -> Synthesized:
    env: str = request.param
    return synth(env)
