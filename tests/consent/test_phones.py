"""E.164 normalisation: numbers kept as given, never guessed, a clear reason when unusable."""

import pytest

from app.consent import phones
from app.consent.phones import PhoneStatus, lookup_key, normalise, region_code
from tests.consent.payloads import FR_PHONE, UK_PHONE, US_PHONE


@pytest.mark.parametrize("raw", ["+1 201-555-0123", "+1 (201) 555 0123", "+12015550123",
                                 "  +1.201.555.0123 ", "+１２０１５５５０１２３"])
def test_international_formats_normalise_to_e164(raw):
    assert normalise(raw) == phones.PhoneResult(PhoneStatus.VALID, US_PHONE)


def test_national_number_is_read_in_the_given_country():
    assert normalise("(201) 555-0123", "US").e164 == US_PHONE
    assert normalise("07911 123456", "gb").e164 == UK_PHONE


@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("+44 7911 123456", "US", UK_PHONE),
    ("+33 6 12 34 56 78", "US", FR_PHONE),
    ("+33 6 12 34 56 78", None, FR_PHONE),
])
def test_foreign_international_number_keeps_its_own_country(raw, country, expected):
    assert normalise(raw, country).e164 == expected


def test_uk_national_number_with_us_country_is_invalid_not_guessed():
    result = normalise("07911 123456", "US")
    assert result.status is PhoneStatus.INVALID and result.e164 is None
    assert result.reason == "not a possible number: too long"


@pytest.mark.parametrize(("raw", "country", "reason"), [
    ("hello", "US", phones.REASON_NOT_A_NUMBER),
    ("12", "US", "not a possible number: too short"),
    ("+1 555 555 5555", None, phones.REASON_NOT_VALID),
    ("+1201555012345678", None, "not a possible number: too long"),
    ("555-0123", "US", "not a possible number: local number without area code"),
    ("+999 1234567", None, phones.REASON_UNKNOWN_COUNTRY_CODE),
    ("201-555-0123", None, phones.REASON_NO_REGION),
    ("201-555-0123", "XX", phones.REASON_UNSUPPORTED_REGION),
    ("201-555-0123", 42, phones.REASON_UNSUPPORTED_REGION),
])
def test_invalid_number_has_a_clear_reason(raw, country, reason):
    assert normalise(raw, country) == phones.PhoneResult(PhoneStatus.INVALID, reason=reason)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_absent_phone_is_missing(raw):
    assert normalise(raw).status is PhoneStatus.MISSING
    assert normalise(raw).reason == phones.REASON_MISSING


@pytest.mark.parametrize("raw", [12015550123, True, ["+12015550123"], {"number": "+12015550123"},
                                 "+1 201 555 0123" + " " * 80])
def test_non_text_or_overlong_value_is_a_malformed_attribute(raw):
    assert normalise(raw, "US") == phones.PhoneResult(PhoneStatus.INVALID, reason=phones.REASON_MALFORMED)


def test_region_code_accepts_known_alpha2_codes_only():
    assert region_code(" gb ") == "GB"
    assert region_code("XX") is None and region_code(None) is None and region_code(["US"]) is None


def test_lookup_key_is_e164_when_the_number_parses_else_the_trimmed_text():
    assert lookup_key("+1 (201) 555-0123") == US_PHONE
    assert lookup_key(" 12345 ") == "12345"
