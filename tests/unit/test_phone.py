import pytest

from dce.domain.errors import ValidationFailed
from dce.domain.phone import PhoneNumber


@pytest.mark.parametrize(
    ("raw", "e164", "cc"),
    [("+14155551234", "+14155551234", 1), ("+18005551234", "+18005551234", 1), ("+442071838750", "+442071838750", 44)],
)
def test_valid_numbers_are_normalised_to_e164(raw, e164, cc):
    number = PhoneNumber.parse(raw)
    assert number.e164 == e164
    assert number.country_code == cc


@pytest.mark.parametrize(
    "raw",
    [
        "4155559999",
        "+1415",
        "+1 (415) 555-1234 ext 99999999999999999999",
        "'; DROP TABLE calls; --",
        "<script>",
        "+99912345",
    ],
)
def test_invalid_numbers_are_refused_without_echoing_the_input(raw):
    with pytest.raises(ValidationFailed) as error:
        PhoneNumber.parse(raw, "to number")
    assert error.value.message.startswith("Invalid to number")
    assert raw not in error.value.message
