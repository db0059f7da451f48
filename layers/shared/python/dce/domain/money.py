"""Money: US dollars as a `Decimal` quantized to cents. Never float arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from dce.domain.errors import ValidationFailed

CENT = Decimal("0.01")
CURRENCY = "USD"


def decimal_places(amount: Decimal) -> int:
    """The decimal places a finite amount needs, counted exactly (no context, no rounding): 10 → 0,
    10.50 → 1, 0.00999999999999999999 → 20. `normalize()` would round to the context's 28 digits first."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError("not a finite amount")
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return 0 if trailing_zeros == len(digits) else max(0, -(exponent + trailing_zeros))


def to_cents(value: Decimal | int | str) -> Decimal:
    """Quantize an exact amount to 2 places; refuse more precision than a cent, NaN and infinities."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationFailed("Invalid amount: not a number") from exc
    if not amount.is_finite():
        raise ValidationFailed("Invalid amount: not a finite number")
    quantized = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if quantized != amount:
        raise ValidationFailed("Invalid amount: at most 2 decimal places")
    return quantized


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount of USD, always exactly representable in cents."""

    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_cents(self.amount))

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal("0.00"))

    @classmethod
    def of(cls, value: Decimal | int | str) -> Money:
        return cls(to_cents(value))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - other.amount)

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def times(self, factor: int) -> Money:
        """Multiply by a whole number (e.g. billed minutes)."""
        return Money(self.amount * factor)

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount:.2f}"
