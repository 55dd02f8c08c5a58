"""Who is contacted, on which channel and when: the rules an outreach job obeys."""

import dataclasses
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
import phonenumbers.timezone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.recovery.contact_window import candidate_zones
from app.recovery.policy import (
    Attempt,
    Channel,
    CheckoutFacts,
    Consent,
    Contact,
    Ineligible,
    Reason,
    Settings,
    Stop,
    eligibility,
    may_contact_now,
    plan_next,
    reply_time,
)
from tests.recovery.numbers import (
    ANCHORAGE,
    BALTIMORE,
    EASTERN,
    LONDON,
    LOS_ANGELES,
    MIAMI,
    NEW_YORK,
    OKLAHOMA_CITY,
    TOLL_FREE,
    UNASSIGNED,
)

DEFAULTS = Settings()


def eastern(*args: int) -> datetime:
    """An instant given as New York wall-clock time, in UTC."""
    return datetime(*args, tzinfo=EASTERN).astimezone(UTC)


# Wednesday 10 June 2026, 10:00 in New York: inside every default window.
MORNING = eastern(2026, 6, 10, 10, 0)


def facts(**changes) -> CheckoutFacts:
    """A New York checkout abandoned at MORNING with consent for both channels, then changes."""
    base = CheckoutFacts(
        shop_active=True,
        completed=False,
        suppressed=False,
        holdout=False,
        cart_value=Decimal("80.00"),
        country="US",
        province="NY",
        phone_e164=NEW_YORK,
        last_updated_at=MORNING,
        consent=Consent(call=True, sms=True),
    )
    return dataclasses.replace(base, **changes)


def call(at: datetime, outcome: str) -> Attempt:
    return Attempt(channel="call", at=at, outcome=outcome)


def sms(at: datetime, outcome: str = "delivered") -> Attempt:
    return Attempt(channel="sms", at=at, outcome=outcome)


# --- eligibility -------------------------------------------------------------------------------


def test_a_consented_open_checkout_is_eligible() -> None:
    assert eligibility(facts(), DEFAULTS) is None


@pytest.mark.promise("opt-in-only")
@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"shop_active": False}, Reason.SHOP_INACTIVE),
        ({"completed": True}, Reason.COMPLETED),
        ({"suppressed": True}, Reason.SUPPRESSED),
        ({"attempts": (call(MORNING, "opted-out"),)}, Reason.OPTED_OUT),
        ({"phone_e164": None}, Reason.NO_PHONE),
        ({"phone_e164": ""}, Reason.NO_PHONE),
        ({"consent": Consent(call=False, sms=False)}, Reason.NO_CONSENT),
        ({"country": "DE"}, Reason.COUNTRY_NOT_ALLOWED),
        ({"country": None}, Reason.COUNTRY_NOT_ALLOWED),
        ({"cart_value": Decimal("19.99")}, Reason.BELOW_MIN_VALUE),
        ({"holdout": True}, Reason.HOLDOUT),
        ({"attempts": (sms(MORNING), sms(MORNING), sms(MORNING))}, Reason.ATTEMPTS_EXHAUSTED),
    ],
)
def test_ineligible_checkouts_name_the_reason(changes, reason) -> None:
    shop = Settings(min_cart_value=Decimal(20), allowed_countries=frozenset({"US", "CA"}))
    assert eligibility(facts(**changes), shop) == Ineligible(reason)
    assert plan_next(facts(**changes), shop, MORNING) == Stop(reason)


def test_reason_values_are_the_documented_strings() -> None:
    assert {r.value for r in Reason} >= {
        "no_consent", "suppressed", "completed", "shop_inactive", "below_min_value",
        "country_not_allowed", "no_phone", "holdout", "attempts_exhausted",
    }  # fmt: skip


def test_consented_channels_all_disabled_by_the_merchant_is_ineligible() -> None:
    shop = Settings(calls_enabled=False)
    assert eligibility(facts(consent=Consent(call=True, sms=False)), shop) == Ineligible(
        Reason.CHANNEL_DISABLED
    )


def test_holdout_is_reported_only_for_checkouts_that_would_otherwise_be_contacted() -> None:
    no_consent = facts(holdout=True, consent=Consent(call=False, sms=False))
    assert eligibility(no_consent, DEFAULTS) == Ineligible(Reason.NO_CONSENT)


def test_allowed_countries_ignore_case() -> None:
    shop = Settings(allowed_countries=frozenset({"us"}))
    assert eligibility(facts(country="US"), shop) is None


# --- plan_next: first contact ------------------------------------------------------------------


def test_first_contact_is_a_call_after_the_delay() -> None:
    decision = plan_next(facts(), DEFAULTS, MORNING)
    assert decision == Contact(Channel.CALL, eastern(2026, 6, 10, 10, 30))


@pytest.mark.promise("opt-in-only")
def test_first_contact_is_a_text_without_call_consent() -> None:
    decision = plan_next(facts(consent=Consent(call=False, sms=True)), DEFAULTS, MORNING)
    assert decision == Contact(Channel.SMS, eastern(2026, 6, 10, 10, 30))


def test_first_contact_is_a_text_when_the_merchant_disabled_calls() -> None:
    decision = plan_next(facts(), Settings(calls_enabled=False), MORNING)
    assert decision == Contact(Channel.SMS, eastern(2026, 6, 10, 10, 30))


def test_first_contact_waits_for_the_merchant_window_to_open() -> None:
    late = eastern(2026, 6, 10, 19, 45)
    decision = plan_next(facts(last_updated_at=late), DEFAULTS, late)
    assert decision == Contact(Channel.CALL, eastern(2026, 6, 11, 9, 0))


def test_first_contact_is_never_in_the_past() -> None:
    later = MORNING + timedelta(hours=3)
    assert plan_next(facts(), DEFAULTS, later) == Contact(Channel.CALL, later)


def test_a_checkout_updated_again_restarts_the_delay() -> None:
    updated = MORNING + timedelta(minutes=50)
    decision = plan_next(facts(last_updated_at=updated), DEFAULTS, updated)
    assert decision == Contact(Channel.CALL, updated + timedelta(minutes=30))


# --- plan_next: follow-ups ---------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["no-answer", "busy", "failed", "voicemail"])
def test_unanswered_call_is_followed_by_a_text_after_the_fallback_delay(outcome: str) -> None:
    called = eastern(2026, 6, 10, 10, 30)
    decision = plan_next(facts(attempts=(call(called, outcome),)), DEFAULTS, called)
    assert decision == Contact(Channel.SMS, called + timedelta(minutes=10))


def test_unanswered_call_without_sms_consent_is_followed_by_a_call_after_the_spacing() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    checkout = facts(consent=Consent(call=True, sms=False), attempts=(call(called, "no-answer"),))
    decision = plan_next(checkout, DEFAULTS, called)
    assert decision == Contact(Channel.CALL, called + timedelta(hours=2))


def test_after_a_text_the_next_call_keeps_the_spacing() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    texted = called + timedelta(minutes=10)
    checkout = facts(attempts=(call(called, "no-answer"), sms(texted)))
    decision = plan_next(checkout, DEFAULTS, texted)
    assert decision == Contact(Channel.CALL, texted + timedelta(hours=2))


def test_an_undelivered_text_is_tried_again_as_a_text_after_the_spacing() -> None:
    texted = eastern(2026, 6, 10, 10, 30)
    checkout = facts(attempts=(sms(texted, "undelivered"),))
    decision = plan_next(checkout, DEFAULTS, texted)
    assert decision == Contact(Channel.SMS, texted + timedelta(hours=2))


def test_reply_time_is_now_inside_the_window_and_its_opening_outside() -> None:
    inside = eastern(2026, 6, 10, 10, 30)
    assert reply_time(facts(), DEFAULTS, inside) == inside
    late = eastern(2026, 6, 10, 22, 30)
    assert reply_time(facts(), DEFAULTS, late) == eastern(2026, 6, 11, 9, 0)


def test_attempts_listed_out_of_order_are_read_by_time() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    texted = called + timedelta(minutes=10)
    checkout = facts(attempts=(sms(texted), call(called, "no-answer")))
    decision = plan_next(checkout, DEFAULTS, texted)
    assert decision == Contact(Channel.CALL, texted + timedelta(hours=2))


def test_a_follow_up_falling_after_hours_moves_to_the_next_morning() -> None:
    texted = eastern(2026, 6, 10, 19, 0)
    checkout = facts(attempts=(sms(texted),), consent=Consent(call=False, sms=True))
    assert plan_next(checkout, DEFAULTS, texted) == Contact(Channel.SMS, eastern(2026, 6, 11, 9, 0))


def test_a_conversation_ends_automatic_follow_ups() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    checkout = facts(attempts=(call(called, "completed"),))
    assert plan_next(checkout, DEFAULTS, called) == Stop(Reason.CONVERSATION_HELD)
    later = called + timedelta(hours=5)
    assert may_contact_now(checkout, DEFAULTS, "sms", later) == Ineligible(
        Reason.CONVERSATION_HELD
    )


def test_a_requested_callback_is_honoured_at_the_requested_time() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    wanted = eastern(2026, 6, 10, 16, 15)
    checkout = facts(attempts=(call(called, "completed"),), requested_callback_at=wanted)
    assert plan_next(checkout, DEFAULTS, called) == Contact(Channel.CALL, wanted)
    assert may_contact_now(checkout, DEFAULTS, "call", wanted) is None
    assert may_contact_now(checkout, DEFAULTS, "call", wanted - timedelta(minutes=1)) == (
        Ineligible(Reason.TOO_SOON)
    )


def test_a_callback_requested_outside_the_window_moves_to_the_next_opening() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    checkout = facts(
        attempts=(call(called, "completed"),), requested_callback_at=eastern(2026, 6, 10, 22, 0)
    )
    assert plan_next(checkout, DEFAULTS, called) == Contact(Channel.CALL, eastern(2026, 6, 11, 9))


def test_a_callback_already_made_is_not_repeated() -> None:
    wanted = eastern(2026, 6, 10, 16, 15)
    checkout = facts(
        attempts=(call(MORNING, "completed"), call(wanted, "completed")),
        requested_callback_at=wanted,
    )
    assert plan_next(checkout, DEFAULTS, wanted) == Stop(Reason.CONVERSATION_HELD)


def test_a_callback_still_respects_the_attempt_cap() -> None:
    wanted = eastern(2026, 6, 10, 16, 15)
    checkout = facts(
        attempts=(call(MORNING, "no-answer"), sms(MORNING), call(MORNING, "completed")),
        requested_callback_at=wanted,
    )
    assert plan_next(checkout, DEFAULTS, MORNING) == Stop(Reason.ATTEMPTS_EXHAUSTED)


@pytest.mark.promise("stop-at-once")
def test_an_opt_out_stops_every_channel() -> None:
    checkout = facts(attempts=(call(MORNING, "opted-out"),))
    assert plan_next(checkout, DEFAULTS, MORNING) == Stop(Reason.OPTED_OUT)
    for channel in ("call", "sms"):
        later = MORNING + timedelta(hours=4)
        assert may_contact_now(checkout, DEFAULTS, channel, later) == Ineligible(Reason.OPTED_OUT)


def test_unknown_time_zone_stops_outreach() -> None:
    checkout = facts(phone_e164=UNASSIGNED)
    assert plan_next(checkout, DEFAULTS, MORNING) == Stop(Reason.UNKNOWN_TIMEZONE)
    assert may_contact_now(checkout, DEFAULTS, "call", MORNING + timedelta(hours=1)) == (
        Ineligible(Reason.UNKNOWN_TIMEZONE)
    )


def test_merchant_hours_outside_the_legal_window_stop_outreach() -> None:
    shop = Settings(window_start=time(21, 30), window_end=time(23))
    assert plan_next(facts(), shop, MORNING) == Stop(Reason.NO_WINDOW)


def test_zones_that_never_share_the_window_stop_outreach() -> None:
    # A toll-free number spans Guam to Newfoundland: no 09:00–20:00 hour is inside everywhere.
    assert plan_next(facts(phone_e164=TOLL_FREE), DEFAULTS, MORNING) == Stop(Reason.NO_WINDOW)


def test_a_toll_free_number_is_contacted_only_when_every_zone_is_inside() -> None:
    shop = Settings(window_start=time(8), window_end=time(21))
    decision = plan_next(facts(phone_e164=TOLL_FREE, province=None), shop, MORNING)
    assert isinstance(decision, Contact)
    for zone in candidate_zones(TOLL_FREE, "US", None):
        assert time(8) <= decision.at.astimezone(ZoneInfo(zone)).time() < time(21)


# --- state rules -------------------------------------------------------------------------------

FREQUENT = Settings(max_attempts=10, min_attempt_spacing_minutes=60)


@pytest.mark.parametrize("phone", [MIAMI, OKLAHOMA_CITY, BALTIMORE])
def test_strict_state_number_waits_until_the_oldest_of_three_contacts_is_a_day_old(phone) -> None:
    first = eastern(2026, 6, 10, 10, 0)
    attempts = (
        call(first, "no-answer"),
        sms(first + timedelta(minutes=10)),
        call(first + timedelta(hours=2), "no-answer"),
    )
    checkout = facts(phone_e164=phone, province=None, country=None, attempts=attempts)
    now = first + timedelta(hours=2)
    # Texts count too under these statutes, so switching to SMS does not escape the cap.
    assert plan_next(checkout, FREQUENT, now) == Contact(Channel.SMS, first + timedelta(days=1))
    assert may_contact_now(checkout, FREQUENT, "sms", now + timedelta(hours=3)) == Ineligible(
        Reason.STATE_CAP
    )
    assert may_contact_now(checkout, FREQUENT, "sms", first + timedelta(days=1)) is None


def test_strict_state_address_applies_the_cap_to_an_out_of_state_number() -> None:
    first = eastern(2026, 6, 10, 10, 0)
    attempts = tuple(sms(first + timedelta(hours=h)) for h in range(3))
    checkout = facts(province="FL", attempts=attempts, consent=Consent(call=False, sms=True))
    now = first + timedelta(hours=2)
    decision = plan_next(checkout, FREQUENT, now)
    assert decision == Contact(Channel.SMS, first + timedelta(days=1))


def test_strict_state_cap_counts_the_numbers_contacts_about_other_checkouts() -> None:
    now = eastern(2026, 6, 10, 14, 0)
    elsewhere = tuple(now - timedelta(hours=h) for h in (3, 2, 1))
    checkout = facts(phone_e164=MIAMI, other_contacts=elsewhere)
    assert may_contact_now(checkout, FREQUENT, "call", now) == Ineligible(Reason.STATE_CAP)
    decision = plan_next(checkout, FREQUENT, now)
    assert decision == Contact(Channel.CALL, elsewhere[0] + timedelta(days=1))


def test_strict_state_cap_adds_contacts_elsewhere_to_this_conversations_own() -> None:
    now = eastern(2026, 6, 10, 14, 0)
    own = (call(now - timedelta(hours=2), "no-answer"), sms(now - timedelta(hours=1)))
    # Two contacts of ours and a text about another of the shop's checkouts: three in 24 h.
    checkout = facts(phone_e164=MIAMI, attempts=own, other_contacts=(now - timedelta(hours=5),))
    assert may_contact_now(checkout, FREQUENT, "call", now) == Ineligible(Reason.STATE_CAP)
    assert may_contact_now(dataclasses.replace(checkout, other_contacts=()), FREQUENT, "call", now) is None
    # The one elsewhere leaves the rolling period a day after it was made.
    assert may_contact_now(checkout, FREQUENT, "call", now + timedelta(hours=19)) is None


def test_a_superseded_checkout_is_never_contacted() -> None:
    checkout = facts(superseded=True)
    assert plan_next(checkout, DEFAULTS, MORNING) == Stop(Reason.SUPERSEDED)
    assert may_contact_now(checkout, DEFAULTS, "call", MORNING) == Ineligible(Reason.SUPERSEDED)


def test_a_call_still_in_progress_counts_and_keeps_the_spacing() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    checkout = facts(attempts=(Attempt("call", called, None),))
    decision = plan_next(checkout, DEFAULTS, called + timedelta(minutes=1))
    assert decision == Contact(Channel.CALL, called + timedelta(hours=2))


def test_federal_number_has_no_daily_cap() -> None:
    first = eastern(2026, 6, 10, 10, 0)
    attempts = tuple(sms(first + timedelta(hours=h)) for h in range(3))
    checkout = facts(attempts=attempts, consent=Consent(call=False, sms=True))
    now = first + timedelta(hours=2)
    assert plan_next(checkout, FREQUENT, now) == Contact(Channel.SMS, now + timedelta(hours=1))


def test_florida_number_is_not_called_at_2030_local() -> None:
    evening = eastern(2026, 6, 10, 20, 30)
    shop = Settings(window_start=time(8), window_end=time(21))
    checkout = facts(phone_e164=MIAMI, province="FL", last_updated_at=evening)
    assert may_contact_now(checkout, shop, "call", evening) == Ineligible(Reason.OUTSIDE_WINDOW)
    assert may_contact_now(facts(last_updated_at=MORNING), shop, "call", evening) is None


def test_los_angeles_number_is_not_called_at_0830_eastern() -> None:
    early = eastern(2026, 6, 10, 8, 30)
    shop = Settings(window_start=time(8), window_end=time(21), first_contact_delay_minutes=0)
    checkout = facts(phone_e164=LOS_ANGELES, province="CA", last_updated_at=early)
    assert may_contact_now(checkout, shop, "call", early) == Ineligible(Reason.OUTSIDE_WINDOW)
    assert may_contact_now(facts(last_updated_at=early), shop, "call", early) is None
    assert plan_next(checkout, shop, early) == Contact(Channel.CALL, eastern(2026, 6, 10, 11, 0))


def test_alaska_number_waits_for_adak() -> None:
    anchorage = ZoneInfo("America/Anchorage")
    now = datetime(2026, 6, 10, 9, 0, tzinfo=anchorage)  # 08:00 on Adak
    checkout = facts(phone_e164=ANCHORAGE, province="AK", last_updated_at=now - timedelta(hours=1))
    decision = plan_next(checkout, DEFAULTS, now)
    assert decision == Contact(Channel.CALL, datetime(2026, 6, 10, 10, 0, tzinfo=anchorage))


def test_spring_forward_morning_opens_at_0900_daylight_time() -> None:
    night = eastern(2026, 3, 7, 23, 0)
    decision = plan_next(facts(last_updated_at=night), DEFAULTS, night)
    assert decision == Contact(Channel.CALL, datetime(2026, 3, 8, 13, 0, tzinfo=UTC))


def test_fall_back_morning_opens_at_0900_standard_time() -> None:
    night = eastern(2026, 10, 31, 23, 0)
    decision = plan_next(facts(last_updated_at=night), DEFAULTS, night)
    assert decision == Contact(Channel.CALL, datetime(2026, 11, 1, 14, 0, tzinfo=UTC))


# --- may_contact_now ---------------------------------------------------------------------------


def test_a_due_contact_inside_the_window_may_go_ahead() -> None:
    assert may_contact_now(facts(), DEFAULTS, "call", MORNING + timedelta(minutes=30)) is None


def test_a_contact_before_the_delay_is_too_soon() -> None:
    assert may_contact_now(facts(), DEFAULTS, "call", MORNING + timedelta(minutes=29)) == (
        Ineligible(Reason.TOO_SOON)
    )


@pytest.mark.promise("opt-in-only")
def test_a_call_needs_call_consent_even_with_sms_consent() -> None:
    checkout = facts(consent=Consent(call=False, sms=True))
    assert may_contact_now(checkout, DEFAULTS, "call", MORNING + timedelta(hours=1)) == (
        Ineligible(Reason.NO_CONSENT)
    )
    assert may_contact_now(checkout, DEFAULTS, "sms", MORNING + timedelta(hours=1)) is None


def test_a_disabled_channel_is_refused() -> None:
    shop = Settings(sms_enabled=False)
    assert may_contact_now(facts(), shop, "sms", MORNING + timedelta(hours=1)) == Ineligible(
        Reason.CHANNEL_DISABLED
    )


def test_a_completed_order_is_refused_at_the_last_moment() -> None:
    checkout = facts(completed=True)
    assert may_contact_now(checkout, DEFAULTS, "call", MORNING + timedelta(hours=1)) == (
        Ineligible(Reason.COMPLETED)
    )


def test_spacing_applies_to_a_call_after_an_unanswered_call() -> None:
    called = eastern(2026, 6, 10, 10, 30)
    checkout = facts(attempts=(call(called, "no-answer"),))
    soon = called + timedelta(minutes=15)
    assert may_contact_now(checkout, DEFAULTS, "sms", soon) is None
    assert may_contact_now(checkout, DEFAULTS, "call", soon) == Ineligible(Reason.TOO_SOON)


def test_unknown_channel_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        may_contact_now(facts(), DEFAULTS, "fax", MORNING)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_next(facts(), DEFAULTS, datetime(2026, 6, 10, 14, 0))
    with pytest.raises(ValueError):
        may_contact_now(facts(), DEFAULTS, "call", datetime(2026, 6, 10, 14, 0))


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Settings(max_attempts=-1)
    with pytest.raises(ValueError):
        Settings(holdout_percent=101)


# --- properties over random checkouts, consents, opt-outs, orders and clocks --------------------

PHONES = [NEW_YORK, LOS_ANGELES, MIAMI, OKLAHOMA_CITY, BALTIMORE, ANCHORAGE, TOLL_FREE, LONDON]
STRICT_PHONES = [MIAMI, OKLAHOMA_CITY, BALTIMORE]
STRICT_PROVINCES = {"FL", "OK", "MD"}
# Each address with the zones it must add, written out here rather than taken from the module.
ADDRESS_ZONES = {
    (None, None): set(),
    ("US", None): set(),
    ("US", "NY"): {"America/New_York"},
    ("US", "CA"): {"America/Los_Angeles"},
    ("US", "FL"): {"America/New_York", "America/Chicago"},
    ("US", "AK"): {"America/Anchorage", "America/Adak"},
    ("US", "TX"): {"America/Chicago", "America/Denver"},
    ("GB", None): {"Europe/London"},
    ("CA", "BC"): {"America/Vancouver", "America/Edmonton", "America/Fort_Nelson"},
    ("DE", None): {"Europe/Berlin"},
}
ADDRESSES = list(ADDRESS_ZONES)
CALL_OUTCOMES = ["completed", "no-answer", "busy", "failed", "voicemail", "canceled", "in-progress"]
SMS_OUTCOMES = ["delivered", "undelivered", "sent", "queued", "failed"]
CART_VALUES = [Decimal(250), Decimal(250), Decimal("19.99"), Decimal(0)]
USABLE_CONSENTS = [Consent(True, True), Consent(True, False), Consent(False, True)]
COUNTRY_FILTERS = [frozenset(), frozenset(), frozenset(), frozenset({"US"}), frozenset({"GB"})]
PROPERTIES = settings(
    database=None, deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)

# True one time in five: blocking facts must be common enough to test and rare enough that many
# generated checkouts still reach the scheduling rules.
rarely = st.sampled_from([False, False, False, False, True])
mostly = st.sampled_from([True, True, True, True, False])
clocks = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 3, 7), datetime(2026, 3, 9), timezones=st.just(UTC)),
    st.datetimes(datetime(2026, 10, 31), datetime(2026, 11, 2), timezones=st.just(UTC)),
)


def attempts_before(now: datetime, within: timedelta = timedelta(days=3)):
    """Past attempts with an outcome that fits their channel; about one in 25 is an opt-out."""
    at = st.integers(0, int(within.total_seconds() // 60)).map(lambda m: now - timedelta(minutes=m))
    call_attempt = st.builds(Attempt, st.just("call"), at, st.sampled_from(CALL_OUTCOMES))
    sms_attempt = st.builds(Attempt, st.just("sms"), at, st.sampled_from(SMS_OUTCOMES))
    opt_out = st.builds(Attempt, st.sampled_from(["call", "sms"]), at, st.just("opted-out"))
    one = st.one_of(*[call_attempt] * 12, *[sms_attempt] * 12, opt_out)
    return st.lists(one, max_size=5).map(tuple)


def contacts_elsewhere(now: datetime):
    """Contacts to the same number about the shop's other checkouts, in the 30 h before now."""
    at = st.integers(0, 30 * 60).map(lambda m: now - timedelta(minutes=m))
    return st.lists(at, max_size=3).map(lambda times: tuple(sorted(times)))


@st.composite
def shop_settings(draw) -> Settings:
    """Any settings a merchant could save."""
    return Settings(
        calls_enabled=draw(mostly),
        sms_enabled=draw(mostly),
        first_contact_delay_minutes=draw(st.integers(0, 180)),
        sms_fallback_delay_minutes=draw(st.integers(0, 60)),
        max_attempts=draw(st.sampled_from([3, 5, 8, 2, 1, 0])),
        min_attempt_spacing_minutes=draw(st.integers(0, 600)),
        min_cart_value=draw(st.sampled_from([Decimal(0), Decimal(0), Decimal(20), Decimal(100)])),
        allowed_countries=draw(st.sampled_from(COUNTRY_FILTERS)),
        window_start=draw(st.sampled_from([time(9), time(8), time(10, 30), time(0), time(18)])),
        window_end=draw(st.sampled_from([time(20), time(21), time(17, 45), time(23, 59), time(9)])),
        holdout_percent=draw(st.integers(0, 100)),
    )


@st.composite
def scenarios(draw, blocked=rarely) -> tuple[CheckoutFacts, Settings, datetime]:
    """A checkout as the policy may see it, its shop's settings and the current time."""
    now = draw(clocks)
    country, province = draw(st.sampled_from(ADDRESSES))
    back = st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))
    callback = st.integers(-600, 3000).map(lambda m: now + timedelta(minutes=m))
    checkout = CheckoutFacts(
        shop_active=not draw(blocked),
        completed=draw(blocked),
        suppressed=draw(blocked),
        holdout=draw(blocked),
        cart_value=draw(st.sampled_from(CART_VALUES)),
        country=country,
        province=province,
        phone_e164=draw(st.sampled_from([*PHONES, UNASSIGNED, None])),
        last_updated_at=now - draw(back),
        consent=Consent(call=draw(mostly), sms=draw(mostly)),
        attempts=draw(attempts_before(now)),
        requested_callback_at=draw(st.none() | callback),
        superseded=draw(blocked),
        other_contacts=draw(contacts_elsewhere(now)),
    )
    return checkout, draw(shop_settings()), now


@st.composite
def eligible_scenarios(draw, crowded: bool = False) -> tuple[CheckoutFacts, Settings, datetime]:
    """Scenarios that pass every eligibility rule, so that all of them reach the timing rules.

    `crowded` puts several recent contacts on a strict-state number: the daily cap then decides.
    """
    checkout, shop, now = draw(scenarios(blocked=st.just(False)))
    # Attempts from the last two hours (fallback and spacing decide), 30 hours or three days.
    within = draw(st.sampled_from([timedelta(hours=2), timedelta(hours=30), timedelta(days=3)]))
    attempts = draw(attempts_before(now, timedelta(hours=30) if crowded else within))
    checkout = dataclasses.replace(
        checkout,
        cart_value=Decimal(250),
        phone_e164=draw(st.sampled_from(STRICT_PHONES if crowded else PHONES)),
        consent=draw(st.sampled_from(USABLE_CONSENTS)),
        attempts=tuple(a for a in attempts if a.outcome != "opted-out"),
    )
    shop = dataclasses.replace(
        shop,
        # Leave at least one consented channel enabled.
        calls_enabled=shop.calls_enabled or not (checkout.consent.sms and shop.sms_enabled),
        sms_enabled=shop.sms_enabled or not checkout.consent.call,
        min_cart_value=Decimal(0),
        allowed_countries=frozenset(),
        max_attempts=len(checkout.attempts) + draw(st.integers(1, 3)),
    )
    assert eligibility(checkout, shop) is None
    return checkout, shop, now


open_scenarios = eligible_scenarios() | eligible_scenarios(crowded=True)
any_scenarios = scenarios() | open_scenarios


@st.composite
def blocked_scenarios(draw) -> tuple[CheckoutFacts, Settings, datetime]:
    """An otherwise contactable checkout with exactly one fact that forbids contact."""
    checkout, shop, now = draw(open_scenarios)
    opt_out = Attempt(draw(st.sampled_from(["call", "sms"])), now - timedelta(hours=1), "opted-out")
    blocker = draw(
        st.sampled_from(
            [
                {"suppressed": True},
                {"superseded": True},
                {"completed": True},
                {"holdout": True},
                {"shop_active": False},
                {"consent": Consent(call=False, sms=False)},
                {"phone_e164": None},
                {"attempts": (*checkout.attempts, opt_out)},
                {"max_attempts": len(checkout.attempts)},
            ]
        )
    )
    if "max_attempts" in blocker:
        return checkout, dataclasses.replace(shop, **blocker), now
    return dataclasses.replace(checkout, **blocker), shop, now


def expected_zones(checkout: CheckoutFacts) -> set[str]:
    """The zones to check, from phonenumbers and the table above, not from the module."""
    number = phonenumbers.parse(checkout.phone_e164)
    zones = set(phonenumbers.timezone.time_zones_for_number(number))
    return zones | ADDRESS_ZONES[(checkout.country, checkout.province)]


def _assert_lawful(
    checkout: CheckoutFacts, shop: Settings, channel: str, at: datetime, now: datetime
) -> None:
    """Everything that must hold for any contact on `channel` at `at`, checked independently."""
    assert checkout.shop_active and not checkout.completed and not checkout.suppressed
    assert not checkout.holdout and not checkout.superseded
    assert checkout.phone_e164
    assert all(attempt.outcome != "opted-out" for attempt in checkout.attempts)
    consented = checkout.consent.call if channel == "call" else checkout.consent.sms
    enabled = shop.calls_enabled if channel == "call" else shop.sms_enabled
    assert consented and enabled
    assert len(checkout.attempts) < shop.max_attempts
    _assert_paced(checkout, shop, channel, at)
    _assert_inside_hours(checkout, shop, at)
    _assert_under_state_cap(checkout, at)


def _is_strict(checkout: CheckoutFacts) -> bool:
    return checkout.phone_e164 in STRICT_PHONES or (
        checkout.country in (None, "US") and checkout.province in STRICT_PROVINCES
    )


def _assert_paced(checkout: CheckoutFacts, shop: Settings, channel: str, at: datetime) -> None:
    """A requested callback at or after its time; otherwise the delays, and no chat follow-up."""
    wanted = checkout.requested_callback_at
    if wanted is not None and all(attempt.at < wanted for attempt in checkout.attempts):
        assert at >= wanted
        return
    assert not any(a.channel == "call" and a.outcome == "completed" for a in checkout.attempts)
    assert at >= checkout.last_updated_at + timedelta(minutes=shop.first_contact_delay_minutes)
    if checkout.attempts:
        last = max(checkout.attempts, key=lambda attempt: attempt.at)
        fallback = channel == "sms" and last.channel == "call" and last.outcome in {
            "no-answer", "busy", "failed", "voicemail"
        }  # fmt: skip
        gap = shop.sms_fallback_delay_minutes if fallback else shop.min_attempt_spacing_minutes
        assert at >= last.at + timedelta(minutes=gap)


def _assert_inside_hours(checkout: CheckoutFacts, shop: Settings, at: datetime) -> None:
    """Inside the merchant's hours and the legal ones, in every zone the shopper may be in."""
    zones = expected_zones(checkout)
    assert zones and "Etc/Unknown" not in zones
    start = max(time(8), shop.window_start)
    end = min(time(20) if _is_strict(checkout) else time(21), shop.window_end)
    for zone in zones:
        assert start <= at.astimezone(ZoneInfo(zone)).time() < end, zone


def _assert_under_state_cap(checkout: CheckoutFacts, at: datetime) -> None:
    """Fewer than 3 contacts in the 24 h before `at` for strict-state shoppers, texts included."""
    if not _is_strict(checkout):
        return
    made = [a.at for a in checkout.attempts] + list(checkout.other_contacts)
    assert sum(1 for moment in made if moment > at - timedelta(hours=24)) < 3


@pytest.mark.promise("opt-in-only")
@PROPERTIES
@given(any_scenarios)
def test_plan_next_only_plans_lawful_contacts(scenario) -> None:
    checkout, shop, now = scenario
    decision = plan_next(checkout, shop, now)
    assert isinstance(decision, Contact | Stop)
    if isinstance(decision, Contact):
        assert decision.at >= now
        _assert_lawful(checkout, shop, decision.channel, decision.at, now)


@pytest.mark.promise("opt-in-only")
@PROPERTIES
@given(any_scenarios, st.sampled_from(["call", "sms"]))
def test_may_contact_now_only_allows_lawful_contacts(scenario, channel) -> None:
    checkout, shop, now = scenario
    if may_contact_now(checkout, shop, channel, now) is None:
        _assert_lawful(checkout, shop, channel, now, now)


@pytest.mark.promise("opt-in-only")
@pytest.mark.promise("stop-at-once")
@PROPERTIES
@given(blocked_scenarios(), st.integers(0, 14 * 24 * 60))
def test_a_blocked_checkout_is_never_contacted(scenario, minutes_later) -> None:
    checkout, shop, now = scenario
    assert isinstance(plan_next(checkout, shop, now), Stop)
    later = now + timedelta(minutes=minutes_later)
    for channel in ("call", "sms"):
        assert may_contact_now(checkout, shop, channel, now) is not None
        assert may_contact_now(checkout, shop, channel, later) is not None


@PROPERTIES
@given(open_scenarios)
def test_the_final_guard_allows_whatever_plan_next_planned(scenario) -> None:
    checkout, shop, now = scenario
    decision = plan_next(checkout, shop, now)
    if isinstance(decision, Contact):
        assert may_contact_now(checkout, shop, decision.channel, decision.at) is None


@PROPERTIES
@given(open_scenarios, st.floats(0, 1))
def test_plan_next_picks_the_earliest_moment_the_final_guard_allows(scenario, fraction) -> None:
    checkout, shop, now = scenario
    decision = plan_next(checkout, shop, now)
    if isinstance(decision, Contact) and decision.at > now:
        for earlier in (decision.at - timedelta(seconds=1), now + (decision.at - now) * fraction):
            if now <= earlier < decision.at:
                assert may_contact_now(checkout, shop, decision.channel, earlier) is not None


@PROPERTIES
@given(scenarios())
def test_ineligible_checkouts_are_always_stopped(scenario) -> None:
    checkout, shop, now = scenario
    ineligible = eligibility(checkout, shop)
    if ineligible is not None:
        assert plan_next(checkout, shop, now) == Stop(ineligible.reason)
        for channel in ("call", "sms"):
            assert may_contact_now(checkout, shop, channel, now) == ineligible


# Local times at and around the edges of every window these tests use.
EDGE_TIMES = [time(7, 59), time(8), time(8, 59), time(9), time(10, 29), time(10, 30),
              time(17, 44), time(17, 45), time(19, 59), time(20), time(20, 30), time(20, 59),
              time(21), time(23, 58), time(23, 59)]  # fmt: skip
MERCHANT_HOURS = [(time(9), time(20)), (time(8), time(21)), (time(0), time(23, 59)),
                  (time(10, 30), time(17, 45))]  # fmt: skip


@PROPERTIES
@given(
    st.dates(datetime(2026, 1, 1).date(), datetime(2026, 12, 31).date()),
    st.sampled_from(EDGE_TIMES) | st.times(),
    st.sampled_from(PHONES),
    st.sampled_from(ADDRESSES),
    st.sampled_from(MERCHANT_HOURS),
)
def test_a_due_contact_is_allowed_exactly_when_every_zone_is_inside_the_hours(
    day, local_time, phone, address, hours
) -> None:
    country, province = address
    checkout = facts(phone_e164=phone, country=country, province=province)
    zones = expected_zones(checkout)
    # Read the time in one of the shopper's zones, so that edge times land on real edges.
    now = datetime.combine(day, local_time, tzinfo=ZoneInfo(min(zones))).astimezone(UTC)
    checkout = dataclasses.replace(checkout, last_updated_at=now - timedelta(days=1))
    shop = Settings(window_start=hours[0], window_end=hours[1])
    start = max(time(8), hours[0])
    end = min(time(20) if _is_strict(checkout) else time(21), hours[1])
    inside = all(start <= now.astimezone(ZoneInfo(zone)).time() < end for zone in zones)
    assert (may_contact_now(checkout, shop, "call", now) is None) == inside


@PROPERTIES
@given(clocks, st.sampled_from(PHONES), st.sampled_from(ADDRESSES))
def test_an_eligible_consented_checkout_gets_a_contact_or_a_lawful_stop(now, phone, address):
    country, province = address
    checkout = facts(phone_e164=phone, country=country, province=province, last_updated_at=now)
    decision = plan_next(checkout, Settings(window_start=time(8), window_end=time(21)), now)
    if isinstance(decision, Stop):
        assert decision.reason is Reason.NO_WINDOW
    else:
        assert decision.channel is Channel.CALL
        assert decision.at - now < timedelta(days=2)
