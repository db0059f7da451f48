"""`GET /api/v1/openapi.json` on the local gateway: the committed `api/openapi.yaml`, served as JSON."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dce.api.errors import json_text
from dce.api.routes import API_PREFIX

PATH = API_PREFIX + "/openapi.json"
DOCUMENT = Path(__file__).resolve().parent.parent / "api" / "openapi.yaml"


@lru_cache(maxsize=1)
def openapi_json() -> bytes:
    """The document as JSON, read on first request: the gateway's start stays small."""
    import yaml

    return json_text(yaml.safe_load(DOCUMENT.read_text())).encode()
