"""The rules of the codebase's shape: a pure domain, one place for errors, routers matching ROUTES."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import dce.domain
from dce.api.errors import STATUS_BY_CODE
from dce.api.routes import AREAS, ROUTES
from dce.domain import errors

DOMAIN = Path(dce.domain.__file__).parent
ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = ("boto3", "botocore", "aws_lambda_powertools", "moto", "httpx", "jwt", "dce.adapters", "dce.api")


def test_the_domain_imports_no_aws_http_or_adapter_code():
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN_IN_DOMAIN), f"{path.name} imports {name}"


def test_every_domain_error_code_has_an_http_status():
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.DomainError):
            assert cls.code in STATUS_BY_CODE, cls.__name__


def test_the_powertools_routers_serve_exactly_the_route_table():
    from local.lambda_runtime import load_module

    served = set()
    for area in {r.area for r in ROUTES}:
        app = load_module(area).app
        for route in app._static_routes + app._dynamic_routes:  # Powertools' registered routes
            served.add((route.method, re.sub(r"<(\w+)>", r"{\1}", route.path), area))
    assert served == {(r.method, r.path, r.area) for r in ROUTES}


def test_every_area_with_routes_has_a_handler_and_an_iam_entry():
    areas = {a.name for a in AREAS}
    for route in ROUTES:
        assert route.area in areas
        assert (ROOT / "functions" / route.area / "handler.py").exists()
