import pytest

from dce.domain.accounts import CardOnFile, check_password, check_plain_text, normalise_email
from dce.domain.errors import ValidationFailed


def test_emails_are_lowercased_and_trimmed():
    assert normalise_email("  Buyer@Example.COM ") == "buyer@example.com"


@pytest.mark.parametrize("raw", ["no-at-sign", "a@b", "a@" + "x" * 250 + ".com", "<script>@x.com", "a b@x.com"])
def test_bad_emails_are_refused(raw):
    with pytest.raises(ValidationFailed):
        normalise_email(raw)


@pytest.mark.parametrize("password", ["short", "x" * 11, "x" * 129])
def test_passwords_must_be_12_to_128_characters(password):
    with pytest.raises(ValidationFailed):
        check_password(password)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('XSS')</script>",
        "javascript:alert('XSS')",
        "<img src=x onerror=alert(1)>",
        "a\x00b",
        "x onload = y",
    ],
)
def test_markup_in_names_is_refused(text):
    with pytest.raises(ValidationFailed):
        check_plain_text(text, "company_name")


def test_plain_names_are_kept():
    assert check_plain_text("  O'Brien & Sons, Inc.  ", "company_name") == "O'Brien & Sons, Inc."


def test_only_brand_and_last_four_digits_of_a_card_are_kept():
    card = CardOnFile.from_input("4111 1111 1111 1111", "123", "12/30")
    assert (card.brand, card.last4, card.masked) == ("visa", "1111", "****1111")
    assert "123" not in repr(card)


@pytest.mark.parametrize(("number", "cvv"), [("4111111111111112", "123"), ("4111111111111111", "12"), ("abcd", "123")])
def test_invalid_cards_are_refused(number, cvv):
    with pytest.raises(ValidationFailed):
        CardOnFile.from_input(number, cvv, None)
