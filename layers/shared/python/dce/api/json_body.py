"""Request bodies as the handlers read them: JSON parsed exactly, an object at the top.

One parser for the whole API. The edge checks (`dce.api.app.edge_checks`) use it for the syntax check and
the resolver hands it to Powertools as `json_body_deserializer`, so what the models validate is what it
returns: a number with a fraction or an exponent is a `Decimal` built from the request's text (never a float:
`0.00999999999999999999` stays that, it does not become 0.01), an integer an `int`, and `NaN`, `Infinity`
and `-Infinity` (which Python's json accepts) a marker no field type accepts, so the error names the field.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from dce.domain.errors import ValidationFailed


class NonFiniteNumber:
    """What `NaN`, `Infinity` and `-Infinity` in a body become: not a number any field accepts."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NonFiniteNumber()"


NON_FINITE: Final = NonFiniteNumber()


def _non_finite(_: str) -> NonFiniteNumber:
    return NON_FINITE


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # an exponent beyond Decimal's range (1e999999999999999999)
        raise ValueError("number out of range") from exc


def parse_json(text: str | bytes) -> Any:
    """The JSON value of `text`: numbers with a fraction or an exponent as Decimal, never float.
    Raises ValueError (bad JSON, a number out of range) or RecursionError (nesting deeper than Python's stack)."""
    return json.loads(text, parse_float=_decimal, parse_constant=_non_finite)


def parse_object(text: str | bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (every body of this API is one): an array, a string, a
    number or null is 400 VALIDATION_ERROR. Powertools would take an array's first item as the body."""
    value = parse_json(text)
    if not isinstance(value, dict):
        message = "Invalid body: must be a JSON object"
        raise ValidationFailed(message, details=[{"field": "body", "message": message}])
    return value
