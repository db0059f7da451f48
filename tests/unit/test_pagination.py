from decimal import Decimal

import pytest

from dce.api.pagination import CursorCodec
from dce.domain.errors import ValidationFailed


def test_a_cursor_round_trips_and_cannot_be_forged():
    codec = CursorCodec("k" * 40)
    key = {"buyer_id": "b1", "created_at": "2026-01-01T00:00:00.000000Z", "n": Decimal(3)}
    cursor = codec.encode(key)
    assert cursor is not None
    assert codec.decode(cursor) == key
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    with pytest.raises(ValidationFailed):
        codec.decode(tampered)
    with pytest.raises(ValidationFailed):
        CursorCodec("other" * 10).decode(cursor)
    assert codec.encode(None) is None and codec.decode(None) is None
