"""ROUTES: the one route table. CDK builds API Gateway from it, the local gateway routes with it,
the role check in every handler reads it, and a test checks the Powertools routers match it.

`roles` lists who may call a route at all (anyone else: 403); ownership is checked by the services.
An empty `roles` means the route is public (no authorizer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dce.adapters.queues import PUSHES, Queue
from dce.adapters.tables import (
    ACCOUNTS,
    API_KEYS,
    AUCTIONS,
    BID_PROFILES,
    BIDS,
    CALLS,
    COMPLIANCE_SETTINGS,
    CONNECTIONS,
    COUNTERS,
    DNC,
    EMAILS,
    EVENTS,
    IDEMPOTENCY,
    LEDGER,
    RATE_LIMITS,
    SESSIONS,
    TABLES,
    Table,
)
from dce.domain.accounts import Role

API_PREFIX = "/api/v1"
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Access = Literal["read", "write"]

ALL = (Role.BUYER, Role.SELLER, Role.ADMIN)
BUYER = (Role.BUYER, Role.ADMIN)
SELLER = (Role.SELLER, Role.ADMIN)
ADMIN = (Role.ADMIN,)
PUBLIC: tuple[Role, ...] = ()
MAX_BODY_BYTES = 64 * 1024  # the contract's limit (413 PAYLOAD_TOO_LARGE above it); a route may set its own


@dataclass(frozen=True, slots=True)
class Route:
    method: Method
    path: str  # API Gateway resource path below API_PREFIX, `{name}` for path parameters
    area: str  # which Lambda function serves it: functions/<area>/handler.py
    roles: tuple[Role, ...]
    # The OpenAPI operationId (api/openapi.yaml): camelCase, verb first (`createCall`), stable. Client
    # generators name their methods after it, so renaming one breaks the clients' code.
    operation_id: str
    max_body_bytes: int = MAX_BODY_BYTES
    # Whether the caller's token bucket (DynamoDB) is charged. Only the health check is exempt: it reads
    # and writes nothing, so a monitor polling it costs no table write (API Gateway's stage throttling
    # still bounds it, answering 429 too).
    rate_limited: bool = True
    # Whether a POST honours `Idempotency-Key` (dce.api.idempotency). Log-in and refresh ignore it: each call
    # issues new tokens, and a remembered response would keep them in the idempotency table.
    idempotent: bool = True
    # Top-level fields of the success body holding a one-time secret: the remembered response keeps them as
    # null, so the idempotency table never holds a secret and a replay never hands one out again.
    secret_fields: tuple[str, ...] = ()
    # Whether the route hashes a password (argon2, ~0.1 s of CPU a call): the local gateway runs these in a
    # worker pool of their own at a lower CPU priority, so a flood of sign-ups or log-ins never holds the
    # workers other routes need (on AWS the accounts function's reserved concurrency bounds them).
    hashes_password: bool = False

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def resource(self) -> str:
        return API_PREFIX + self.path


@dataclass(frozen=True, slots=True)
class Area:
    """One Lambda function: the tables it may touch and how (least privilege in IAM), and its code:
    `functions/<folder or name>/<module>.py`, entry point `lambda_handler`."""

    name: str
    tables: tuple[tuple[Table, Access], ...]
    folder: str = ""
    module: str = "handler"
    starts_auction_timer: bool = False
    # Reads the JWT signing key (Secrets Manager): to sign or verify tokens, or to sign list cursors.
    uses_jwt_secret: bool = True
    # Closes WebSocket connections through the @connections API (DELETE only): a suspension closes the
    # account's connections itself (CDK grants it and sets DCE_WS_ENDPOINT).
    closes_connections: bool = False
    # The table streams the function consumes (on AWS an event source mapping each, locally a stream poller of
    # its own: local/streams.py), and which records it is handed: their `eventName` (INSERT, MODIFY, REMOVE;
    # empty = all), as the mapping's filter criteria. Stream read access comes with the mapping, not `tables`.
    streams: tuple[Table, ...] = ()
    stream_event_names: tuple[str, ...] = ()
    # The work queue the function consumes (on AWS an SQS event source mapping, locally a queue poller:
    # local/queues.py), and the queues it sends to (CDK grants sending and sets each one's URL variable).
    queue: Queue | None = None
    sends_to: tuple[Queue, ...] = ()
    # Posts frames to WebSocket connections through @connections (POST and DELETE; CDK sets DCE_WS_ENDPOINT).
    pushes_to_connections: bool = False

    @property
    def code_folder(self) -> str:
        return self.folder or self.name


ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "accounts", PUBLIC, "getHealth", rate_limited=False),
    Route("POST", "/accounts", "accounts", PUBLIC, "createAccount", secret_fields=("api_key",), hashes_password=True),
    Route("POST", "/auth/login", "accounts", PUBLIC, "logIn", idempotent=False, hashes_password=True),
    Route("POST", "/auth/refresh", "accounts", PUBLIC, "refreshTokens", idempotent=False),
    Route("GET", "/profile", "accounts", ALL, "getProfile"),
    Route("GET", "/account/balance", "accounts", ALL, "getBalance"),
    Route("GET", "/transactions", "accounts", ALL, "listTransactions"),
    Route("POST", "/api-keys", "accounts", ALL, "createApiKey", secret_fields=("api_key",)),
    Route("GET", "/api-keys", "accounts", ALL, "listApiKeys"),
    Route("DELETE", "/api-keys/{id}", "accounts", ALL, "revokeApiKey"),
    Route("GET", "/admin/users", "accounts", ADMIN, "listUsers"),
    Route("POST", "/admin/users", "accounts", ADMIN, "createUser", secret_fields=("api_key",), hashes_password=True),
    Route("POST", "/admin/accounts/{id}/credit", "accounts", ADMIN, "creditAccount"),
    Route("PATCH", "/admin/accounts/{id}", "accounts", ADMIN, "updateAccount"),
    Route("POST", "/calls", "calls", BUYER, "createCall"),
    Route("GET", "/calls", "calls", ALL, "listCalls"),
    Route("GET", "/calls/{id}", "calls", ALL, "getCall"),
    Route("PATCH", "/calls/{id}/status", "calls", BUYER, "updateCallStatus"),
    Route("POST", "/calls/{id}/route", "calls", BUYER, "routeCall"),
    Route("POST", "/calls/{id}/complete", "calls", BUYER, "completeCall"),
    Route("POST", "/auctions", "auctions", BUYER, "createAuction"),
    Route("GET", "/auctions", "auctions", ALL, "listAuctions"),
    Route("GET", "/auctions/{id}", "auctions", ALL, "getAuction"),
    Route("POST", "/auctions/{id}/complete", "auctions", BUYER, "completeAuction"),
    Route("POST", "/bids", "bids", SELLER, "placeBid"),
    Route("GET", "/bids", "bids", SELLER, "listBids"),
    Route("DELETE", "/bids/{id}", "bids", SELLER, "withdrawBid"),
    Route("POST", "/bid-profiles", "bids", SELLER, "createBidProfile"),
    Route("GET", "/bid-profiles", "bids", SELLER, "listBidProfiles"),
    Route("GET", "/bid-profiles/{id}", "bids", SELLER, "getBidProfile"),
    Route("PUT", "/bid-profiles/{id}", "bids", SELLER, "updateBidProfile"),
    Route("DELETE", "/bid-profiles/{id}", "bids", SELLER, "deleteBidProfile"),
    Route("POST", "/compliance/dnc", "compliance", ADMIN, "addDncNumber"),
    # Up to 10,000 numbers a request do not fit in 64 KiB: this route alone accepts 256 KiB.
    Route("POST", "/compliance/dnc/import", "compliance", ADMIN, "importDncNumbers", max_body_bytes=256 * 1024),
    Route("GET", "/compliance/dnc/{phone}", "compliance", ALL, "getDncStatus"),
    Route("DELETE", "/compliance/dnc/{phone}", "compliance", ADMIN, "removeDncNumber"),
    Route("PUT", "/compliance/tcpa/hours", "compliance", ADMIN, "setTcpaHours"),
    Route("GET", "/compliance/tcpa/hours", "compliance", ALL, "getTcpaHours"),
    Route("POST", "/compliance/geographic/restrictions", "compliance", ADMIN, "addGeoRestriction"),
    Route("GET", "/compliance/geographic/restrictions", "compliance", ADMIN, "listGeoRestrictions"),
    Route("DELETE", "/compliance/geographic/restrictions/{state}", "compliance", ADMIN, "removeGeoRestriction"),
)

# Every API function's edge checks (DceResolver): Idempotency-Key records and the callers' rate-limit buckets.
API_EDGE: tuple[tuple[Table, Access], ...] = ((IDEMPOTENCY, "write"), (RATE_LIMITS, "write"))

AREAS: tuple[Area, ...] = (
    Area(
        "accounts",
        (
            (ACCOUNTS, "write"),
            (EMAILS, "write"),
            (API_KEYS, "write"),
            (SESSIONS, "write"),
            (LEDGER, "write"),
            *API_EDGE,
            # A suspension finds the account's WebSockets (by_account index), closes them and forgets them.
            (CONNECTIONS, "write"),
        ),
        closes_connections=True,
    ),
    # Routing closes auctions and completion moves money: calls touches the marketplace tables too.
    # Creating a call runs the compliance checks: it reads DNC and settings and counts call velocity.
    Area(
        "calls",
        (
            (CALLS, "write"),
            (ACCOUNTS, "write"),
            (LEDGER, "write"),
            (AUCTIONS, "write"),
            (BIDS, "write"),
            *API_EDGE,
            (DNC, "read"),
            (COMPLIANCE_SETTINGS, "read"),
            (COUNTERS, "write"),
        ),
    ),
    # Opening an auction claims its call; viewing reads its bids, completing settles them. No automatic bid is
    # placed here (the autobids function does, off the request path): no profiles, no bid counters.
    Area("auctions", ((AUCTIONS, "write"), (CALLS, "write"), (BIDS, "write"), *API_EDGE), starts_auction_timer=True),
    Area("bids", ((AUCTIONS, "write"), (BIDS, "write"), (COUNTERS, "write"), (BID_PROFILES, "write"), *API_EDGE)),
    # The Step Functions task that closes an auction when its timer fires.
    Area(
        "auction_close",
        ((AUCTIONS, "write"), (BIDS, "write")),
        folder="auctions",
        module="close",
        uses_jwt_secret=False,
    ),
    # The Lambda authorizer reads API keys, and on every request the caller's account (its status and
    # session cut-off: a suspended account's credentials are refused from the next request).
    Area("authorizer", ((API_KEYS, "read"), (ACCOUNTS, "read"))),
    Area("compliance", ((DNC, "write"), (COMPLIANCE_SETTINGS, "write"), *API_EDGE)),
    # The WebSocket API ($connect, $disconnect, $default): registers connections and their topics; $connect
    # reads the caller's account (a suspended account is refused).
    Area("ws", ((CONNECTIONS, "write"), (ACCOUNTS, "read"))),
    # Reads the streams of calls, auctions and bids; records events, finds the connections of their audience
    # and queues each account's frames for the push function. Reads auctions, calls and profiles to resolve
    # that audience.
    Area(
        "events",
        ((EVENTS, "write"), (CONNECTIONS, "read"), (AUCTIONS, "read"), (CALLS, "read"), (BID_PROFILES, "read")),
        uses_jwt_secret=False,
        streams=tuple(table for table in TABLES if table.stream),
        sends_to=(PUSHES,),
    ),
    # Takes the push queue's messages (an account's frames each) and posts them to @connections, closing and
    # forgetting connections found gone or expired.
    Area(
        "pushes",
        ((CONNECTIONS, "write"),),
        folder="events",
        module="push",
        uses_jwt_secret=False,
        queue=PUSHES,
        pushes_to_connections=True,
    ),
    # Automatic bids, off the request path: reads the auctions stream's new auctions (`auction.opened`) and
    # places the matching profiles' bids through the bid path (the auction must be open, the sellers' hourly
    # bid counters count them); reads the auction's call for its facts. Remembers the events it has finished
    # in the counters table (a replayed batch places no second bid).
    Area(
        "autobids",
        ((AUCTIONS, "write"), (BIDS, "write"), (COUNTERS, "write"), (BID_PROFILES, "read"), (CALLS, "read")),
        uses_jwt_secret=False,
        streams=(AUCTIONS,),
        stream_event_names=("INSERT",),
    ),
)


def find_route(method: str, resource: str) -> Route | None:
    """The route for an API Gateway method and resource template (with or without the prefix)."""
    path = resource.removeprefix(API_PREFIX) or "/"
    return _BY_KEY.get((method.upper(), path))


_BY_KEY: dict[tuple[str, str], Route] = {(r.method, r.path): r for r in ROUTES}
