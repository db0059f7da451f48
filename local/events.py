"""API Gateway REST proxy events (payload 1.0) and REQUEST authorizer events, as AWS builds them.

Used by the local gateway and by the tests that call handlers in-process.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from dce.api.routes import Route

STAGE = "local"
ACCOUNT = "123456789012"


def rest_event(
    route: Route,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    query: list[tuple[str, str]],
    request_id: str,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    try:
        text_body: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text_body, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": route.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.resource,
            "httpMethod": route.method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": ACCOUNT,
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("user-agent")},
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


def authorizer_event(event: dict[str, Any]) -> dict[str, Any]:
    method_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:local/{STAGE}/{event['httpMethod']}{event['path']}"
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": event["resource"],
        "path": event["path"],
        "httpMethod": event["httpMethod"],
        "headers": event["headers"],
        "queryStringParameters": event["queryStringParameters"],
        "pathParameters": event["pathParameters"],
        "requestContext": event["requestContext"],
    }
