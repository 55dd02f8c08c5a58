"""Phone numbers to E.164: parsed as given, never guessed or corrected, with a reason when unusable."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

# Longer than any dialable number with formatting and an extension: anything past it is junk.
MAX_PHONE_CHARS = 64


class PhoneStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"


REASON_MISSING = "no phone on checkout"
REASON_MALFORMED = "malformed attribute"
REASON_NOT_A_NUMBER = "not a phone number"
REASON_UNSUPPORTED_REGION = "unsupported region"
REASON_NO_REGION = "national number without a country"
REASON_UNKNOWN_COUNTRY_CODE = "unknown country calling code"
REASON_NOT_VALID = "not a valid number"

_PARSE_REASONS = {
    NumberParseException.NOT_A_NUMBER: REASON_NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: "not a possible number: too short",
    NumberParseException.TOO_SHORT_NSN: "not a possible number: too short",
    NumberParseException.TOO_LONG: "not a possible number: too long",
}
_POSSIBILITY_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: REASON_UNKNOWN_COUNTRY_CODE,
    ValidationResult.TOO_SHORT: "not a possible number: too short",
    ValidationResult.TOO_LONG: "not a possible number: too long",
    ValidationResult.INVALID_LENGTH: "not a possible number: invalid length",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "not a possible number: local number without area code",
}


@dataclass(frozen=True)
class PhoneResult:
    status: PhoneStatus
    e164: str | None = None
    reason: str | None = None

    @property
    def is_valid(self) -> bool:
        return self.status is PhoneStatus.VALID


MISSING = PhoneResult(PhoneStatus.MISSING, reason=REASON_MISSING)


def is_present(raw: object) -> bool:
    """Whether a field holds anything at all (None and blank strings count as absent)."""
    return raw is not None and not (isinstance(raw, str) and not raw.strip())


def region_code(country: object) -> str | None:
    """An ISO 3166 alpha-2 code as phonenumbers knows it, or None."""
    if not isinstance(country, str):
        return None
    code = country.strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def normalise(raw: object, country: object = None) -> PhoneResult:
    """`raw` as E.164, national numbers read in `country` (e.g. the shipping address's country)."""
    if not is_present(raw):
        return MISSING
    if not isinstance(raw, str) or len(raw) > MAX_PHONE_CHARS:
        return _invalid(REASON_MALFORMED)
    region = region_code(country)
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        return _invalid(_parse_failure(exc, raw, country, region))
    return _validated(number)


def lookup_key(phone: str) -> str:
    """The string a phone is hashed as: E.164 when it parses, else the trimmed text (never refused)."""
    result = normalise(phone)
    return result.e164 if result.is_valid and result.e164 else phone.strip()


def _validated(number: phonenumbers.PhoneNumber) -> PhoneResult:
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility != ValidationResult.IS_POSSIBLE:
        return _invalid(_POSSIBILITY_REASONS.get(possibility, REASON_NOT_VALID))
    if not phonenumbers.is_valid_number(number):
        return _invalid(REASON_NOT_VALID)
    return PhoneResult(PhoneStatus.VALID, phonenumbers.format_number(number, PhoneNumberFormat.E164))


def _parse_failure(exc: NumberParseException, raw: str, country: object, region: str | None) -> str:
    if exc.error_type != NumberParseException.INVALID_COUNTRY_CODE:
        return _PARSE_REASONS.get(exc.error_type, REASON_NOT_A_NUMBER)
    if raw.lstrip().startswith("+"):
        return REASON_UNKNOWN_COUNTRY_CODE
    if is_present(country) and region is None:
        return REASON_UNSUPPORTED_REGION
    return REASON_NO_REGION


def _invalid(reason: str) -> PhoneResult:
    return PhoneResult(PhoneStatus.INVALID, reason=reason)
