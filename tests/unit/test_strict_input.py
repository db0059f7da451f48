"""Strict input (issue 14), the pure parts: the body parser, money on the wire, the plain-text rule, the
contract's words in messages and the status-change messages. Over the real handlers:
tests/integration/test_strict_input_api.py and tests/e2e/test_strict_input.py."""

from __future__ import annotations

import importlib
import pkgutil
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import dce.api.schemas
from dce.api.errors import safe_validation_message
from dce.api.json_body import NON_FINITE, parse_json, parse_object
from dce.api.openapi import document
from dce.api.schemas.common import Money, MoneyIn
from dce.domain.accounts import check_plain_text, plain_text_problem
from dce.domain.calls import TRANSITIONS, CallStatus, check_status_change, check_transition
from dce.domain.errors import InvalidState, ValidationFailed
from dce.domain.money import decimal_places

# --- the body parser -----------------------------------------------------------------------------


def test_a_number_with_a_fraction_or_an_exponent_is_read_exactly_as_decimal_never_float():
    body = parse_json('{"a": 0.00999999999999999999, "b": 10, "c": 1e400, "d": 10.50, "e": -0.0}')
    assert body == {"a": Decimal("0.00999999999999999999"), "b": 10, "c": Decimal("1E+400"), "d": Decimal("10.50")} | {
        "e": Decimal("-0.0")
    }
    assert type(body["b"]) is int and str(body["a"]) == "0.00999999999999999999"
    assert not any(isinstance(v, float) for v in body.values())


def test_nan_and_infinities_become_a_marker_no_field_accepts():
    assert parse_json("[NaN, Infinity, -Infinity]") == [NON_FINITE] * 3


@pytest.mark.parametrize("text", ["1e999999999999999999999", "1" + "0" * 5000, "{", "[1,]"])
def test_unreadable_numbers_and_bad_syntax_are_value_errors(text: str):
    with pytest.raises(ValueError):
        parse_json(text)


@pytest.mark.parametrize("text", ['[{"a": 1}]', "[]", '"x"', "1", "1.5", "null", "true"])
def test_a_body_that_is_not_an_object_is_refused_naming_the_body(text: str):
    with pytest.raises(ValidationFailed) as error:
        parse_object(text)
    assert error.value.message == "Invalid body: must be a JSON object"


def test_an_object_body_is_returned_as_parsed():
    assert parse_object('{"amount": 1.25}') == {"amount": Decimal("1.25")}


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("10", 0),
        ("10.50", 1),
        ("10.05", 2),
        ("1E+3", 0),
        ("0", 0),
        ("0E-9", 0),
        ("1.005", 3),
        ("0.00999999999999999999", 20),
        ("0.00999999999999999999999999999999999", 35),
        ("1E-999999", 999999),
    ],
)
def test_decimal_places_are_counted_exactly_without_the_contexts_rounding(text: str, places: int):
    assert decimal_places(Decimal(text)) == places


BID = TypeAdapter(Annotated[Decimal, Money(ge=Decimal("0.01"), le=Decimal("1000.00"))])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, Decimal("10.00")),
        (Decimal("10.5"), Decimal("10.50")),
        (Decimal("0.01"), Decimal("0.01")),
        (Decimal("1000.000"), Decimal("1000.00")),
        (Decimal("1E+1"), Decimal("10.00")),
    ],
    ids=str,
)
def test_a_json_number_in_whole_cents_is_money(value: Any, expected: Decimal):
    amount = BID.validate_python(value)
    assert amount == expected and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("10", "money_type"),
        (" 5 ", "money_type"),
        ("\u0665", "money_type"),  # ARABIC-INDIC DIGIT FIVE: Decimal() reads it as 5
        (True, "money_type"),
        (False, "money_type"),
        (10.5, "money_type"),
        (NON_FINITE, "money_type"),
        (Decimal("NaN"), "money_type"),
        (None, "money_type"),
        (Decimal("0.00999999999999999999"), "money_places"),
        (Decimal("1.005"), "money_places"),
        (Decimal("1E+400"), "less_than_equal"),
        (Decimal("-1E+400"), "greater_than_equal"),
        (0, "greater_than_equal"),
        (Decimal("1000.01"), "less_than_equal"),
        (10**4000, "less_than_equal"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_anything_else_is_refused_never_coerced_nor_rounded(value: Any, kind: str):
    with pytest.raises(ValidationError) as error:
        BID.validate_python(value)
    assert error.value.errors()[0]["type"] == kind


def test_unbounded_money_in_still_refuses_text_and_fractions_of_a_cent():
    money = TypeAdapter(MoneyIn)
    assert money.validate_python(Decimal("1E+30")) == Decimal("1E+30")  # unbounded: no quantize past 28 digits
    for value in ("1", Decimal("0.001"), 1.0):
        with pytest.raises(ValidationError):
            money.validate_python(value)


def test_money_is_documented_as_a_number_in_cents_with_its_bounds():
    optional = TypeAdapter(Annotated[Decimal, Money(ge=Decimal("0.00"), le=Decimal("5"))] | None).json_schema()
    assert optional["anyOf"][0] == {"type": "number", "multipleOf": 0.01, "minimum": 0.0, "maximum": 5.0}
    assert BID.json_schema() == {"type": "number", "multipleOf": 0.01, "minimum": 0.01, "maximum": 1000.0}


def request_models() -> list[type[BaseModel]]:
    found = []
    for info in pkgutil.iter_modules(dce.api.schemas.__path__):
        module = importlib.import_module(f"dce.api.schemas.{info.name}")
        found += [v for k, v in vars(module).items() if k.endswith("In") and isinstance(v, type)]
    return [m for m in found if issubclass(m, BaseModel)]


def test_every_decimal_field_of_every_request_model_is_money():
    """A new Decimal input without `Money` would take strings and floats again."""
    for model in request_models():
        for name, field in model.model_fields.items():
            annotation = str(field.annotation)
            if "Decimal" in annotation:
                assert any(isinstance(m, Money) for m in field.metadata) or "Money(" in annotation, (model, name)


def numbers_in(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        own = [(path, schema)] if schema.get("type") == "number" else []
        return own + [n for k, v in schema.items() for n in numbers_in(v, f"{path}.{k}")]
    if isinstance(schema, list):
        return [n for i, v in enumerate(schema) for n in numbers_in(v, f"{path}.{i}")]
    return []


def test_every_number_a_request_may_carry_is_documented_as_money_never_as_number_or_string():
    doc = document()
    schemas = doc["components"]["schemas"]
    inputs = {name: s for name, s in schemas.items() if name.endswith("In")}
    assert inputs
    for name, schema in inputs.items():
        for path, number in numbers_in(schema, name):
            assert number.get("multipleOf") == 0.01, path
            assert not {"ge", "le", "gt", "lt", "decimal_places"} & set(number), path  # pydantic's raw names
        for prop, sub in schema.get("properties", {}).items():
            options = [o.get("type") for o in sub.get("anyOf", [])]
            assert not ("number" in options and "string" in options), f"{name}.{prop}"


# --- plain text ----------------------------------------------------------------------------------

FORBIDDEN = {
    "C0 NUL": "\x00",
    "C0 TAB": "\t",
    "C0 LF": "\n",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
    "LRE U+202A": "\u202a",
    "RLO U+202E": "\u202e",
    "LRI U+2066": "\u2066",
    "PDI U+2069": "\u2069",
    "ZWSP U+200B": "\u200b",
    "ZWJ U+200D": "\u200d",
    "WJ U+2060": "\u2060",
    "BOM U+FEFF": "\ufeff",
    "LS U+2028": "\u2028",
    "PS U+2029": "\u2029",
}


@pytest.mark.parametrize("char", FORBIDDEN.values(), ids=FORBIDDEN.keys())
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_control_bidi_and_zero_width_characters_are_refused_anywhere(char: str, where: str):
    text = {"start": char + "Acme", "middle": "Ac" + char + "me", "end": "Acme" + char}[where]
    assert plain_text_problem(text) == "control, bidi and zero-width characters are not allowed"
    with pytest.raises(ValidationFailed) as error:
        check_plain_text(text, "company_name")
    assert error.value.message == "Invalid company_name: control, bidi and zero-width characters are not allowed"


@pytest.mark.parametrize(
    "text",
    [
        "Café Olé",
        "שלום עולם",
        "مرحبا",
        "東京コール",
        "O'Brien & Sons; Ltd.",
        "50% off — “quotes”",
        "🙂 calls",
        "a\u200eb",  # LRM (a non-embedding mark, common in right-to-left text) is not in the contract's list
    ],
)
def test_ordinary_text_in_any_script_is_plain_text(text: str):
    assert plain_text_problem(text) is None
    assert check_plain_text(text, "name") == text


def test_text_is_stored_nfc_normalised_and_measured_after_normalising():
    assert check_plain_text("Cafe\u0301", "company_name") == "Caf\u00e9"
    assert check_plain_text("  e\u0301  ", "reason") == "\u00e9"
    assert check_plain_text("e\u0301" * 200, "company_name") == "\u00e9" * 200  # 400 code points, 200 characters


def test_markup_is_still_refused():
    assert plain_text_problem("<b>") == "markup is not allowed"
    assert plain_text_problem("javascript:alert(1)") == "markup is not allowed"


# --- messages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "string_too_short", "string_type"])
def test_a_phone_field_is_named_in_the_contracts_words_whatever_the_failure(kind: str):
    for field, words in (("from_number", "from number"), ("to_number", "to number"), ("phone_number", "phone number")):
        assert safe_validation_message(field, {"type": kind, "msg": "x"}).startswith(f"Invalid {words}: ")


def test_a_negative_reserve_price_is_the_contracts_sentence():
    message = safe_validation_message("reserve_price", {"type": "greater_than_equal", "msg": "x"})
    assert message == "Reserve price cannot be negative"


def test_a_patch_to_a_reserved_or_same_status_lists_the_allowed_next_states():
    with pytest.raises(InvalidState) as completed:
        check_status_change(CallStatus.PENDING, CallStatus.COMPLETED)
    assert completed.value.message == (
        "Cannot change call status from pending to completed (completed is set by POST /calls/{id}/complete); "
        "allowed: queued (by POST /calls/{id}/route), failed, canceled"
    )
    with pytest.raises(InvalidState) as same:
        check_status_change(CallStatus.PENDING, CallStatus.PENDING)
    assert same.value.message == (
        "Cannot change call status from pending to pending; "
        "allowed: queued (by POST /calls/{id}/route), failed, canceled"
    )


@pytest.mark.parametrize("final", [s for s in CallStatus if not TRANSITIONS[s]])
@pytest.mark.parametrize("target", list(CallStatus))
def test_a_finished_call_says_so(final: CallStatus, target: CallStatus):
    for check in (check_status_change, check_transition):
        with pytest.raises(InvalidState) as error:
            check(final, target)
        assert error.value.message.endswith("; allowed: none: the call is finished")


@pytest.mark.parametrize("current", list(CallStatus))
@pytest.mark.parametrize("target", list(CallStatus))
def test_every_refused_status_change_lists_each_allowed_next_state(current: CallStatus, target: CallStatus):
    try:
        check_status_change(current, target)
    except InvalidState as error:
        assert all(str(state) in error.message.split("; allowed: ")[1] for state in TRANSITIONS[current])
    else:
        assert target in TRANSITIONS[current]
