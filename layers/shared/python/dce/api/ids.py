"""Ids in paths and task inputs: UUIDs, in canonical form."""

from __future__ import annotations

import uuid

from dce.domain.errors import InvalidUuid


def parse_uuid(raw: str) -> str:
    """A path id must be a UUID (400 INVALID_UUID otherwise); returned in canonical form."""
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError) as exc:
        raise InvalidUuid() from exc
