"""The SDK against a real local exchange: the README's marketplace walk-through (sync and async),
typed models, pagination, typed errors, Idempotency-Key reuse on a retry, token renewal, API keys,
the other resource groups and the live event stream."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest

from dce_client import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from dce_client.models import AuctionStatus, BidStatus, Call, CallStatus, Event, TransactionType
from tests.clients.conftest import checked_http, fresh_user, sdk_for, unique_email
from tests.conftest import JWT_SECRET
from tests.e2e.api_client import PASSWORD, ApiClient, User

pytestmark = pytest.mark.e2e
INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}
WAIT_S = 15.0


def inbound_call(client: Client, **extra: Any) -> Call:
    return client.calls.create(INBOUND["from_number"], INBOUND["to_number"], direction="inbound", **extra)


def test_readme_marketplace_walkthrough_with_the_sync_sdk(base_url: str, anonymous_sdk: Client):
    buyer_email, seller_email = unique_email("buyer"), unique_email("seller")
    signed_up = anonymous_sdk.accounts.sign_up(buyer_email, "Acme Leads", "buyer", password=PASSWORD)
    assert signed_up.balance == Decimal("1000.00") and isinstance(signed_up.id, UUID)
    anonymous_sdk.accounts.sign_up(seller_email, "Call Center Co", "seller", password=PASSWORD)
    with (
        Client(base_url, email=buyer_email, password=PASSWORD, http=checked_http(base_url)) as buyer,
        Client(base_url, email=seller_email, password=PASSWORD, http=checked_http(base_url)) as seller,
    ):
        call = inbound_call(buyer, max_duration=600)
        assert call.status is CallStatus.PENDING and call.max_duration == 600
        assert isinstance(call.id, UUID) and isinstance(call.created_at, datetime) and call.created_at.tzinfo
        assert buyer.calls.get(call.id) == call
        assert call.id in [c.id for c in buyer.calls.list(limit=10)]
        assert buyer.balance().balance == Decimal("1000.00")

        auction = buyer.auctions.create(call.id, reserve_price=Decimal("1.00"), duration=30)
        assert auction.status is AuctionStatus.OPEN and auction.reserve_price == Decimal("1.00")
        bid = seller.bids.place(auction.id, Decimal("22.00"))
        assert bid.status is BidStatus.ACTIVE and bid.amount == Decimal("22.00")
        closed = buyer.auctions.complete(auction.id)
        assert closed.winning_bid is not None and closed.winning_bid.amount == Decimal("22.00")
        routed = buyer.calls.route(call.id)
        assert routed.status is CallStatus.QUEUED and routed.seller_id == bid.seller_id
        held = buyer.balance()
        assert (held.held, held.available) == (Decimal("220.00"), Decimal("780.00"))
        for status in ("ringing", "in_progress"):
            buyer.calls.update_status(call.id, status)
        done = buyer.calls.complete(call.id, 240)
        assert done.status is CallStatus.COMPLETED and done.cost == Decimal("88.00") and done.billed_duration == 240
        assert seller.balance().balance == Decimal("88.00")
        after = buyer.balance()
        assert (after.balance, after.held) == (Decimal("912.00"), Decimal("0.00"))
        ledger = list(buyer.account.transactions())
        assert (ledger[0].type, ledger[0].amount) == (TransactionType.CHARGE, Decimal("-88.00"))
        assert ledger[0].call_id == call.id


def test_readme_marketplace_walkthrough_with_the_async_sdk(api: ApiClient, base_url: str):
    buyer, seller = fresh_user(api, "buyer"), fresh_user(api, "seller")

    async def walk() -> tuple[Decimal | None, Decimal, Decimal]:
        async with (
            AsyncClient(base_url, email=buyer.email, password=PASSWORD) as b,
            AsyncClient(base_url, email=seller.email, password=PASSWORD) as s,
        ):
            call = await b.calls.create("+14155551234", "+18005551234", direction="inbound", max_duration=600)
            auction = await b.auctions.create(call.id, reserve_price=Decimal("1.00"), duration=30)
            await s.bids.place(auction.id, Decimal("22.00"))
            await b.auctions.complete(auction.id)
            await b.calls.route(call.id)
            await b.calls.update_status(call.id, "ringing")
            await b.calls.update_status(call.id, "in_progress")
            done = await b.calls.complete(call.id, 240)
            assert [c.id async for c in b.calls.list()] == [call.id]
            return done.cost, (await s.balance()).balance, (await b.balance()).balance

    assert asyncio.run(walk()) == (Decimal("88.00"), Decimal("88.00"), Decimal("912.00"))


def test_lists_iterate_over_more_than_one_page(buyer_sdk: Client):
    created = [inbound_call(buyer_sdk).id for _ in range(5)]
    pages = list(buyer_sdk.calls.list(limit=2).pages())
    assert len(pages) == 3 and pages[-1].next_cursor is None
    assert [c.id for c in buyer_sdk.calls.list(limit=2)] == created[::-1]  # newest first, across pages
    assert buyer_sdk.calls.list(limit=2).to_list(max_items=3) == [c for p in pages for c in p.items][:3]


def test_errors_from_the_server_are_typed_with_code_and_request_id(buyer_sdk: Client, seller_sdk: Client):
    with pytest.raises(NotFoundError) as missing:
        buyer_sdk.calls.get(uuid4())
    assert missing.value.code == "CALL_NOT_FOUND" and missing.value.status == 404
    assert missing.value.request_id and missing.value.request_id == missing.value.headers["x-request-id"]
    with pytest.raises(BadRequestError) as invalid:
        buyer_sdk.calls.create("not-a-number", "+18005551234")
    assert invalid.value.code == "VALIDATION_ERROR" and "Invalid from number" in invalid.value.message
    with pytest.raises(PermissionDeniedError) as forbidden:
        inbound_call(seller_sdk)
    assert forbidden.value.code == "FORBIDDEN"
    auction = buyer_sdk.auctions.create(inbound_call(buyer_sdk).id, reserve_price=Decimal("1.00"))
    seller_sdk.bids.place(auction.id, Decimal("5.00"))
    with pytest.raises(ConflictError) as lower:
        seller_sdk.bids.place(auction.id, Decimal("4.00"))
    assert lower.value.code == "BID_NOT_HIGHER"


class LoseFirstAnswer(httpx.BaseTransport):
    """Forwards to the server, but loses the answer to the first POST (the server did the work)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.sent.append(request)
            response.read()
            if len(self.sent) == 1:
                raise httpx.ReadError("connection reset after the server answered", request=request)
            self.answers.append(response)
        return response


def test_a_post_retried_after_a_lost_answer_reuses_its_idempotency_key_and_is_done_once(base_url: str, buyer: User):
    lossy = LoseFirstAnswer()
    with sdk_for(base_url, buyer, transport=lossy) as client:
        call = inbound_call(client)
        assert [c.id for c in client.calls.list()] == [call.id]  # one call, not two
    first, retry = lossy.sent
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert lossy.answers[0].headers.get("idempotent-replayed") == "true"


def test_tokens_are_refreshed_before_expiry_and_after_a_401(base_url: str, buyer: User):
    pairs: list[str] = []
    with Client(base_url, email=buyer.email, password=PASSWORD, on_tokens=lambda t: pairs.append(t.refresh_token)) as c:
        c.login()
        first_access, first_refresh = c.session.access_token, c.session.refresh_token
        c.session.expires_at = time.time()  # as if 15 minutes had passed
        c.account.profile()
        assert c.session.access_token != first_access and c.session.refresh_token != first_refresh
        assert pairs == [first_refresh, c.session.refresh_token]
        c.session.access_token = "not-a-token"
        assert c.account.profile().email == buyer.email
        assert len(pairs) == 3
        with pytest.raises(AuthenticationError):  # the old refresh token was rotated away
            Client(base_url, refresh_token=first_refresh).account.profile()


def test_api_key_auth_and_key_management(anonymous_sdk: Client, base_url: str):
    account = anonymous_sdk.accounts.sign_up(unique_email("keys"), "Keyed Co", "seller")
    assert account.api_key
    with Client(base_url, api_key=account.api_key, http=checked_http(base_url)) as client:
        assert client.account.profile().id == account.id
        extra = client.api_keys.create("dialer")
        assert extra.api_key and extra.name == "dialer"
        assert extra.id in [key.id for key in client.api_keys.list()]
        client.api_keys.revoke(extra.id)
    with pytest.raises(AuthenticationError), Client(base_url, api_key=extra.api_key) as revoked:
        revoked.account.profile()


def test_bid_profiles_compliance_and_admin(seller_sdk: Client, admin_sdk: Client, buyer: User):
    profile = seller_sdk.bid_profiles.create(
        {"geography": {"countries": ["US"], "states": ["CA"]}, "max_budget": Decimal("500")},
        auto_bid=Decimal("3.75"),
    )
    assert profile.auto_bid is not None and profile.auto_bid.amount == Decimal("3.75")
    from dce_client.models import Criteria

    updated = seller_sdk.bid_profiles.update(profile.id, criteria=Criteria(max_budget=Decimal("200")))
    assert updated.criteria.max_budget == Decimal("200.00") and updated.criteria.geography.states == ["CA"]
    assert profile.id in [p.id for p in seller_sdk.bid_profiles.list()]
    seller_sdk.bid_profiles.delete(profile.id)
    with pytest.raises(NotFoundError):
        seller_sdk.bid_profiles.get(profile.id)

    credited = admin_sdk.admin.credit(buyer.id, Decimal("50.25"), "wire transfer")
    assert credited.balance == Decimal("1050.25")
    assert admin_sdk.admin.update_account(buyer.id, credit_limit=Decimal("100")).credit_limit == Decimal("100.00")
    assert len(admin_sdk.admin.users(limit=1).first_page().items) == 1

    numbers = [f"+1303555{n:04d}" for n in (uuid4().int % 9000 + 1000 + i for i in range(4))]
    progress: list[tuple[int, int]] = []
    result = admin_sdk.compliance.import_dnc(
        [numbers[0], "bogus", f"{numbers[1]},{numbers[2]}", numbers[3]],
        "sdk test",
        chunk_lines=2,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert progress == [(2, 4), (4, 4)]
    assert (result.imported, result.invalid_count, [i.line for i in result.invalid]) == (4, 1, [2])
    assert admin_sdk.compliance.check_dnc(numbers[3]).is_dnc
    for number in numbers:
        admin_sdk.compliance.remove_dnc(number)
    assert not admin_sdk.compliance.check_dnc(numbers[3]).is_dnc
    assert admin_sdk.compliance.tcpa_hours().timezone


def collect(events: Iterator[Event], into: queue.Queue[Event]) -> threading.Thread:
    def pump() -> None:
        try:
            for event in events:
                into.put(event)
        except Exception as error:  # surfaced by the test's wait
            into.put(Event(id="error", type=f"error: {error!r}", ts=datetime.now(), data={}))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def wait_for(events: queue.Queue[Event], predicate: Any, timeout: float = WAIT_S) -> Event:
    deadline, seen = time.monotonic() + timeout, []
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        seen.append(event.type)
        if predicate(event):
            return event
    raise AssertionError(f"no matching event within {timeout} s; got {seen}")


def test_the_sync_events_iterator_receives_an_event(buyer_sdk: Client):
    received: queue.Queue[Event] = queue.Queue()
    collect(buyer_sdk.events(topics=["call"]), received)
    time.sleep(1.0)  # connected and subscribed
    call = inbound_call(buyer_sdk)
    event = wait_for(received, lambda e: e.call is not None and e.call.id == call.id)
    assert event.type == "call.created" and isinstance(event.ts, datetime)


def test_the_async_events_iterator_follows_an_auction(base_url: str, buyer: User, seller_sdk: Client):
    async def follow() -> list[str]:
        async with AsyncClient(base_url, email=buyer.email, password=PASSWORD) as client:
            call = await client.calls.create("+14155551234", "+18005551234", direction="inbound")
            types: list[str] = []

            async def listen() -> None:
                async for event in client.events(topics=["auction", "bid"]):
                    types.append(event.type)
                    if event.type == "bid.placed":
                        return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(1.0)
            auction = await client.auctions.create(call.id, reserve_price=Decimal("1.00"))
            await asyncio.to_thread(seller_sdk.bids.place, auction.id, Decimal("2.50"))
            await asyncio.wait_for(listener, WAIT_S)
            return types

    assert asyncio.run(follow()) == ["auction.opened", "bid.placed"]


@pytest.mark.local_only  # the short-lived token is signed with the test suite's key
def test_the_events_iterator_reconnects_with_a_fresh_token_when_the_server_closes_for_expiry(
    base_url: str, buyer: User
):
    now = int(time.time())
    claims = {"sub": buyer.id, "role": "buyer", "iss": "dependable-call-exchange", "aud": "api", "jti": "short"}
    short = jwt.encode({**claims, "iat": now - 60, "exp": now + 3}, JWT_SECRET, algorithm="HS256")
    with Client(base_url, access_token=short, refresh_token=buyer.refresh_token) as client:
        client.session.expires_at = time.time() + 3600  # the client does not know it is about to expire
        received: queue.Queue[Event] = queue.Queue()
        collect(client.events(topics=["call"]), received)
        time.sleep(4.0)  # the token has expired: the next event for the connection closes it
        with Client(base_url, access_token=buyer.access_token) as other:
            deadline = time.monotonic() + WAIT_S
            while True:  # the closing event may be lost with the connection; later ones arrive on the new one
                call_id = inbound_call(other).id
                try:
                    wait_for(
                        received, lambda e, wanted=call_id: e.call is not None and e.call.id == wanted, timeout=2.0
                    )
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise
        assert client.session.access_token != short  # renewed with the refresh token
