"""The auction timer for real: moto's Step Functions runs the ASL and invokes our close handler."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from dce import bootstrap
from dce.adapters.auctions_repo import DynamoAuctionRepo
from dce.adapters.system import UuidGen
from dce.bootstrap import services
from dce.domain.accounts import Role
from dce.domain.auctions import AuctionStatus
from dce.domain.principal import Principal
from dce.services.accounts import NewAccount
from dce.services.auctions import NewAuction
from dce.services.bids import BidService
from dce.services.calls import NewCall
from local.emulator import deploy_auction_timer
from tests.conftest import TEST_ENV


class ShiftedClock:
    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def timer(aws: None) -> Iterator[str]:
    arn = deploy_auction_timer(TEST_ENV["DCE_TABLE_PREFIX"])
    os.environ["DCE_AUCTION_STATE_MACHINE_ARN"] = arn
    bootstrap.reset()
    yield arn
    os.environ.pop("DCE_AUCTION_STATE_MACHINE_ARN", None)
    bootstrap.reset()


def principal(role: Role, email: str) -> Principal:
    account, _ = services().accounts.create(NewAccount(email, "Acme", role, password="x" * 12))
    return Principal(account.id, role)


def early_bid(seller: Principal, auction_id: str, amount: str) -> None:
    """Place a bid as if 30 s earlier, so it falls outside the anti-sniping window of a 1 s auction."""
    bids = BidService(DynamoAuctionRepo(), ShiftedClock(timedelta(seconds=-30)), UuidGen(), 200)
    bids.place(seller, auction_id, Decimal(amount))


def wait_for_execution(arn: str, auction_id: str, timeout: float = 15) -> dict[str, object]:
    sfn = boto3.client("stepfunctions")
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{auction_id}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, object] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    raise AssertionError("the timer execution did not finish")


def test_the_timer_closes_the_auction_and_records_the_winner(timer):
    buyer, seller = principal(Role.BUYER, "b@example.com"), principal(Role.SELLER, "s@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=1))
    early_bid(seller, auction.id, "12.00")
    execution = wait_for_execution(timer, auction.id)
    assert execution["status"] == "SUCCEEDED"
    closed = services().auctions.view(buyer, auction.id).auction
    assert closed.status is AuctionStatus.COMPLETED
    assert closed.winning_bid is not None and closed.winning_bid.amount == Decimal("12.00")


def test_a_manual_complete_and_the_timer_agree_on_one_result(timer):
    buyer, seller = principal(Role.BUYER, "b@example.com"), principal(Role.SELLER, "s@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=1))
    early_bid(seller, auction.id, "7.00")
    time.sleep(0.9)
    manual = services().auctions.complete(buyer, auction.id)
    execution = wait_for_execution(timer, auction.id)
    assert execution["status"] == "SUCCEEDED"
    final = services().auctions.view(buyer, auction.id).auction
    assert manual.winning_bid == final.winning_bid
    assert final.winning_bid is not None and final.winning_bid.amount == Decimal("7.00")


def test_an_auction_without_bids_closes_with_no_winner(timer):
    buyer = principal(Role.BUYER, "b@example.com")
    call = services().calls.create(buyer, NewCall("+14155551234", "+18005551234"))
    auction = services().auctions.open(buyer, NewAuction(call.id, duration=1))
    assert wait_for_execution(timer, auction.id)["status"] == "SUCCEEDED"
    closed = services().auctions.view(buyer, auction.id).auction
    assert (closed.status, closed.winning_bid, closed.settled) == (AuctionStatus.COMPLETED, None, True)
