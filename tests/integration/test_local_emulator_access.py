"""The embedded AWS emulator answers this machine's AWS clients only (local/moto_server.py): no CORS for
web pages (moto's flask-cors echoed any Origin), no cross-site browser requests, no foreign Host, loopback
addresses only."""

from __future__ import annotations

import boto3
import httpx
import pytest

from local.moto_server import KeepAliveMotoServer

LIST_TABLES = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/dynamodb/aws4_request, x"}


def post(endpoint: str, **headers: str) -> httpx.Response:
    return httpx.post(endpoint, content=b"{}", headers={**LIST_TABLES, **SIGNED, **headers}, timeout=10)


def test_boto3_is_answered(moto_server: str):
    client = boto3.client("dynamodb", endpoint_url=moto_server)
    assert "TableNames" in client.list_tables()
    assert post(moto_server).status_code == 200


@pytest.mark.parametrize("method", ["POST", "OPTIONS"])
def test_another_sites_page_gets_no_cors_and_no_answer(moto_server: str, method: str):
    headers = {**LIST_TABLES, **SIGNED, "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    response = httpx.request(method, moto_server, content=b"{}", headers=headers, timeout=10)
    assert response.status_code == 403
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_no_response_carries_cors_headers(moto_server: str):
    response = post(moto_server, Origin=moto_server)  # same origin: answered, still without CORS headers
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},  # e.g. <img src> or a form post
        {"Host": "rebound.evil.example"},  # DNS rebinding: a page's own name resolving to 127.0.0.1
        {"Origin": "null"},
    ],
)
def test_browser_requests_from_elsewhere_are_refused(moto_server: str, headers: dict[str, str]):
    assert post(moto_server, **headers).status_code == 403


def test_it_listens_on_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        KeepAliveMotoServer(ip_address="0.0.0.0", port=0)  # noqa: S104 (the address refused)
