"""Do-Not-Call, TCPA calling hours, geographic restrictions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from dce_client.models._base import Model


class DncList(StrEnum):
    INTERNAL = "internal"
    FEDERAL = "federal"
    STATE = "state"
    CUSTOM = "custom"


class DncStatus(Model):
    phone_number: str
    is_dnc: bool
    reason: str | None = None
    list: DncList | None = None
    expires_at: datetime | None = None


class InvalidLine(Model):
    line: int
    message: str


class DncImportResult(Model):
    imported: int
    invalid_count: int
    invalid: list[InvalidLine]


class TcpaHours(Model):
    start_time: str  # "HH:MM", included
    end_time: str  # "HH:MM", excluded
    timezone: str  # IANA


class GeoRestriction(Model):
    state: str | None = None
    country_code: int | None = None
    restricted: bool
    reason: str
    created_at: datetime
