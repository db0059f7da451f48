"""The local API gateway: an ASGI app doing what API Gateway does for our REST API.

Route table → authorizer → API Gateway REST proxy event + Lambda context → handler in-process → HTTP.
It adds what API Gateway itself answers: 404 unknown route, 405 wrong method, 413 body too large,
401 from the authorizer — all in the contract's error shape. Beside the routes it serves, locally only,
the OpenAPI document (`/api/v1/openapi.json`) and its reference page (`/api/v1/docs`, local/api_docs.py).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import multiprocessing
import os
import re
import signal
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from dce.api.errors import error_body, error_headers, json_text
from dce.api.routes import API_PREFIX, AREAS, ROUTES, Route
from local import api_docs
from local.asgi import ClientGone, Receive, Scope, Send, read_body
from local.events import authorizer_event, rest_event
from local.lambda_runtime import invoke
from local.openapi import PATH as OPENAPI_PATH
from local.openapi import openapi_json
from local.websocket import CONNECTIONS_PREFIX, WebSocketHub

MAX_BODY_BYTES = 64 * 1024
logger = logging.getLogger(__name__)


class Background(Protocol):
    """A service running beside the gateway (the stream poller)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]


def compile_routes(routes: tuple[Route, ...]) -> list[CompiledRoute]:
    compiled = []
    for route in routes:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.resource))
        compiled.append(CompiledRoute(route, re.compile(f"^{regex}$")))
    return compiled


def match_route(routes: Sequence[CompiledRoute], method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route serving `method path` and its path parameters, as API Gateway matches them; HttpError
    404 for an unknown path, 405 (with `Allow`) for a known path with another method. As in API Gateway's
    resource tree a static segment wins over a parameter: `/compliance/dnc/import` is its own resource, not
    `/compliance/dnc/{phone}`, and its 405 lists its own methods only."""
    matched = [(compiled, found) for compiled in routes if (found := compiled.pattern.match(path))]
    if not matched:
        raise HttpError("NOT_FOUND", "Route not found", 404)
    resource = min((compiled.route.resource for compiled, _ in matched), key=lambda r: r.count("{"))
    allowed: list[str] = []
    for compiled, found in matched:
        if compiled.route.resource != resource:
            continue
        if compiled.route.method == method:
            return compiled.route, found.groupdict()
        allowed.append(compiled.route.method)
    raise HttpError("METHOD_NOT_ALLOWED", "Method not allowed", 405, {"Allow": ", ".join(sorted(allowed))})


class HttpError(Exception):
    def __init__(self, code: str, message: str, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.headers = code, message, status, headers or {}


def lambda_pool(workers: int | None = None, nice: int = 0) -> Executor:
    """Worker processes standing in for Lambda instances: each runs one event at a time, as on AWS.

    Processes, not threads: Powertools keeps the current event in class state, which is safe only
    with one request per process — exactly Lambda's model. Spawned, so no moto threads are forked.
    `nice` lowers the workers' CPU priority (the password-hashing pool).
    """
    count = workers or int(os.environ.get("DCE_WORKERS", "4"))
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_worker_start, initargs=(nice,))


def password_pool() -> Executor:
    """The workers of the routes that hash passwords (`Route.hashes_password`: sign-up, log-in, admin users),
    apart from the others and at a lower CPU priority: a flood of them queues here and leaves the other
    routes' workers, and most of the CPU, to everyone else (on AWS: the accounts function's reserved
    concurrency). DCE_PASSWORD_WORKERS, default 2."""
    return lambda_pool(int(os.environ.get("DCE_PASSWORD_WORKERS", "2")), nice=PASSWORD_WORKERS_NICE)


PASSWORD_WORKERS_NICE = 10


def consumer_pool() -> Executor:
    """The workers of the stream consumers (`Gateway.run`): DCE_CONSUMER_WORKERS processes, 2 by default (the
    events and automatic-bid stream pollers; the push queue's batches have `fanout_pool`)."""
    return lambda_pool(int(os.environ.get("DCE_CONSUMER_WORKERS", "2")))


def fanout_pool() -> Executor:
    """The workers of the function that posts to WebSocket connections (`Area.pushes_to_connections`):
    DCE_FANOUT_WORKERS processes, 2 by default, at a lower CPU priority, for the invocations that push to many
    connections (`local.queues.cheap_pushes` sends the others to `express_pool`). A fan-out costs CPU per
    connection (in the function and in this gateway's @connections API): an account with many sockets and many
    events would otherwise take the CPU the routes, the events function and the emulator need, and delay every
    other account's frames behind its own (on AWS each invocation has a CPU of its own)."""
    return lambda_pool(int(os.environ.get("DCE_FANOUT_WORKERS", "2")), nice=FANOUT_WORKERS_NICE)


FANOUT_WORKERS_NICE = 10


def express_pool() -> Executor:
    """The workers of the push function's express invocations (an account's single waiting message, see
    `local.queues.cheap_pushes`): DCE_EXPRESS_WORKERS processes, 2 by default, at the normal priority."""
    return lambda_pool(int(os.environ.get("DCE_EXPRESS_WORKERS", "2")))


def _worker_start(nice: int) -> None:
    """Ctrl-C reaches the whole process group; only the gateway should react (and stop the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        os.nice(nice)


class Gateway:
    """ASGI application routing each request to a handler run in a Lambda-like worker process."""

    def __init__(
        self,
        routes: tuple[Route, ...] = ROUTES,
        pool: Executor | None = None,
        background: Sequence[Background] = (),
        passwords: Executor | None = None,
        consumers: Executor | None = None,
        fanout: Executor | None = None,
        express: Executor | None = None,
    ) -> None:
        self._routes = compile_routes(routes)
        self._pool = pool or lambda_pool()
        # The routes that hash passwords run apart (`passwords`); a caller giving only `pool` gets one pool.
        self._password_pool = passwords or pool or password_pool()
        # So do the stream and queue consumers (events, pushes, automatic bids: `run`), separate functions on
        # AWS: a backlog of pushes never takes the workers the routes need.
        self._consumer_pool = consumers or pool or consumer_pool()
        self._fanout_pool = fanout or pool or fanout_pool()  # the pushes to WebSocket connections: backlogs
        self._express_pool = express or pool or express_pool()  # and single messages
        self._fanout_areas = frozenset(area.name for area in AREAS if area.pushes_to_connections)
        self.websockets = WebSocketHub(self._call)  # /ws/events and the @connections management API
        self._background = tuple(background)  # e.g. the stream poller: started and stopped with the server

    def run(self, area: str, event: dict[str, Any], express: bool = False) -> tuple[str, Any]:
        """Invoke a consumer function in its worker pool from another thread (a stream or queue poller), and wait.
        The push function's invocations go to the fan-out pool, or with `express` (an account's single message,
        `local.queues.QueuePoller`) to the express pool."""
        pool = self._consumer_pool
        if area in self._fanout_areas:
            pool = self._express_pool if express else self._fanout_pool
        return pool.submit(invoke, area, event).result()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        return match_route(self._routes, method, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            await self.websockets.serve(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._http(scope, receive, send)
        except ClientGone:  # the body never came whole: no handler runs on a part of it, nobody to answer
            return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(CONNECTIONS_PREFIX):
            await self.websockets.manage(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        try:
            status, headers, body = await self._handle(scope, receive, request_id)
        except HttpError as error:
            status = error.status
            headers = {**error_headers(error.code, request_id), **error.headers, "Content-Type": "application/json"}
            body = error_body(error.code, error.message, request_id).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for service in self._background:
                    service.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for service in self._background:
                    await asyncio.to_thread(service.stop)  # it may be waiting for a worker: don't block the loop
                self._pool.shutdown(wait=True, cancel_futures=True)
                for other in (self._password_pool, self._consumer_pool, self._fanout_pool, self._express_pool):
                    if other is not self._pool:
                        other.shutdown(wait=True, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope: Scope, receive: Receive, request_id: str) -> tuple[int, dict[str, str], bytes]:
        method, path = scope["method"], scope["path"]
        if not path.startswith(API_PREFIX + "/"):
            raise HttpError("NOT_FOUND", "Route not found", 404)
        if method == "GET" and path == OPENAPI_PATH:  # public, like /health; not a Lambda route
            return 200, {"Content-Type": "application/json", "X-Request-Id": request_id}, openapi_json()
        if method == "GET" and api_docs.is_docs_path(path):  # the same document rendered by Swagger UI
            page = api_docs.response(path, _headers(scope).get("if-none-match", ""))
            if page is not None:  # else: not one of its files, 404 like any unknown path
                status, headers, body = page
                return status, {**headers, "X-Request-Id": request_id}, body
        route, params = self.match(method, path)
        headers = _headers(scope)
        body = await _read_body(receive, headers, route.max_body_bytes)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        event = rest_event(route, scope["path"], params, headers, body, query, request_id, client)
        if not route.public:
            event["requestContext"]["authorizer"] = await self._authorize(authorizer_event(event))
        pool = self._password_pool if route.hashes_password else self._pool
        return _http_response(await self._invoke(route.area, event, pool), request_id)

    async def _call(self, area: str, event: dict[str, Any], pool: Executor | None = None) -> tuple[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(pool or self._pool, invoke, area, event)

    async def _authorize(self, authorizer_event: dict[str, Any]) -> dict[str, Any]:
        outcome, policy = await self._call("authorizer", authorizer_event)
        if outcome == "error":
            if policy == "Unauthorized":
                raise HttpError("UNAUTHORIZED", "Authentication required", 401)
            raise HttpError("INTERNAL_ERROR", "Internal server error", 500)
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(s.get("Effect") == "Allow" for s in statements):
            raise HttpError("FORBIDDEN", "You do not have permission to perform this action", 403)
        return {"principalId": policy.get("principalId"), **policy.get("context", {})}

    async def _invoke(self, area: str, event: dict[str, Any], pool: Executor | None = None) -> dict[str, Any]:
        outcome, result = await self._call(area, event, pool)
        if outcome == "error":  # API Gateway answers 502 when the integration fails (and logs why)
            logger.error("%s function failed: %s", area, result)
            raise HttpError("INTERNAL_ERROR", "Internal server error", 502)
        return dict(result)


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_key, raw_value in scope.get("headers", []):
        key, value = raw_key.decode("latin-1"), raw_value.decode("latin-1")
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


async def _read_body(receive: Receive, headers: dict[str, str], limit: int = MAX_BODY_BYTES) -> bytes:
    too_large = HttpError("PAYLOAD_TOO_LARGE", f"Request body exceeds {limit // 1024} KiB", 413)
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = await read_body(receive, limit)
    if body is None:
        raise too_large
    return body


def _http_response(result: dict[str, Any], request_id: str) -> tuple[int, dict[str, str], bytes]:
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(key)] = ", ".join(str(v) for v in values)
    headers.setdefault("X-Request-Id", request_id)
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        return int(result["statusCode"]), headers, base64.b64decode(body)
    return int(result["statusCode"]), headers, body.encode() if isinstance(body, str) else json_text(body).encode()
