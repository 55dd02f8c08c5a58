"""When a shopper may be called or texted: their time zones, the legal hours, the next opening."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone


class Window(NamedTuple):
    """A daily local-time interval [start, end) in which contact is allowed."""

    start: time
    end: time

    @property
    def is_empty(self) -> bool:
        """True when no local time falls inside the window (it never opens)."""
        return self.start >= self.end

    def contains(self, local: time) -> bool:
        """True when a local wall-clock time lies inside [start, end)."""
        return self.start <= local < self.end


# TCPA 47 CFR 64.1200(c)(1): no solicitation before 8 a.m. or after 9 p.m. at the called party.
FEDERAL_WINDOW = Window(time(8), time(21))
# Fla. Stat. 501.616(6)(a), 15 O.S. 775C.4, Md. Code Com. Law 14-4501 et seq.: 8 a.m. to 8 p.m.
STRICT_STATE_WINDOW = Window(time(8), time(20))
# Same statutes: at most 3 calls per 24 h on one subject; all three count text messages as calls.
STRICT_STATE_MAX_PER_24H = 3

# The same statutes presume residency from the area code, so these lists must stay complete.
FLORIDA_AREA_CODES = frozenset(
    "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954"
    .split()
)
OKLAHOMA_AREA_CODES = frozenset("405 539 572 580 918".split())
MARYLAND_AREA_CODES = frozenset("227 240 301 410 443 667".split())
STRICT_STATE_AREA_CODES = {
    "FL": FLORIDA_AREA_CODES,
    "OK": OKLAHOMA_AREA_CODES,
    "MD": MARYLAND_AREA_CODES,
}

# What phonenumbers answers for a number it cannot place.
UNKNOWN_ZONE = "Etc/Unknown"
# How far ahead next_window_opening looks before concluding the zones never share a window.
SEARCH_HORIZON = timedelta(days=7)
_NANP_COUNTRY_CODE = 1
_NANP_NATIONAL_LENGTH = 10
_AREA_CODE_LENGTH = 3

_EASTERN = "America/New_York"
_CENTRAL = "America/Chicago"
_MOUNTAIN = "America/Denver"
_ARIZONA = "America/Phoenix"
_PACIFIC = "America/Los_Angeles"
_IDAHO = "America/Boise"
_ALASKA = "America/Anchorage"
_ALEUTIAN = "America/Adak"
_HAWAII = "Pacific/Honolulu"
_ATLANTIC = "America/Halifax"

# Zones per state/province. Where a province spans zones and the address cannot tell which, all
# of them are listed: the window must then hold in each, which errs towards not calling.
_PROVINCE_ZONES: dict[tuple[str, str], frozenset[str]] = {
    (country, province): frozenset(zones)
    for country, table in {
        "US": {
            "AL": [_CENTRAL],
            "AK": [_ALASKA, _ALEUTIAN],  # the western Aleutians keep Hawaii-Aleutian time
            "AZ": [_ARIZONA, _MOUNTAIN],  # the Navajo Nation observes DST, the rest does not
            "AR": [_CENTRAL],
            "CA": [_PACIFIC],
            "CO": [_MOUNTAIN],
            "CT": [_EASTERN],
            "DE": [_EASTERN],
            "DC": [_EASTERN],
            "FL": [_EASTERN, _CENTRAL],  # the panhandle west of the Apalachicola is Central
            "GA": [_EASTERN],
            "HI": [_HAWAII],
            "ID": [_IDAHO, _PACIFIC],
            "IL": [_CENTRAL],
            "IN": [_EASTERN, _CENTRAL],
            "IA": [_CENTRAL],
            "KS": [_CENTRAL, _MOUNTAIN],
            "KY": [_EASTERN, _CENTRAL],
            "LA": [_CENTRAL],
            "ME": [_EASTERN],
            "MD": [_EASTERN],
            "MA": [_EASTERN],
            "MI": [_EASTERN, _CENTRAL],
            "MN": [_CENTRAL],
            "MS": [_CENTRAL],
            "MO": [_CENTRAL],
            "MT": [_MOUNTAIN],
            "NE": [_CENTRAL, _MOUNTAIN],
            "NV": [_PACIFIC, _MOUNTAIN],  # West Wendover keeps Mountain time
            "NH": [_EASTERN],
            "NJ": [_EASTERN],
            "NM": [_MOUNTAIN],
            "NY": [_EASTERN],
            "NC": [_EASTERN],
            "ND": [_CENTRAL, _MOUNTAIN],
            "OH": [_EASTERN],
            "OK": [_CENTRAL],
            "OR": [_PACIFIC, _IDAHO],  # Malheur County keeps Mountain time
            "PA": [_EASTERN],
            "RI": [_EASTERN],
            "SC": [_EASTERN],
            "SD": [_CENTRAL, _MOUNTAIN],
            "TN": [_EASTERN, _CENTRAL],
            "TX": [_CENTRAL, _MOUNTAIN],
            "UT": [_MOUNTAIN],
            "VT": [_EASTERN],
            "VA": [_EASTERN],
            "WA": [_PACIFIC],
            "WV": [_EASTERN],
            "WI": [_CENTRAL],
            "WY": [_MOUNTAIN],
            "PR": ["America/Puerto_Rico"],
            "VI": ["America/St_Thomas"],
            "GU": ["Pacific/Guam"],
            "AS": ["Pacific/Pago_Pago"],
            "MP": ["Pacific/Saipan"],
        },
        "CA": {
            "AB": ["America/Edmonton"],
            # the East Kootenays keep Mountain time; the north-east keeps MST all year
            "BC": ["America/Vancouver", "America/Edmonton", "America/Fort_Nelson"],
            "MB": ["America/Winnipeg"],
            "NB": [_ATLANTIC],
            "NL": ["America/St_Johns", _ATLANTIC],  # Labrador keeps Atlantic time
            "NS": [_ATLANTIC],
            "NT": ["America/Edmonton"],
            "NU": ["America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Atikokan"],
            "ON": ["America/Toronto", "America/Winnipeg", "America/Atikokan"],
            "PE": [_ATLANTIC],
            "QC": ["America/Toronto", _ATLANTIC, "America/Blanc-Sablon"],
            "SK": ["America/Regina", "America/Edmonton"],  # Lloydminster follows Alberta
            "YT": ["America/Whitehorse"],
        },
    }.items()
    for province, zones in table.items()
}

# Countries with one zone, where the country alone places the shopper. Others add nothing.
_COUNTRY_ZONE = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CH": "Europe/Zurich",
    "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "FI": "Europe/Helsinki", "FR": "Europe/Paris", "GB": "Europe/London",
    "GR": "Europe/Athens", "HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin",
    "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam", "NO": "Europe/Oslo", "PL": "Europe/Warsaw",
    "RO": "Europe/Bucharest", "SE": "Europe/Stockholm", "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava", "AE": "Asia/Dubai", "HK": "Asia/Hong_Kong", "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "PH": "Asia/Manila",
    "SG": "Asia/Singapore", "TW": "Asia/Taipei", "ZA": "Africa/Johannesburg",
    "BM": "Atlantic/Bermuda", "BS": "America/Nassau", "JM": "America/Jamaica",
    "PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam",
    "AS": "Pacific/Pago_Pago", "MP": "Pacific/Saipan",
}  # fmt: skip


@dataclass(frozen=True)
class ContactRules:
    """The legal limits for one recipient: the daily window and an optional 24 h contact cap."""

    window: Window
    max_per_24h: int | None
    jurisdiction: str


FEDERAL_RULES = ContactRules(FEDERAL_WINDOW, None, "US")


def candidate_zones(
    phone_e164: str, address_country: str | None, address_province: str | None
) -> frozenset[str]:
    """Every zone the recipient may be in; empty when any of them is unknown."""
    number = _parse(phone_e164)
    if number is None:
        return frozenset()
    zones = frozenset(phone_timezone.time_zones_for_number(number))
    zones |= _address_zones(address_country, address_province)
    if not zones or UNKNOWN_ZONE in zones or not all(_is_known_zone(zone) for zone in zones):
        return frozenset()
    return zones


def state_rules(
    phone_e164: str, address_country: str | None, address_province: str | None
) -> ContactRules:
    """The legal window and cap, presuming residency from the area code or the address."""
    state = _strict_state_by_area_code(phone_e164) or _strict_state_by_address(
        address_country, address_province
    )
    if state is None:
        return FEDERAL_RULES
    return ContactRules(STRICT_STATE_WINDOW, STRICT_STATE_MAX_PER_24H, f"US-{state}")


def effective_window(rules: ContactRules, merchant_start: time, merchant_end: time) -> Window:
    """The merchant's hours intersected with the legal window; they may narrow it, never widen."""
    return Window(max(rules.window.start, merchant_start), min(rules.window.end, merchant_end))


def is_within_window(now_utc: datetime, zones: frozenset[str], window: Window) -> bool:
    """True only if the zones are known and the local time is inside the window in every one."""
    _require_aware(now_utc)
    if not zones or window.is_empty:
        return False
    return all(window.contains(now_utc.astimezone(_zone(name)).time()) for name in zones)


def next_window_opening(
    now_utc: datetime, zones: frozenset[str], window: Window
) -> datetime | None:
    """The earliest instant >= now (UTC) inside the window everywhere; None if not within 7 days."""
    _require_aware(now_utc)
    if not zones or window.is_empty:
        return None
    now_utc = now_utc.astimezone(UTC)
    horizon = now_utc + SEARCH_HORIZON
    # The set of good instants is an intersection of per-zone intervals, so its earliest point
    # at or after now is either now or the moment some zone's window opens.
    candidates = {now_utc, *_local_openings(now_utc, zones, window)}
    for candidate in sorted(c for c in candidates if now_utc <= c <= horizon):
        if is_within_window(candidate, zones, window):
            return candidate
    return None


def _local_openings(now_utc: datetime, zones: frozenset[str], window: Window) -> Iterator[datetime]:
    """Each zone's window start on every local day around the search horizon, in UTC."""
    days = range(-1, SEARCH_HORIZON.days + 2)
    for name in zones:
        tz = _zone(name)
        today = now_utc.astimezone(tz).date()
        for offset in days:
            day = today + timedelta(days=offset)
            # Both folds, so a start inside a DST gap or overlap still yields a real instant;
            # is_within_window then rejects whichever of them is not actually inside.
            for fold in (0, 1):
                local = datetime.combine(day, window.start.replace(fold=fold), tzinfo=tz)
                yield local.astimezone(UTC)


def _parse(phone_e164: str) -> phonenumbers.PhoneNumber | None:
    """The parsed number, or None when it is not a parseable E.164 string."""
    try:
        return phonenumbers.parse(phone_e164, None)
    except phonenumbers.NumberParseException:
        return None


def _strict_state_by_area_code(phone_e164: str) -> str | None:
    """The strict state an area code presumes the recipient lives in, if any."""
    number = _parse(phone_e164)
    if number is None or number.country_code != _NANP_COUNTRY_CODE:
        return None
    national = str(number.national_number)
    if len(national) != _NANP_NATIONAL_LENGTH:
        return None
    area_code = national[:_AREA_CODE_LENGTH]
    return next((s for s, codes in STRICT_STATE_AREA_CODES.items() if area_code in codes), None)


def _strict_state_by_address(country: str | None, province: str | None) -> str | None:
    """The strict state named by the address; a missing country is read as the US (stricter)."""
    country, province = _normalise(country), _normalise(province)
    if country in ("", "US") and province in STRICT_STATE_AREA_CODES:
        return province
    return None


def _address_zones(country: str | None, province: str | None) -> frozenset[str]:
    """The zones an address places the shopper in; empty when it does not tell."""
    country, province = _normalise(country), _normalise(province)
    zones = _PROVINCE_ZONES.get((country, province))
    if zones is not None:
        return zones
    if country in _COUNTRY_ZONE:
        return frozenset({_COUNTRY_ZONE[country]})
    return frozenset()


def _normalise(code: str | None) -> str:
    """An ISO country or province code in upper case, '' when absent."""
    return (code or "").strip().upper()


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    """The tz database zone of that name (cached: zones are looked up on every check)."""
    return ZoneInfo(name)


def _is_known_zone(name: str) -> bool:
    """True when the local tz database has the zone (an unknown one must not pass as allowed)."""
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _require_aware(moment: datetime) -> None:
    """Refuse naive datetimes: a naive 'now' would silently mean the server's local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (UTC)")
