"""The API reference page's files (local/api_docs.py): a fixed allow-list, looked up by exact path, from the
installed Swagger UI package; ETags and 304s. Over HTTP: tests/e2e/test_api_docs.py."""

from __future__ import annotations

import re

import pytest

from local import api_docs
from local.api_docs import ASSET_NAMES, PATH


def test_every_allowed_file_is_served_and_nothing_else_is_listed():
    for name in ASSET_NAMES:
        found = api_docs.find(f"{PATH}/{name}")
        assert found is not None and found.body, name
    assert set(re.findall(PATH + r"/([\w.-]+)", api_docs.PAGE)) == ASSET_NAMES


def test_the_installed_swagger_ui_renders_openapi_3_1():
    """Swagger UI reads OpenAPI 3.1 documents (ours) from version 5 on; 4.x refuses them."""
    bundle = api_docs.find(f"{PATH}/swagger-ui-bundle.js")
    assert bundle is not None and b"SwaggerUIBundle" in bundle.body
    assert b"isOAS31" in bundle.body  # absent from 4.15.5 (swagger-ui-bundle 1.1.0)


@pytest.mark.parametrize(
    "path",
    [
        f"{PATH}/../../pyproject.toml",
        f"{PATH}/..%2fpyproject.toml",
        f"{PATH}/swagger-ui.css/../../pyproject.toml",
        f"{PATH}/./init.js",
        f"{PATH}//init.js",
        f"{PATH}/index.html",
        f"{PATH}/swagger-ui-bundle.js.map",
        f"{PATH}/Init.js",
        f"{PATH}x",
        "/api/v1/openapi.json",
        "/pyproject.toml",
    ],
)
def test_any_other_path_is_not_the_pages(path: str):
    assert api_docs.find(path) is None and api_docs.response(path) is None


def test_etags_answer_a_revalidation_with_304():
    page = api_docs.find(PATH)
    assert page is not None
    status, headers, body = api_docs.response(PATH) or (0, {}, b"")
    assert status == 200 and body == page.body and headers["Content-Type"] == "text/html; charset=utf-8"
    for if_none_match in (page.etag, f"W/{page.etag}", f'"other", {page.etag}', "*"):
        assert api_docs.response(PATH, if_none_match) == (
            304,
            {k: v for k, v in headers.items() if k != "Content-Type"},
            b"",
        )
    assert (api_docs.response(PATH, '"other"') or (0,))[0] == 200


def test_the_slash_form_redirects_to_the_page():
    status, headers, _ = api_docs.response(PATH + "/") or (0, {}, b"")
    assert status == 308 and headers["Location"] == PATH
