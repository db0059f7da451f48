"""Synthesize each environment once per session (a synth takes seconds) with the cheap source-only layer.

The jsii runtime's Node end-of-life banner is silenced in `tests/infra/__init__.py`, which Python imports
before this module and every test module here, hence before anything imports aws_cdk.
"""

from __future__ import annotations

import json
from collections.abc import Callable

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
            outdir = tmp_path_factory.mktemp(f"cdk.out-{env}")
            app = App(context={**CDK_CONTEXT, "env": env, "layer": "source"}, outdir=str(outdir))
            template = Template.from_stack(stack_from_context(app))
            synthesized[env] = Synthesized(env, template, dict(template.to_json()))
        return synthesized[env]

    return get


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
