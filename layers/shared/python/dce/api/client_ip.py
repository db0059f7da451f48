"""The client's IP address, derived in this one place (anonymous rate limiting, Idempotency-Key scoping,
failed log-in counting): the address API Gateway saw, `requestContext.identity.sourceIp`.

`X-Forwarded-For` is a header anyone can write, so it is ignored unless the deployment names the proxies in
front of the API (`DCE_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated; empty by default). Only
when the connecting address is one of them is the client the nearest X-Forwarded-For address that is not
(each trusted proxy appends the address it saw; what the client wrote itself is further left).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from dce.config import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """`DCE_TRUSTED_PROXIES` parsed; a malformed entry fails loudly (a configuration error)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def _forwarded_for(event: Mapping[str, Any]) -> list[str]:
    values: list[str] = []
    for key, value in (event.get("multiValueHeaders") or {}).items():
        if str(key).lower() == "x-forwarded-for":
            values += [str(v) for v in value or ()]
    if not values:
        values = [str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == "x-forwarded-for"]
    return [address.strip() for value in values for address in value.split(",") if address.strip()]


def client_ip(event: Mapping[str, Any]) -> str | None:
    """The caller's address: API Gateway's `sourceIp`, or behind a trusted proxy the address it forwarded."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    source = str(identity.get("sourceIp") or "") or None
    proxies = trusted_networks(settings().trusted_proxies)
    if source is None or not proxies or not _is_trusted(source, proxies):
        return source
    for address in reversed(_forwarded_for(event)):
        if not _is_trusted(address, proxies):
            return address if _is_address(address) else source
    return source


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
