"""Shared schema pieces: money and plain text on the wire, the error shape, pagination links."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from dce.adapters.items import ts
from dce.domain.accounts import EMAIL_MAX, EMAIL_PATTERN, plain_text_problem
from dce.domain.money import CENT, decimal_places

if TYPE_CHECKING:  # the events function renders these schemas without loading Powertools' resolver
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

# Money is a JSON number with at most 2 decimals. float() of a 2-place Decimal prints the exact
# shortest representation (88.1, 1000.0), so no precision is lost on the wire.
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "multipleOf": 0.01}),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(ts, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email_format", "expected an address such as name@example.com")
    return value


def _e164(value: str) -> str:
    if not _E164.fullmatch(value):
        raise PydanticCustomError("phone_format", "expected E.164 format such as +14155551234")
    return value


# An email address in a request body: what `normalise_email` accepts, before it lowercases it.
_EMAIL = re.compile(EMAIL_PATTERN)
Email = Annotated[
    str,
    StringConstraints(max_length=EMAIL_MAX),
    AfterValidator(_email),
    Field(json_schema_extra={"format": "email", "pattern": EMAIL_PATTERN}),
]
# A phone number in a request: E.164, `+` and up to 15 digits. Its validity (a number of its country's numbering
# plan) is `phonenumbers`' to decide: "Invalid ...: not a valid phone number".
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
_E164 = re.compile(E164_PATTERN)
PHONE_DESCRIPTION = "E.164 (`+14155551234`): a valid number of its country's numbering plan"
Phone = Annotated[
    str,
    AfterValidator(_e164),
    Field(json_schema_extra={"pattern": E164_PATTERN, "description": PHONE_DESCRIPTION}),
]
# An id in a response body: a UUID in canonical form (lowercase, 8-4-4-4-12).
Id = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
# An id in a request body: documented as a UUID; whatever is not one is 400 INVALID_UUID (dce.api.ids.parse_uuid,
# where the routers read it), so it is not refused by the schema as a VALIDATION_ERROR first.
UuidIn = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]

# Above this many digits before the point an amount is left unquantized (its bounds refuse it): quantizing
# needs every digit within the decimal context's 28.
_QUANTIZABLE = 26


def _json_money(value: object) -> Decimal:
    """A money field's value as the body parser gives it (`dce.api.json_body`): an int, or a Decimal read
    from the request's text. A string, boolean, float or NaN/Infinity is refused, and so is a fraction of a
    cent (never rounded)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
        raise PydanticCustomError("money_type", "must be a JSON number such as 12.50, not a string or boolean")
    amount = Decimal(value)
    if decimal_places(amount) > 2:
        raise PydanticCustomError("money_places", "must be whole cents: at most 2 decimal places")
    return amount.quantize(CENT) if amount.adjusted() < _QUANTIZABLE else amount


@dataclass(frozen=True, slots=True)
class Money:
    """Makes a `Decimal` request field money, bounds included: `Annotated[Decimal, Money(ge=..., le=...)]`
    (optional: `Annotated[Decimal, Money(...)] | None`). Give the bounds here, not in `Field`: pydantic
    cannot fold `Field` bounds into this type and documents them under names OpenAPI does not know.

    On the wire: a JSON number (`10`, `10.5`, `10.50`) with at most 2 decimal places, read exactly; the
    document says `type: number, multipleOf: 0.01` with the bounds. The value is a Decimal in cents."""

    ge: Decimal | None = None
    gt: Decimal | None = None
    le: Decimal | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        bounded = core_schema.decimal_schema(ge=self.ge, gt=self.gt, le=self.le)
        return core_schema.no_info_before_validator_function(_json_money, bounded)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        document: dict[str, Any] = {"type": "number", "multipleOf": 0.01}
        for key, bound in (("minimum", self.ge), ("exclusiveMinimum", self.gt), ("maximum", self.le)):
            if bound is not None:
                document[key] = float(bound)
        return document


# Money in a request body, without bounds of its own (a bounded field: `Annotated[Decimal, Money(ge=..., le=...)]`).
MoneyIn = Annotated[Decimal, Money()]


def _plain_text(value: object) -> object:
    """Free text: refused when `plain_text_problem` (the domain's rule) names something, else NFC-normalised
    before the field's own limits apply. Anything but a string is left to the `str` type to refuse."""
    if not isinstance(value, str):
        return value
    problem = plain_text_problem(value)
    if problem is not None:
        raise PydanticCustomError("plain_text", problem)
    return unicodedata.normalize("NFC", value)


# The document's spelling of `plain_text_problem` (dce.domain.accounts) and of the services' trimming: no
# hidden character anywhere, no markup (`<`, `>`, `javascript:`/`vbscript:`, `data:text/html`, `on...=`),
# and something left once trimmed. Python's and ECMA-262's regex dialects read it alike.
_HIDDEN = r"\x00-\x1f\x7f-\x9f\u200b-\u200d\u2028-\u202e\u2060\u2066-\u2069\ufeff"
_MARKUP_PATTERN = (
    r"[<>]|(?:[jJ][aA][vV][aA]|[vV][bB])[sS][cC][rR][iI][pP][tT]\s*:"
    r"|[dD][aA][tT][aA]\s*:\s*[tT][eE][xX][tT]/[hH][tT][mM][lL]|\b[oO][nN][a-zA-Z]+\s*="
)
PLAIN_TEXT_PATTERN = rf"^(?![\s\S]*(?:{_MARKUP_PATTERN}))[^{_HIDDEN}]*[^{_HIDDEN}\s][^{_HIDDEN}]*$"


@dataclass(frozen=True, slots=True)
class PlainText:
    """Makes a `str` request field free text: `Annotated[str, StringConstraints(max_length=200), PLAIN_TEXT]`,
    last among the field's metadata so that its constraints stay in the document (pydantic cannot fold them
    into a validated type) and apply to the normalised text. The document gets PLAIN_TEXT_PATTERN unless the
    field has a (narrower) pattern of its own."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_plain_text, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        document: dict[str, Any] = dict(handler(schema))
        document.setdefault("pattern", PLAIN_TEXT_PATTERN)  # a field's own pattern (keywords) is narrower
        return document


# Free text in a request body (names, reasons, call types, keywords). Services check the text again
# (`check_plain_text`) for callers other than HTTP.
PLAIN_TEXT = PlainText()


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    request_id: str
    details: list[ErrorDetail] | None = None


class Error(BaseModel):
    """Every 4xx/5xx body: `{"error": {code, message, request_id, details?}}`."""

    error: ErrorBody


SUCCESS_DESCRIPTIONS = {200: "OK", 201: "Created", 204: "No content"}


def error_docs(*statuses: int, success: int | tuple[int, ...] = 200) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses=` entries: the route's success status(es), documented with its return type, and
    the error statuses it can answer. (Given `responses=`, Powertools documents no other status.)"""
    docs: dict[int, OpenAPIResponse] = {}
    for status in (success,) if isinstance(success, int) else success:
        docs[status] = {"description": SUCCESS_DESCRIPTIONS.get(status, "OK")}
        if status == 204:
            docs[status]["content"] = {}  # no body: keeps Powertools from documenting one
    for status in statuses:
        docs[status] = {"description": "Error", "content": {"application/json": {"model": Error}}}
    return docs


def next_link(path: str, limit: int, cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    return {"Link": f'<{path}?limit={limit}&cursor={cursor}>; rel="next"'}
