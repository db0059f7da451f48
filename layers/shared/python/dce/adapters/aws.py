"""boto3 resources, created once per process. `AWS_ENDPOINT_URL` points them at an emulator."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from dce.adapters.tables import Table
from dce.config import settings

_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=50,
)


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    """The DynamoDB service resource (its `meta.client` accepts plain Python values too)."""
    return boto3.resource("dynamodb", region_name=settings().region, config=_CONFIG)


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """A plain DynamoDB client (typed attribute values), for libraries that expect one (Powertools)."""
    return boto3.client("dynamodb", region_name=settings().region, config=_CONFIG)


def table(definition: Table) -> Any:
    return dynamodb().Table(definition.physical_name(settings().table_prefix))


def table_name(definition: Table) -> str:
    return definition.physical_name(settings().table_prefix)


def reset() -> None:
    """Forget cached clients (tests start a fresh emulator per test)."""
    dynamodb.cache_clear()
    dynamodb_client.cache_clear()
