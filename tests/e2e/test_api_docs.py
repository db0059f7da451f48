"""The API reference page of the local gateway (`GET /api/v1/docs`): Swagger UI over the committed OpenAPI
document, every file from our own origin, a strict Content-Security-Policy, and nothing served but the
page's own files. (The page in a real browser: `make docs-check`, scripts/docs_screenshot.py.)"""

from __future__ import annotations

import http.client
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from local.api_docs import ASSET_NAMES
from tests.e2e.assertions import assert_error

pytestmark = pytest.mark.local_only  # a feature of the local gateway: a deployed stage has no /docs

TITLE = "Dependable Call Exchange API"
TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "png": "image/png",
}


class References(HTMLParser):
    """Every URL the page loads or links to, and the text of every <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self.inline_handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)
            if name.startswith("on"):
                self.inline_handlers.append(name)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def page(base_url: str) -> tuple[httpx.Response, References]:
    response = httpx.get(f"{base_url}/docs")
    references = References()
    references.feed(response.text)
    return response, references


def raw_get(base_url: str, target: str) -> httpx.Response:
    """GET with this exact request target: no client-side normalisation of `..` or percent-escapes."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request("GET", target)
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


def test_the_docs_page_is_html_with_the_title_and_only_same_origin_references(base_url: str):
    response, references = page(base_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-request-id"]
    assert f"<title>{TITLE}</title>" in response.text
    assert "http://" not in response.text and "https://" not in response.text
    # Paths on this origin only (`/api/v1/...`, never `//other-host/...`).
    assert references.urls and all(url.startswith("/api/v1/") for url in references.urls), references.urls
    assert "/api/v1/docs/swagger-ui-bundle.js" in references.urls and "/api/v1/docs/init.js" in references.urls
    # No inline script or event handler: the policy forbids them, so the page must not need them.
    assert references.scripts and all(not script.strip() for script in references.scripts)
    assert not references.inline_handlers


def test_the_page_is_served_under_a_strict_content_security_policy(base_url: str):
    response, _ = page(base_url)
    directives = (d.partition(" ") for d in response.headers["content-security-policy"].split("; "))
    policy = {name: value for name, _, value in directives}
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"  # Swagger UI's stylesheet draws icons as data: SVGs
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_every_file_the_page_references_is_served_with_its_content_type(base_url: str):
    _, references = page(base_url)
    origin = base_url.removesuffix("/api/v1")
    assets = [url for url in references.urls if url.startswith("/api/v1/docs/")]
    assert {url.rsplit("/", 1)[1] for url in assets} == ASSET_NAMES
    for url in assets:
        response = httpx.get(origin + url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == TYPES[url.rsplit(".", 1)[1]], url
        assert response.content and response.headers["etag"] and response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff" and response.headers["x-request-id"]
    document = httpx.get(origin + "/api/v1/openapi.json")  # what Swagger UI is pointed at
    assert document.status_code == 200 and document.json()["info"]["title"] == TITLE


def test_swagger_ui_is_started_by_our_script_on_our_document_only(base_url: str):
    script = httpx.get(f"{base_url}/docs/init.js").text
    assert 'url: "/api/v1/openapi.json"' in script
    assert "validatorUrl: null" in script and "queryConfigEnabled: false" in script
    assert "http://" not in script and "https://" not in script
    assert "SwaggerUIBundle" in httpx.get(f"{base_url}/docs/swagger-ui-bundle.js").text


def test_a_revalidation_with_the_etag_is_answered_304_without_a_body(base_url: str):
    first = httpx.get(f"{base_url}/docs/swagger-ui.css")
    again = httpx.get(f"{base_url}/docs/swagger-ui.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    changed = httpx.get(f"{base_url}/docs/swagger-ui.css", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == first.content


def test_a_trailing_slash_is_redirected_to_the_page(base_url: str):
    response = httpx.get(f"{base_url}/docs/")
    assert response.status_code == 308 and response.headers["location"] == "/api/v1/docs"


@pytest.mark.parametrize(
    "target",
    [
        "/api/v1/docs/../../pyproject.toml",
        "/api/v1/docs/../openapi.json",
        "/api/v1/docs/%2e%2e/%2e%2e/pyproject.toml",
        "/api/v1/docs/..%2f..%2fpyproject.toml",
        "/api/v1/docs/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/api/v1/docs/%252e%252e%252fpyproject.toml",
        "/api/v1/docs/..%5c..%5cpyproject.toml",
        "/api/v1/docs/swagger-ui.css/../../../pyproject.toml",
        "/api/v1/docs//etc/passwd",
        "/api/v1/docs/%2fetc%2fpasswd",
        "/api/v1/docs/init.js%00",
        "/api/v1/docs/./init.js",
        "/api/v1/docs/index.html",
        "/api/v1/docs/swagger-ui.js",
        "/api/v1/docs/swagger-ui-bundle.js.map",
        "/api/v1/docs/oauth2-redirect.html",
        "/api/v1/docs/SWAGGER-UI.CSS",
        "/api/v1/docs/__init__.py",
        "/api/v1/docsx",
    ],
)
def test_nothing_but_the_pages_own_files_is_served(base_url: str, target: str):
    response = raw_get(base_url, target)
    assert_error(response, 404, "NOT_FOUND")
    assert "[project]" not in response.text and "root:" not in response.text


def test_the_page_is_read_only(base_url: str):
    assert_error(httpx.post(f"{base_url}/docs", json={}), 404, "NOT_FOUND")
    assert_error(httpx.delete(f"{base_url}/docs/init.js"), 404, "NOT_FOUND")
