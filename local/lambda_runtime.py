"""Loads Lambda handlers by file path and gives them a Lambda-like context, as the Lambda runtime does."""

from __future__ import annotations

import importlib.util
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from dce.api.routes import AREAS

# Powertools locally: metrics (EMF) would flood stdout with a JSON document per request, so they are off
# unless the environment says otherwise; the namespace is the one the infrastructure sets per environment.
# Tracing is off by itself outside Lambda (dce.observability).
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "dce-local")

AREAS_BY_NAME = {area.name: area for area in AREAS}
ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
Handler = Callable[[dict[str, Any], Any], Any]


def load_module(folder: str, module: str = "handler") -> ModuleType:
    """Import functions/<folder>/<module>.py under a unique name (every API handler is `handler.py`)."""
    path = FUNCTIONS / folder / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"dce_function_{folder}_{module}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def load_handler(folder: str, module: str = "handler") -> Handler:
    handler: Handler = load_module(folder, module).lambda_handler
    return handler


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that our code and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_ms: int = 10_000
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self._started) * 1000))


_LOADED: dict[str, Handler] = {}


def invoke(area: str, event: dict[str, Any]) -> tuple[str, Any]:
    """Run one event through the area's function in this process, like one Lambda instance.

    Returns ("ok", result) or ("error", message): exceptions do not cross the process boundary.
    Handlers load on first use (a cold start) and stay loaded.
    """
    if area not in _LOADED:
        spec = AREAS_BY_NAME[area]
        _LOADED[area] = load_handler(spec.code_folder, spec.module)
    try:
        return "ok", _LOADED[area](event, LambdaContext(area))
    except Exception as exc:  # the caller maps this the way API Gateway (or Step Functions) would
        return "error", str(exc)
