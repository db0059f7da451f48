"""Ids in paths and task inputs: UUIDs, in canonical form."""

from __future__ import annotations

import re
import uuid

from dce.domain.errors import InvalidUuid

# 8-4-4-4-12 hex digits, either case: the OpenAPI `format: uuid` (RFC 9562's string form). Python's UUID() would
# also take braces, a `urn:uuid:` prefix or no hyphens, which the document does not allow.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(raw: str) -> str:
    """A path id must be a UUID (400 INVALID_UUID otherwise); returned in canonical form (lowercase)."""
    if not isinstance(raw, str) or not _UUID.fullmatch(raw):
        raise InvalidUuid()
    return str(uuid.UUID(raw))
