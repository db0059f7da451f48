"""The base of every model: immutable, unknown fields kept (a newer server may add some), exact money."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

CENT = Decimal("0.01")


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _not_float(value: object) -> object:
    # A float would already have lost the exact amount; the transport reads JSON numbers as Decimal.
    return Decimal(repr(value)) if isinstance(value, float) else value


Money = Annotated[Decimal, BeforeValidator(_not_float), AfterValidator(_to_cents)]
"""USD with 2 decimals, a `Decimal` (`Decimal("22.00")`), never a float."""


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
