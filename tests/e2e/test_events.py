"""WebSocket events over a real WebSocket client (contract: "WebSocket events"): who sees what, the
ping/subscribe protocol, error frames, refused handshakes, and the local `@connections` API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from local.launcher import exchange_credentials
from tests.conftest import JWT_SECRET
from tests.e2e.api_client import ApiClient, User
from tests.e2e.events_client import EventStream, about, event_stream, mentions

INBOUND = {"from_number": "+14155551234", "to_number": "+18005551234", "direction": "inbound"}


def create(api: ApiClient, path: str, body: dict[str, Any], user: User) -> dict[str, Any]:
    response = api.post(path, body, user)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def profile(api: ApiClient, seller: User, call_type: str, keyword: str | None = None) -> None:
    criteria: dict[str, Any] = {"geography": {"countries": ["US"]}, "call_type": [call_type]}
    if keyword:
        criteria["keywords"] = [keyword]
    create(api, "/bid-profiles", {"criteria": criteria}, seller)


@dataclass
class Scenario:
    """One auction seen from every side: what each connection had read when the flow was over."""

    call_id: str
    auction_id: str
    buyer: User
    winner: User
    loser: User
    streams: dict[str, EventStream]
    sentinels: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def scenario(api: ApiClient, base_url: str, admin: User) -> Iterator[Scenario]:
    """A buyer auctions a call; a seller whose profile matches wins it, another seller bids and loses.
    A second buyer and a seller whose profile does not match watch, then trigger sentinel events of
    their own: whatever they read before those is everything they were (wrongly) sent."""
    # A call type of its own: other tests' profiles (some bid automatically) never match this call,
    # and these sellers' profiles never match other tests' calls.
    tag = uuid.uuid4().hex[:10]
    buyer, winner, loser, bystander, other_buyer = (
        api.sign_up(role) for role in ("buyer", "seller", "seller", "seller", "buyer")
    )
    profile(api, winner, f"sales-{tag}", keyword=f"kw{tag}")
    profile(api, loser, f"type{tag}")
    profile(api, bystander, f"other{tag}")
    with (
        event_stream(base_url, buyer) as b,
        event_stream(base_url, winner) as w,
        event_stream(base_url, loser) as lo,
        event_stream(base_url, bystander) as by,
        event_stream(base_url, other_buyer) as ob,
        event_stream(base_url, admin) as ad,
    ):
        streams = {"buyer": b, "winner": w, "loser": lo, "bystander": by, "other_buyer": ob, "admin": ad}
        call = create(api, "/calls", {**INBOUND, "call_type": f"sales-{tag}", "keywords": [f"kw{tag}"]}, buyer)
        auction = create(api, "/auctions", {"call_id": call["id"], "duration": 600}, buyer)
        b.wait_for(about("auction.opened", "auction", auction["id"]))
        w.wait_for(about("auction.opened", "auction", auction["id"]))
        create(api, "/bids", {"auction_id": auction["id"], "amount": 15.00}, winner)
        create(api, "/bids", {"auction_id": auction["id"], "amount": 9.00}, loser)
        for seller in (winner, loser):
            b.wait_for(lambda f, s=seller: f["type"] == "bid.placed" and f["data"]["bid"]["seller_id"] == s.id)
        assert api.post(f"/auctions/{auction['id']}/complete", None, buyer).status_code == 200
        b.wait_for(about("auction.closed", "auction_id", auction["id"]))
        w.wait_for(about("auction.closed", "auction_id", auction["id"]))
        lo.wait_for(about("auction.closed", "auction_id", auction["id"]))
        ad.wait_for(about("auction.closed", "auction_id", auction["id"]))
        # Sentinels: the other buyer's own call, and the bystander's own bid on the other buyer's auction.
        own_call = create(api, "/calls", INBOUND, other_buyer)
        own_auction = create(api, "/auctions", {"call_id": own_call["id"], "duration": 600}, other_buyer)
        create(api, "/bids", {"auction_id": own_auction["id"], "amount": 1.00}, bystander)
        sentinels = {
            "other_buyer": ob.wait_for(about("call.created", "call", own_call["id"])),
            "bystander": by.wait_for(about("bid.placed", "bid", _bid_of(api, own_auction["id"], bystander))),
        }
        yield Scenario(call["id"], auction["id"], buyer, winner, loser, streams, sentinels)


def _bid_of(api: ApiClient, auction_id: str, seller: User) -> str:
    [bid] = api.get(f"/bids?auction_id={auction_id}", seller).json()
    return str(bid["id"])


def test_a_buyer_sees_its_auction_open_the_bids_arrive_and_the_close(scenario: Scenario):
    events = [f for f in scenario.streams["buyer"].events() if mentions(f, scenario.auction_id)]
    assert [f["type"] for f in events] == ["auction.opened", "bid.placed", "bid.placed", "auction.closed"]
    assert {f["data"]["bid"]["amount"] for f in events[1:3]} == {15.0, 9.0}
    closed = events[3]["data"]["auction"]
    assert (closed["status"], closed["winning_bid"]["seller_id"]) == ("completed", scenario.winner.id)
    created = scenario.streams["buyer"].events()[0]
    assert about("call.created", "call", scenario.call_id)(created)  # before the auction: its call


def test_a_seller_with_a_matching_profile_sees_the_auction_open_and_that_it_won(scenario: Scenario):
    events = [f for f in scenario.streams["winner"].events() if mentions(f, scenario.auction_id)]
    assert [f["type"] for f in events] == ["auction.opened", "bid.placed", "auction.closed"]
    assert events[1]["data"]["bid"]["seller_id"] == scenario.winner.id  # its own bid only: bids are sealed
    assert (events[2]["data"]["outcome"], events[2]["data"]["bid"]["amount"]) == ("won", 15.0)


def test_a_losing_bidder_is_told_it_lost_and_nothing_of_the_winning_bid(scenario: Scenario):
    events = [f for f in scenario.streams["loser"].events() if mentions(f, scenario.auction_id)]
    assert [f["type"] for f in events] == ["bid.placed", "auction.closed"]  # its profile did not match the call
    assert events[1]["data"]["outcome"] == "lost"
    assert not any(mentions(f, scenario.winner.id) for f in scenario.streams["loser"].events())


@pytest.mark.parametrize("watcher", ["other_buyer", "bystander"])
def test_other_accounts_see_none_of_it(scenario: Scenario, watcher: str):
    stream = scenario.streams[watcher]
    assert stream.events_before(scenario.sentinels[watcher]) == []


def test_an_admin_sees_all_of_it(scenario: Scenario):
    everyone = [f for name in ("buyer", "winner", "loser") for f in scenario.streams[name].events()]
    ids = {f["id"] for f in everyone if mentions(f, scenario.auction_id)}
    assert len(ids) == 6  # opened (one event, two recipients), two bids, closed for the buyer and each bidder
    for event_id in ids:
        scenario.streams["admin"].wait_for(lambda f, i=event_id: f.get("id") == i)


def test_ping_is_answered_with_pong(base_url: str, buyer: User):
    with event_stream(base_url, buyer) as stream:
        for _ in range(3):
            assert stream.request({"action": "ping"}) == {"type": "pong"}


def test_subscribe_narrows_delivery_to_the_listed_prefixes(api: ApiClient, base_url: str, buyer: User):
    with event_stream(base_url, buyer) as stream:
        reply = stream.request({"action": "subscribe", "topics": ["auction", "call.completed"]})
        assert (reply["type"], reply["topics"]) == ("subscribed", ["auction", "call.completed"])
        call = create(api, "/calls", INBOUND, buyer)  # call.created: not subscribed
        auction = create(api, "/auctions", {"call_id": call["id"], "duration": 600}, buyer)
        opened = stream.wait_for(about("auction.opened", "auction", auction["id"]))
        assert stream.events_before(opened) == []


def test_bad_messages_get_error_frames_and_the_connection_stays_open(base_url: str, buyer: User):
    with event_stream(base_url, buyer) as stream:
        for message in ("{not json", '{"action": "dance"}', '{"action": "subscribe", "topics": ["payments"]}'):
            reply = stream.request(message)
            assert (reply["type"], reply["code"]) == ("error", "VALIDATION_ERROR")
            assert "dance" not in reply["message"] and "payments" not in reply["message"]
        assert stream.request({"action": "ping"})["type"] == "pong"


def _expired(user: User) -> str:
    return _token_expiring_in(user, -1800)


def _token_expiring_in(user: User, seconds: int) -> str:
    """An access token of `user` signed with the test suite's key, expiring `seconds` from now."""
    now = int(time.time())
    claims = {"sub": user.id, "role": user.role, "iss": "dependable-call-exchange", "aud": "api"}
    return jwt.encode({**claims, "iat": now - 60, "exp": now + seconds, "jti": "x"}, JWT_SECRET, algorithm="HS256")


@pytest.mark.local_only  # signed with the test suite's key
def test_a_connection_is_closed_once_the_access_token_it_opened_with_has_expired(
    api: ApiClient, base_url: str, buyer: User
):
    """The next event for the account closes it (the client reconnects with a fresh token); a connection
    opened with a valid token keeps receiving."""
    with event_stream(base_url, token=_token_expiring_in(buyer, 2)) as stale, event_stream(base_url, buyer) as fresh:
        for stream in (stale, fresh):
            assert stream.request({"action": "ping"}) == {"type": "pong"}  # both registered
        time.sleep(3)  # the first token is now expired
        call = create(api, "/calls", INBOUND, buyer)
        fresh.wait_for(about("call.created", "call", call["id"]))
        with pytest.raises(ConnectionClosed):
            stale.wait_for(lambda frame: True, since=len(stale.frames))  # nothing more: closed
        assert not any(mentions(frame, call["id"]) for frame in stale.frames)


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "garbage",
        # Signed with the test suite's key: a remote stage refuses it for its signature, not for its expiry.
        pytest.param("expired", marks=pytest.mark.local_only),
        "refresh token",
        "wrong signature",
    ],
)
def test_a_handshake_without_a_valid_access_token_is_refused(base_url: str, buyer: User, kind: str):
    token = {
        "missing": "",
        "garbage": "not-a-jwt",
        "expired": _expired(buyer),
        "refresh token": buyer.refresh_token,
        "wrong signature": buyer.access_token[:-4] + ("AAAA" if not buyer.access_token.endswith("AAAA") else "BBBB"),
    }[kind]
    with pytest.raises(InvalidStatus) as refused, event_stream(base_url, token=token):
        pass
    assert refused.value.response.status_code == 401


@pytest.mark.local_only  # the local gateway's @connections emulation; on AWS it needs IAM credentials
def test_the_local_connections_api_answers_gone_for_closed_connections(base_url: str):
    """boto3's `post_to_connection` raises GoneException from the local gateway as it does on AWS."""
    endpoint = base_url.split("/api/v1")[0]
    # Signed as the exchange's own processes sign: its @connections API refuses any other signature.
    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, **exchange_credentials())
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="no-such-connection=", Data=b'{"type": "test"}')
