"""Time zones, legal hours and window openings for the numbers shoppers give us."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.recovery.contact_window import (
    FEDERAL_RULES,
    FEDERAL_WINDOW,
    STRICT_STATE_WINDOW,
    Window,
    candidate_zones,
    effective_window,
    is_within_window,
    next_window_opening,
    state_rules,
)

# Numbers phonenumbers 9.x holds valid (checked in test_fixture_numbers_are_valid).
from tests.recovery.numbers import (
    ANCHORAGE,
    BALTIMORE,
    EASTERN,
    LONDON,
    LOS_ANGELES,
    MIAMI,
    NEW_YORK,
    OKLAHOMA_CITY,
    SANTA_MONICA,
    TOLL_FREE,
    UNASSIGNED,
)

EXAMPLES = settings(database=None, deadline=None, max_examples=60)


def eastern(*args: int) -> datetime:
    """An instant given as New York wall-clock time, in UTC."""
    return datetime(*args, tzinfo=EASTERN).astimezone(UTC)


def window_for(phone: str, country: str | None = "US", province: str | None = None) -> Window:
    """The legal window for a number, with a merchant who allows the whole legal day."""
    return effective_window(state_rules(phone, country, province), time(0), time(23, 59))


@pytest.mark.parametrize(
    "phone",
    [NEW_YORK, LOS_ANGELES, SANTA_MONICA, MIAMI, OKLAHOMA_CITY, BALTIMORE, ANCHORAGE, TOLL_FREE,
     LONDON],
)  # fmt: skip
def test_fixture_numbers_are_valid(phone: str) -> None:
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone))


def test_new_york_number_may_be_called_at_0830_eastern_but_los_angeles_may_not() -> None:
    now = eastern(2026, 6, 10, 8, 30)
    new_york = candidate_zones(NEW_YORK, None, None)
    assert new_york == {"America/New_York"}
    assert is_within_window(now, new_york, window_for(NEW_YORK))
    for phone in (LOS_ANGELES, SANTA_MONICA):
        zones = candidate_zones(phone, None, None)
        assert zones == {"America/Los_Angeles"}
        assert not is_within_window(now, zones, window_for(phone))


def test_los_angeles_number_opens_at_0800_pacific() -> None:
    zones = candidate_zones(LOS_ANGELES, None, None)
    opening = next_window_opening(eastern(2026, 6, 10, 8, 30), zones, window_for(LOS_ANGELES))
    assert opening == eastern(2026, 6, 10, 11, 0)


def test_florida_number_is_refused_at_2030_local_although_federal_hours_allow_it() -> None:
    now = eastern(2026, 6, 10, 20, 30)
    zones = candidate_zones(MIAMI, None, None)
    assert zones == {"America/New_York"}
    assert window_for(MIAMI) == STRICT_STATE_WINDOW
    assert not is_within_window(now, zones, window_for(MIAMI))
    assert is_within_window(now, zones, FEDERAL_WINDOW)
    assert is_within_window(now, candidate_zones(NEW_YORK, None, None), window_for(NEW_YORK))


@pytest.mark.parametrize(
    ("phone", "state"), [(MIAMI, "FL"), (OKLAHOMA_CITY, "OK"), (BALTIMORE, "MD")]
)
def test_strict_state_area_codes_get_8pm_close_and_3_contact_cap(phone: str, state: str) -> None:
    rules = state_rules(phone, None, None)
    assert rules.window == Window(time(8), time(20))
    assert rules.max_per_24h == 3
    assert rules.jurisdiction == f"US-{state}"


@pytest.mark.parametrize("province", ["FL", "OK", "MD", "fl"])
def test_strict_state_address_applies_even_with_an_out_of_state_number(province: str) -> None:
    rules = state_rules(NEW_YORK, "US", province)
    assert rules.window == STRICT_STATE_WINDOW
    assert rules.max_per_24h == 3


@pytest.mark.parametrize(
    ("phone", "country", "province"),
    [(NEW_YORK, "US", "NY"), (LOS_ANGELES, None, None), (LONDON, "GB", None),
     (NEW_YORK, "CA", "ON")],
)  # fmt: skip
def test_other_recipients_get_the_federal_default(phone, country, province) -> None:
    rules = state_rules(phone, country, province)
    assert rules == FEDERAL_RULES
    assert rules.window == Window(time(8), time(21))
    assert rules.max_per_24h is None


def test_area_code_lists_are_complete() -> None:
    florida = "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904"
    lists = {
        "FL": (florida + " 941 954").split(),
        "OK": "405 539 572 580 918".split(),
        "MD": "227 240 301 410 443 667".split(),
    }
    for state, codes in lists.items():
        for code in codes:
            rules = state_rules(f"+1{code}2345678", None, None)
            assert rules.jurisdiction == f"US-{state}", code


def test_alaska_number_spans_anchorage_and_adak() -> None:
    assert candidate_zones(ANCHORAGE, None, None) == {"America/Anchorage", "America/Adak"}


def test_alaska_number_waits_until_adak_is_inside_too() -> None:
    zones = candidate_zones(ANCHORAGE, None, None)
    window = window_for(ANCHORAGE)
    anchorage_0830 = datetime(2026, 6, 10, 8, 30, tzinfo=ZoneInfo("America/Anchorage"))
    assert not is_within_window(anchorage_0830, zones, window)  # 07:30 on Adak
    opening = next_window_opening(anchorage_0830, zones, window)
    assert opening == datetime(2026, 6, 10, 8, 0, tzinfo=ZoneInfo("America/Adak"))
    assert is_within_window(opening, zones, window)


def test_toll_free_number_covers_the_whole_country() -> None:
    zones = candidate_zones(TOLL_FREE, None, None)
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Guam"} <= zones
    assert len(zones) > 10


def test_toll_free_number_is_allowed_only_when_every_zone_is_inside() -> None:
    zones = candidate_zones(TOLL_FREE, None, None)
    window = window_for(TOLL_FREE)
    noon_eastern = eastern(2026, 6, 10, 12, 0)
    assert is_within_window(noon_eastern, {"America/New_York"}, window)
    assert not is_within_window(noon_eastern, zones, window)  # 02:00 next day on Guam
    opening = next_window_opening(noon_eastern, zones, window)
    assert opening is not None
    local_times = [opening.astimezone(ZoneInfo(zone)).time() for zone in zones]
    assert all(window.start <= t < window.end for t in local_times)
    assert not is_within_window(opening - timedelta(minutes=1), zones, window)


def test_toll_free_number_is_never_inside_a_narrower_merchant_window() -> None:
    zones = candidate_zones(TOLL_FREE, None, None)
    window = effective_window(FEDERAL_RULES, time(9), time(20))
    assert next_window_opening(eastern(2026, 6, 10, 12, 0), zones, window) is None


def test_address_zone_that_disagrees_with_the_phone_must_be_inside_too() -> None:
    zones = candidate_zones(NEW_YORK, "US", "CA")
    assert zones == {"America/New_York", "America/Los_Angeles"}
    window = window_for(NEW_YORK, "US", "CA")
    assert not is_within_window(eastern(2026, 6, 10, 9, 0), zones, window)  # 06:00 in California
    assert is_within_window(eastern(2026, 6, 10, 12, 0), zones, window)
    assert not is_within_window(eastern(2026, 6, 10, 21, 30), zones, window)  # 21:30 in New York


def test_address_in_a_state_with_two_zones_adds_both() -> None:
    assert candidate_zones(NEW_YORK, "US", "FL") == {"America/New_York", "America/Chicago"}


def test_address_in_a_single_zone_country_adds_its_zone() -> None:
    assert candidate_zones(NEW_YORK, "GB", None) == {"America/New_York", "Europe/London"}


def test_address_that_does_not_place_the_shopper_adds_nothing() -> None:
    assert candidate_zones(NEW_YORK, "US", None) == {"America/New_York"}
    assert candidate_zones(NEW_YORK, "BR", "SP") == {"America/New_York"}


@pytest.mark.parametrize(
    "state",
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split(),
)
def test_every_us_state_maps_to_real_zones(state: str) -> None:
    # candidate_zones answers "unknown" if any zone were missing from the tz database.
    assert candidate_zones(NEW_YORK, "US", state) >= {"America/New_York"}


@pytest.mark.parametrize("province", "AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
def test_every_canadian_province_maps_to_real_zones(province: str) -> None:
    assert candidate_zones("+14165550123", "CA", province) >= {"America/Toronto"}


def test_spring_forward_day_opens_at_0800_daylight_time() -> None:
    zones = frozenset({"America/New_York"})
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT, so 08:00 local is 12:00 UTC, not 13:00.
    opening = next_window_opening(datetime(2026, 3, 8, 5, 0, tzinfo=UTC), zones, FEDERAL_WINDOW)
    assert opening == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert not is_within_window(datetime(2026, 3, 8, 11, 59, tzinfo=UTC), zones, FEDERAL_WINDOW)
    # The evening before is still standard time: 21:00 EST is 02:00 UTC.
    assert is_within_window(datetime(2026, 3, 8, 1, 59, tzinfo=UTC), zones, FEDERAL_WINDOW)
    assert not is_within_window(datetime(2026, 3, 8, 2, 0, tzinfo=UTC), zones, FEDERAL_WINDOW)


def test_spring_forward_day_closes_at_2100_daylight_time() -> None:
    zones = frozenset({"America/New_York"})
    assert is_within_window(datetime(2026, 3, 9, 0, 59, tzinfo=UTC), zones, FEDERAL_WINDOW)
    assert not is_within_window(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), zones, FEDERAL_WINDOW)


def test_fall_back_day_opens_and_closes_in_standard_time() -> None:
    zones = frozenset({"America/New_York"})
    # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST; the window is 13:00–02:00 UTC.
    opening = next_window_opening(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), zones, FEDERAL_WINDOW)
    assert opening == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert is_within_window(datetime(2026, 11, 2, 1, 59, tzinfo=UTC), zones, FEDERAL_WINDOW)
    assert not is_within_window(datetime(2026, 11, 2, 2, 0, tzinfo=UTC), zones, FEDERAL_WINDOW)


def test_fall_back_day_for_a_florida_number_closes_at_2000_standard_time() -> None:
    zones = candidate_zones(MIAMI, None, None)
    window = window_for(MIAMI)
    assert is_within_window(datetime(2026, 11, 2, 0, 59, tzinfo=UTC), zones, window)
    assert not is_within_window(datetime(2026, 11, 2, 1, 0, tzinfo=UTC), zones, window)


@pytest.mark.parametrize("phone", [UNASSIGNED, "not a number", "", "2125550123"])
def test_unknown_zone_means_no_contact(phone: str) -> None:
    zones = candidate_zones(phone, "US", "NY")
    assert zones == frozenset()
    now = eastern(2026, 6, 10, 12, 0)
    assert not is_within_window(now, zones, FEDERAL_WINDOW)
    assert next_window_opening(now, zones, FEDERAL_WINDOW) is None


def test_merchant_hours_narrow_the_legal_window() -> None:
    assert effective_window(FEDERAL_RULES, time(9), time(20)) == Window(time(9), time(20))


def test_merchant_hours_never_widen_the_legal_window() -> None:
    assert effective_window(FEDERAL_RULES, time(6), time(23)) == FEDERAL_WINDOW
    assert effective_window(state_rules(MIAMI, None, None), time(7), time(21)) == Window(
        time(8), time(20)
    )


def test_merchant_hours_outside_the_legal_window_mean_never() -> None:
    window = effective_window(FEDERAL_RULES, time(21, 30), time(23))
    assert window.is_empty
    zones = frozenset({"America/New_York"})
    now = eastern(2026, 6, 10, 22, 0)
    assert not is_within_window(now, zones, window)
    assert next_window_opening(now, zones, window) is None


def test_next_opening_is_now_when_already_inside() -> None:
    now = eastern(2026, 6, 10, 12, 0)
    assert next_window_opening(now, frozenset({"America/New_York"}), FEDERAL_WINDOW) == now


def test_zones_too_far_apart_never_share_a_window() -> None:
    zones = frozenset({"America/New_York", "Asia/Tokyo"})
    window = Window(time(9), time(17))
    assert next_window_opening(eastern(2026, 6, 10, 12, 0), zones, window) is None


def test_window_end_is_exclusive_and_start_inclusive() -> None:
    zones = frozenset({"America/New_York"})
    assert is_within_window(eastern(2026, 6, 10, 8, 0), zones, FEDERAL_WINDOW)
    assert not is_within_window(eastern(2026, 6, 10, 21, 0), zones, FEDERAL_WINDOW)
    assert is_within_window(eastern(2026, 6, 10, 20, 59, 59), zones, FEDERAL_WINDOW)


def test_naive_datetimes_are_refused() -> None:
    zones = frozenset({"America/New_York"})
    with pytest.raises(ValueError):
        is_within_window(datetime(2026, 6, 10, 12, 0), zones, FEDERAL_WINDOW)
    with pytest.raises(ValueError):
        next_window_opening(datetime(2026, 6, 10, 12, 0), zones, FEDERAL_WINDOW)


# Zones with DST on both hemispheres, half- and quarter-hour offsets, and far-apart offsets.
ZONE_POOL = [
    "America/New_York", "America/Los_Angeles", "America/Adak", "America/St_Johns",
    "America/Phoenix", "Europe/London", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Guam",
    "Australia/Lord_Howe", "America/Santiago",
]  # fmt: skip
instants = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 3, 6), datetime(2026, 3, 10), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 10, 30), datetime(2026, 11, 3), timezones=st.just(UTC)),
).map(lambda moment: moment.replace(second=0, microsecond=0))


def _window(start_minute: int, length_minutes: int) -> Window:
    """A window from minutes after midnight, clipped to the day."""
    end_minute = min(start_minute + length_minutes, 23 * 60 + 59)
    return Window(time(*divmod(start_minute, 60)), time(*divmod(end_minute, 60)))


# Legal windows never open before 08:00, so quarter-hour starts from 08:00 to 12:00.
windows = st.builds(
    _window,
    st.integers(8 * 4, 12 * 4).map(lambda quarters: quarters * 15),
    st.integers(2, 13 * 4).map(lambda quarters: quarters * 15),
)
zone_sets = st.frozensets(st.sampled_from(ZONE_POOL), min_size=1, max_size=3)


@EXAMPLES
@given(now=instants, zones=zone_sets, window=windows)
def test_next_opening_matches_a_minute_by_minute_search(now, zones, window) -> None:
    scan = timedelta(days=2)
    expected = next(
        (
            now + timedelta(minutes=m)
            for m in range(int(scan.total_seconds() // 60))
            if all(window.contains((now + timedelta(minutes=m)).astimezone(ZoneInfo(z)).time())
                   for z in zones)
        ),
        None,
    )  # fmt: skip
    found = next_window_opening(now, zones, window)
    if expected is not None:
        assert found == expected
    else:
        assert found is None or found >= now + scan


@EXAMPLES
@given(now=instants, zones=zone_sets, window=windows)
def test_next_opening_is_inside_the_window_in_every_zone(now, zones, window) -> None:
    found = next_window_opening(now, zones, window)
    if found is not None:
        assert now <= found <= now + timedelta(days=7)
        assert found.utcoffset() == timedelta(0)
        for zone in zones:
            assert window.contains(found.astimezone(ZoneInfo(zone)).time())
