"""`GET /api/v1/docs` on the local gateway: the API reference, `/api/v1/openapi.json` rendered by Swagger UI.

Swagger UI's files come from a registry package (`openapi-ui-bundles`, the `local` extra), never from a
CDN; the page and the script that starts Swagger UI are ours. Every file is looked up by its exact name
in a fixed allow-list (no path is ever joined from the request, so no traversal), served with its
content type, a Content-Security-Policy that lets the page load and fetch from its own origin only, and
an ETag (`Cache-Control: no-cache`: the browser revalidates and gets a 304 while nothing changed).
Like openapi.json it is a feature of the local gateway: not a Lambda route, not deployed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dce.api.routes import API_PREFIX
from local.openapi import PATH as OPENAPI_PATH

PATH = API_PREFIX + "/docs"
TITLE = "Dependable Call Exchange API"
HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
PNG = "image/png"

# Same origin only. Swagger UI sets styles through the DOM (CSSOM), which `style-src 'self'` allows; its
# stylesheet draws a few icons as `data:` SVG images, which is all `img-src` adds. No inline script.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<link rel="icon" type="image/png" href="{PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{PATH}/swagger-ui.css">
<link rel="stylesheet" href="{PATH}/docs.css">
</head>
<body>
<noscript>This reference needs JavaScript. The OpenAPI document itself is
<a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a>.</noscript>
<div id="swagger-ui"></div>
<script src="{PATH}/swagger-ui-bundle.js"></script>
<script src="{PATH}/init.js"></script>
</body>
</html>
"""

# Started from a file of ours, not inline (the policy allows no inline script). No top bar (it would
# load any URL typed into it), no validator badge (an image from swagger.io), no `?url=` / `?configUrl=`
# from the query string; credentials given to "Authorize" stay in the page, never in storage.
INIT_JS = f"""window.addEventListener("DOMContentLoaded", function () {{
  window.ui = SwaggerUIBundle({{
    url: "{OPENAPI_PATH}",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    queryConfigEnabled: false,
    persistAuthorization: false,
  }});
}});
"""

DOCS_CSS = """html { box-sizing: border-box; overflow-y: scroll; }
*, *::before, *::after { box-sizing: inherit; }
body { margin: 0; background: #fafafa; }
"""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def _vendor() -> Path:
    """Swagger UI's files, as the installed package ships them."""
    from openapi_ui_bundles import swagger_ui

    return Path(swagger_ui.static_path)


# name below PATH/ -> (file of the Swagger UI package, content type); our own files are added in _assets.
VENDOR_FILES: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", JAVASCRIPT),
    "swagger-ui.css": ("swagger-ui.css", CSS),
    "favicon-32x32.png": ("favicon-32x32.png", PNG),
}
OWN_FILES: dict[str, tuple[str, str]] = {
    "init.js": (INIT_JS, JAVASCRIPT),
    "docs.css": (DOCS_CSS, CSS),
}
ASSET_NAMES = frozenset(VENDOR_FILES) | frozenset(OWN_FILES)


@lru_cache(maxsize=1)
def _assets() -> dict[str, Asset]:
    """Every file of the page by its path, read on first request (the gateway's start stays small)."""
    vendor = _vendor()
    assets = {PATH: Asset(PAGE.encode(), HTML)}
    for name, (file_name, content_type) in VENDOR_FILES.items():
        assets[f"{PATH}/{name}"] = Asset((vendor / file_name).read_bytes(), content_type)
    for name, (text, content_type) in OWN_FILES.items():
        assets[f"{PATH}/{name}"] = Asset(text.encode(), content_type)
    return assets


def is_docs_path(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


def find(path: str) -> Asset | None:
    """The page or one of its files, by exact path; None for anything else (the gateway answers 404)."""
    if not is_docs_path(path):
        return None
    return _assets().get(path)


def response(path: str, if_none_match: str = "") -> tuple[int, dict[str, str], bytes] | None:
    """Status, headers and body for `GET path`, or None when it is not the page or one of its files.
    A matching `If-None-Match` is answered 304 without a body; `/docs/` is redirected to `/docs`."""
    if path == PATH + "/":
        return 308, {"Location": PATH, "Cache-Control": "no-cache", **SECURITY_HEADERS}, b""
    asset = find(path)
    if asset is None:
        return None
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache", **SECURITY_HEADERS}
    if _matches(if_none_match, asset.etag):
        return 304, headers, b""
    return 200, {"Content-Type": asset.content_type, **headers}, asset.body


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags
