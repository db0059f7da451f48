"""The money rules of a call: the hold placed when it is routed, the bill when it completes, the release when it
ends any other way. Pure: the services read the accounts, these rules say what they become, and the billing
port writes everything in one transaction conditioned on the versions that were read.

Invariants (tests/integration/test_money_conservation.py checks them after every step):
- `balance ≥ -credit_limit` for every account, at every moment;
- `held` = the sum of the open holds of the account's calls;
- total charged = total paid out; every balance = the sum of its ledger entries.
A hold is the worst case of the call (`worst_case_cost`), and the bill never exceeds it, so a buyer can never
be charged more than it had available when its call was routed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dce.domain.accounts import Account, LedgerEntry, LedgerType
from dce.domain.auctions import BillingModel
from dce.domain.errors import InsufficientFunds
from dce.domain.money import to_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class MoneyMove:
    """One account's new `balance` and `held`, valid only if it is still at the version it was read at."""

    account: Account
    balance: Decimal
    held: Decimal


def worst_case_cost(bid_amount: Decimal, model: BillingModel, max_duration: int) -> Decimal:
    """The most a call can cost: the bid once (`per_call`), or per started minute of `max_duration`."""
    if model is BillingModel.PER_CALL:
        return to_cents(bid_amount)
    return to_cents(bid_amount * math.ceil(max_duration / 60))


def billed_duration(duration: int, max_duration: int) -> int:
    """The reported duration, capped at what the buyer agreed to pay for."""
    return min(duration, max_duration)


def place_hold(buyer: Account, amount: Decimal) -> MoneyMove:
    """Hold `amount` of the buyer's money; InsufficientFunds when it is more than `available`."""
    if amount > buyer.available:
        raise InsufficientFunds(
            f"Insufficient funds: routing this call holds {amount:.2f} (its worst case), "
            f"{max(buyer.available, ZERO):.2f} is available"
        )
    return MoneyMove(buyer, buyer.balance, buyer.held + amount)


def release_hold(buyer: Account, amount: Decimal) -> MoneyMove:
    """Give back a hold (the call ended without a bill)."""
    return MoneyMove(buyer, buyer.balance, max(buyer.held - amount, ZERO))


@dataclass(frozen=True, slots=True)
class Bill:
    """What completing a call does to money: the accounts' new states and the ledger entries explaining them."""

    cost: Decimal
    moves: tuple[MoneyMove, ...]
    entries: tuple[LedgerEntry, ...]


def bill_call(
    buyer: Account,
    seller: Account,
    *,
    cost: Decimal,
    hold: Decimal,
    call_id: str,
    entry_ids: tuple[str, str],
    now: datetime,
) -> Bill:
    """Charge the buyer `cost`, pay the seller the same, and release the call's `hold`, as one change.

    `cost ≤ hold` by construction (the hold is the worst case), so the charge always fits in what was held.
    An account that is both buyer and seller (data from before self-bids were refused) gets one move: the
    charge and the payout cancel out, and two ledger entries still explain it.
    """
    if cost <= 0:
        return Bill(ZERO, (release_hold(buyer, hold),) if hold else (), ())
    charge = LedgerEntry(entry_ids[0], buyer.id, LedgerType.CHARGE, -cost, buyer.balance - cost, now, call_id=call_id)
    if seller.id == buyer.id:
        payout = LedgerEntry(entry_ids[1], seller.id, LedgerType.PAYOUT, cost, buyer.balance, now, call_id=call_id)
        return Bill(cost, (release_hold(buyer, hold),), (charge, payout))
    payout = LedgerEntry(entry_ids[1], seller.id, LedgerType.PAYOUT, cost, seller.balance + cost, now, call_id=call_id)
    buyer_move = MoneyMove(buyer, buyer.balance - cost, max(buyer.held - hold, ZERO))
    seller_move = MoneyMove(seller, seller.balance + cost, seller.held)
    return Bill(cost, (buyer_move, seller_move), (charge, payout))
