"""Typed models of the exchange's resources (pydantic v2): `Decimal` money, `UUID` ids, `datetime` times."""

from dce_client.models._base import Model, Money
from dce_client.models.accounts import (
    Account,
    AccountStatus,
    AccountType,
    ApiKey,
    Balance,
    Health,
    NewApiKey,
    PaymentInfo,
    Tokens,
    Transaction,
    TransactionType,
)
from dce_client.models.calls import Call, CallStatus, Direction
from dce_client.models.compliance import DncImportResult, DncList, DncStatus, GeoRestriction, InvalidLine, TcpaHours
from dce_client.models.events import Event
from dce_client.models.market import (
    Auction,
    AuctionStatus,
    AutoBid,
    Bid,
    BidProfile,
    BidStatus,
    BillingModel,
    Criteria,
    Geography,
    WinningBid,
)

__all__ = [
    "Account",
    "AccountStatus",
    "AccountType",
    "ApiKey",
    "Auction",
    "AuctionStatus",
    "AutoBid",
    "Balance",
    "Bid",
    "BidProfile",
    "BidStatus",
    "BillingModel",
    "Call",
    "CallStatus",
    "Criteria",
    "Direction",
    "DncImportResult",
    "DncList",
    "DncStatus",
    "Event",
    "GeoRestriction",
    "Geography",
    "Health",
    "InvalidLine",
    "Model",
    "Money",
    "NewApiKey",
    "PaymentInfo",
    "TcpaHours",
    "Tokens",
    "Transaction",
    "TransactionType",
    "WinningBid",
]
