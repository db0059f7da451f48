"""Phone numbers in E.164, parsed and validated with `phonenumbers` (syntax and validity)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dce.domain.errors import ValidationFailed

MAX_INPUT_LENGTH = 32
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A valid phone number, normalised to E.164 (`+14155551234`)."""

    e164: str
    country_code: int

    @classmethod
    def parse(cls, raw: str, field: str = "phone number") -> PhoneNumber:
        """Parse user input; the error names the field but never echoes the raw value."""
        if not isinstance(raw, str) or not raw.startswith("+") or len(raw) > MAX_INPUT_LENGTH:
            raise ValidationFailed(f"Invalid {field}: expected E.164 format such as +14155551234")
        # Imported on first parse: reading stored numbers back (the timer's close, the stream) needs no parser.
        import phonenumbers

        try:
            parsed = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException as exc:
            if _E164.fullmatch(raw):  # the right shape, no number of any country (`+10`): as for an invalid one
                raise ValidationFailed(f"Invalid {field}: not a valid phone number") from exc
            raise ValidationFailed(f"Invalid {field}: expected E.164 format such as +14155551234") from exc
        if not phonenumbers.is_valid_number(parsed):
            raise ValidationFailed(f"Invalid {field}: not a valid phone number")
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return cls(e164=e164, country_code=int(parsed.country_code or 0))

    def __str__(self) -> str:
        return self.e164
