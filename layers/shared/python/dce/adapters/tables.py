"""TABLES: the one definition of every DynamoDB table (keys, indexes, TTL, streams).

CDK (`infra/constructs/data.py`), the local emulator bootstrap and the tests create tables from it.
Physical names are `<prefix>-<name>`, the prefix coming from `DCE_TABLE_PREFIX` (derived per environment).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    partition: Key
    sort: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    stream: bool = False

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.name}"

    def create_table_kwargs(self, prefix: str) -> dict[str, Any]:
        """Arguments for boto3 `create_table` (on-demand billing), used by the emulator and tests."""
        keys = [self.partition, *([self.sort] if self.sort else [])]
        for index in self.indexes:
            keys += [index.partition, *([index.sort] if index.sort else [])]
        attributes = {k.name: k.type for k in keys}
        kwargs: dict[str, Any] = {
            "TableName": self.physical_name(prefix),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
            "KeySchema": _key_schema(self.partition, self.sort),
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": ix.name,
                    "KeySchema": _key_schema(ix.partition, ix.sort),
                    "Projection": {"ProjectionType": ix.projection},
                }
                for ix in self.indexes
            ]
        if self.stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        return kwargs


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


ACCOUNTS = Table(
    "accounts",
    Key("id"),
    # Sparse, keys-only index so admins can list accounts newest first without a scan.
    indexes=(Index("by_created", Key("entity"), Key("created_at"), projection="KEYS_ONLY"),),
)
EMAILS = Table("emails", Key("email"))  # one item per claimed email: makes uniqueness atomic
API_KEYS = Table("api_keys", Key("id"), indexes=(Index("by_account", Key("account_id"), Key("created_at")),))
SESSIONS = Table("sessions", Key("family_id"), ttl_attribute="expires_at_epoch")
LEDGER = Table("ledger", Key("account_id"), Key("entry_key"))
CALLS = Table(
    "calls",
    Key("id"),
    indexes=(
        Index("by_buyer", Key("buyer_id"), Key("created_at")),
        Index("by_seller", Key("seller_id"), Key("created_at")),
    ),
    stream=True,  # feeds the events function (call.created, call.routed, ...)
)

OPEN_SHARDS = 10  # partitions of the open auctions' index (see AUCTIONS)


def open_shard(auction_id: str) -> str:
    """The `open_flag` of an open auction: a stable shard of the open-auctions index from its id."""
    return f"open#{int(hashlib.sha256(auction_id.encode()).hexdigest()[:8], 16) % OPEN_SHARDS}"


AUCTIONS = Table(
    "auctions",
    Key("id"),
    # Sparse: only open auctions carry `open_flag`. Its value is one of OPEN_SHARDS (`open#0`..`open#9`,
    # from the auction id), so openings and closes spread over ten index partitions instead of one, and
    # KEYS_ONLY, so a bid (which updates `bid_count`, never a key) does not write the index at all.
    # Listing open auctions merges the shards' queries (dce.adapters.auctions_repo.list_open).
    indexes=(Index("open_by_end", Key("open_flag"), Key("ends_at"), projection="KEYS_ONLY"),),
    stream=True,  # auction.opened, auction.closed (buyer)
)
# A seller's one live bid per auction is the item (auction_id, seller_id): "not higher" is a condition.
BIDS = Table(
    "bids",
    Key("auction_id"),
    Key("seller_id"),
    indexes=(Index("by_id", Key("id")), Index("by_seller", Key("seller_id"), Key("placed_at"))),
    stream=True,  # bid.placed, auction.closed (each bidder: won/lost)
)
# Sparse `active_flag` on active profiles: opening an auction reads only those (auto-bid).
BID_PROFILES = Table(
    "bid_profiles",
    Key("id"),
    indexes=(Index("by_seller", Key("seller_id"), Key("created_at")), Index("active", Key("active_flag"), Key("id"))),
)
# Powertools idempotency records (Idempotency-Key on POST), expired by TTL.
IDEMPOTENCY = Table("idempotency", Key("id"), ttl_attribute="expiration")
# Fixed-window counters (velocity limits): atomic ADD with a condition, expired by TTL.
COUNTERS = Table("counters", Key("key"), ttl_attribute="expires_at_epoch")
# Do-Not-Call listings, one item per E.164 number; an expiring listing also carries a TTL.
DNC = Table("dnc", Key("phone_number"), ttl_attribute="expires_at_epoch")
# Compliance settings: (tcpa, hours) and (geo, state#CA | country#44). The pre-call check reads the DNC
# item and these in ONE BatchGetItem; listing the restrictions is one Query on pk = geo.
COMPLIANCE_SETTINGS = Table("compliance_settings", Key("pk"), Key("sk"))
# Rate limits shared by every instance: a token bucket per caller and failed-login counters; idle items expire.
RATE_LIMITS = Table("rate_limits", Key("key"), ttl_attribute="expires_at_epoch")

# Open WebSocket connections (API Gateway's 2 h limit as TTL), found by account for the fan-out; admin
# connections also carry a sparse `admin_flag` so "admins see everything" is one small query.
CONNECTIONS = Table(
    "connections",
    Key("id"),
    indexes=(Index("by_account", Key("account_id"), Key("id")), Index("admins", Key("admin_flag"), Key("id"))),
    ttl_attribute="expires_at_epoch",
)
# Domain events as delivered (id derived from the stream record: a redelivery rewrites the same item).
EVENTS = Table("events", Key("id"), ttl_attribute="expires_at_epoch")

TABLES: tuple[Table, ...] = (
    ACCOUNTS,
    EMAILS,
    API_KEYS,
    SESSIONS,
    LEDGER,
    CALLS,
    AUCTIONS,
    BIDS,
    COUNTERS,
    BID_PROFILES,
    IDEMPOTENCY,
    DNC,
    COMPLIANCE_SETTINGS,
    CONNECTIONS,
    EVENTS,
    RATE_LIMITS,
)
