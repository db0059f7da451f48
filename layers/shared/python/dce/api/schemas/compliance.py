"""Request and response bodies for compliance: DNC, TCPA calling hours, geographic restrictions."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

import phonenumbers
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dce.api.schemas.common import PLAIN_TEXT, Phone, Timestamp
from dce.domain.compliance import (
    MAX_IMPORT_NUMBERS,
    REASON_MAX,
    US_STATES,
    CallingHours,
    GeoRestriction,
    InvalidLine,
    Region,
    RegionKind,
)
from dce.domain.errors import ValidationFailed
from dce.services.compliance import DncStatus

DncListName = Literal["internal", "federal", "state", "custom"]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=REASON_MAX), PLAIN_TEXT]
HhMm = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
# An E.164 number is at most 16 characters; a list line holds one or more, plus separators.
IMPORT_MAX_CHARS = MAX_IMPORT_NUMBERS * 24
_DATE_TIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]")


def _date_time_text(value: object) -> object:
    """A time is RFC 3339 text: pydantic would also take a number (or numeric text) as Unix seconds."""
    if not isinstance(value, str) or not _DATE_TIME_START.match(value):
        raise PydanticCustomError("datetime_type", "must be an RFC 3339 date-time such as 2031-01-01T00:00:00Z")
    return value


Rfc3339 = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]
FUTURE = "RFC 3339 with a zone, in the future (a past time is 400); the listing stops blocking then"


def _either_case(code: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" for c in code)


# The regions a geographic restriction can name, as the document spells them: a US state code (the 50 states,
# DC and the territories with their own area codes), in either case, or a country calling code.
_STATES = "|".join(_either_case(state) for state in sorted(US_STATES))
STATE_PATTERN = f"^(?:{_STATES})$"
CALLING_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
# A region in a path (DELETE .../restrictions/{state}): a state, or a calling code with or without its `+`.
REGION_PATTERN = rf"^(?:{_STATES}|\+?(?:{'|'.join(map(str, CALLING_CODES))}))$"


class DncIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"phone_number": "+14155551234", "reason": "consumer asked", "list": "internal"}]
        }
    )

    phone_number: Phone
    reason: Reason
    list: DncListName = "internal"
    expires_at: Rfc3339 | None = Field(default=None, description=FUTURE)


class DncImportIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"numbers": "+14155551234\n+12125551234,+13105550100", "reason": "federal list 2025-06"}]
        }
    )

    numbers: str = Field(
        min_length=1,
        max_length=IMPORT_MAX_CHARS,
        description=f"E.164 numbers separated by newlines and/or commas, at most {MAX_IMPORT_NUMBERS}",
    )
    reason: Reason
    list: DncListName = "internal"
    expires_at: Rfc3339 | None = Field(default=None, description=FUTURE)


class DncStatusOut(BaseModel):
    phone_number: str
    is_dnc: bool
    reason: str | None = None
    list: DncListName | None = None
    expires_at: Timestamp | None = None

    @classmethod
    def of(cls, status: DncStatus) -> DncStatusOut:
        entry = status.entry
        if entry is None:
            return cls(phone_number=status.phone_number, is_dnc=False)
        return cls(
            phone_number=status.phone_number,
            is_dnc=True,
            reason=entry.reason,
            list=entry.list.value,
            expires_at=entry.expires_at,
        )


class InvalidLineOut(BaseModel):
    line: int
    message: str

    @classmethod
    def of(cls, invalid: InvalidLine) -> InvalidLineOut:
        return cls(line=invalid.line, message=invalid.message)


class DncImportOut(BaseModel):
    imported: int = Field(description="Distinct valid numbers listed")
    invalid_count: int
    invalid: list[InvalidLineOut] = Field(description="Invalid entries by line (the first 1000)")


class TcpaHoursIn(BaseModel):
    """`start_time` (included) to `end_time` (excluded), `start_time` before `end_time`: a window never spans
    midnight, and `start_time == end_time` (an empty window) is 400."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"start_time": "08:00", "end_time": "21:00", "timezone": "America/New_York"}]}
    )

    start_time: HhMm = Field(description="HH:MM, 00:00 to 23:59; earlier than end_time")
    end_time: HhMm = Field(description="HH:MM, 00:00 to 23:59; later than start_time (excluded)")
    timezone: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+\-/]+$",
        description="An IANA time zone such as America/New_York (another name is 400)",
    )


class TcpaHoursOut(BaseModel):
    start_time: str
    end_time: str
    timezone: str

    @classmethod
    def of(cls, hours: CallingHours) -> TcpaHoursOut:
        return cls(start_time=f"{hours.start:%H:%M}", end_time=f"{hours.end:%H:%M}", timezone=hours.timezone)


class GeoRestrictionIn(BaseModel):
    """Exactly one of `state` (a US state code) or `country_code` (a calling code such as 44)."""

    model_config = ConfigDict(
        json_schema_extra={
            # Exactly one of the two: not both, and the one when not the other (written so that client
            # generators still see one object type: an object-level oneOf would make the body untyped).
            "not": {"required": ["state", "country_code"]},
            "if": {"not": {"required": ["state"]}},
            "then": {"required": ["country_code"]},
            "examples": [
                {"state": "CA", "restricted": True, "reason": "no licence in California"},
                {"country_code": 44, "restricted": True, "reason": "UK later"},
            ],
        }
    )

    # Neither takes null: a region is named or left out (the schema's `required` counts a null as given).
    state: Annotated[
        str | None,
        WithJsonSchema(
            {"type": "string", "pattern": STATE_PATTERN, "description": "A US state or territory code, e.g. CA"}
        ),
    ] = Field(default=None, min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    country_code: Annotated[
        StrictInt | None,
        WithJsonSchema(
            {"type": "integer", "enum": CALLING_CODES, "description": "A country calling code: 44; 1 for the NANP"}
        ),
    ] = None
    restricted: StrictBool = True
    reason: Reason

    @model_validator(mode="after")
    def _one_region(self) -> Self:
        if (self.state is None) == (self.country_code is None) or (self.model_fields_set >= {"state", "country_code"}):
            raise ValueError("give exactly one of state or country_code")
        return self

    def region(self) -> Region:
        if self.state is not None:
            return Region.state(self.state)
        if self.country_code is None:  # excluded by the validator; kept for the type checker
            raise ValidationFailed("Invalid state: give exactly one of state or country_code")
        return Region.country(self.country_code)


class GeoRestrictionOut(BaseModel):
    state: str | None = None
    country_code: int | None = None
    restricted: bool
    reason: str
    created_at: Timestamp

    @classmethod
    def of(cls, rule: GeoRestriction) -> GeoRestrictionOut:
        is_state = rule.region.kind is RegionKind.STATE
        return cls(
            state=rule.region.code if is_state else None,
            country_code=None if is_state else int(rule.region.code),
            restricted=rule.restricted,
            reason=rule.reason,
            created_at=rule.created_at,
        )
