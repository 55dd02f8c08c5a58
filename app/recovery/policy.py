"""Whether, how and when an abandoned checkout may be contacted: pure decisions on plain data."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from app.recovery.contact_window import (
    ContactRules,
    Window,
    candidate_zones,
    effective_window,
    is_within_window,
    next_window_opening,
    state_rules,
)


class Channel(StrEnum):
    """How a shopper is reached."""

    CALL = "call"
    SMS = "sms"


class Reason(StrEnum):
    """Why a checkout is not contacted (now or ever); stored and shown, so values are stable."""

    SHOP_INACTIVE = "shop_inactive"
    RESTRICTED = "restricted"  # the merchant restricted processing for this customer
    COMPLETED = "completed"
    SUPERSEDED = "newer_checkout"  # the shopper's newer checkout is the one contacted
    SUPPRESSED = "suppressed"
    OPTED_OUT = "opted_out"
    NO_PHONE = "no_phone"
    NO_CONSENT = "no_consent"
    CHANNEL_DISABLED = "channel_disabled"
    COUNTRY_NOT_ALLOWED = "country_not_allowed"
    BELOW_MIN_VALUE = "below_min_value"
    HOLDOUT = "holdout"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    CONVERSATION_HELD = "conversation_held"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    NO_WINDOW = "no_window"
    OUTSIDE_WINDOW = "outside_window"
    TOO_SOON = "too_soon"
    STATE_CAP = "state_cap"
    WRONG_NUMBER = "wrong_number"
    ALREADY_PURCHASED = "already_purchased"


# Outcomes are the contract's call vocabulary ("Records for the merchant"); the hyphenated forms are
# Twilio's CallStatus spellings, still accepted for rows recorded with them.
# Call outcomes where nobody talked to us; the shopper gets a text soon after instead.
UNANSWERED_CALL_OUTCOMES = frozenset({"no_answer", "no-answer", "busy", "failed", "voicemail",
                                      "no_response"})
# A call that reached a person: the conversation happened, only a requested callback follows.
CONVERSATION_OUTCOMES = frozenset({"completed", "link_sent", "discount_sent", "declined", "transferred",
                                   "callback_scheduled"})
CONVERSATION_OUTCOME = "completed"
# Recorded when the shopper opts out during a call or by text; it ends outreach on every channel.
OPT_OUT_OUTCOMES = frozenset({"opted_out", "opted-out"})
OPT_OUT_OUTCOME = "opted_out"
# The shopper told us the number is not theirs, or that they bought already: nothing follows.
FINAL_OUTCOMES = {"wrong_number": "wrong_number", "already_purchased": "already_purchased"}
# A contact that reached no one (the hand-off failed, or the carrier could not deliver the text): it
# counts against the caps like any try, but never earns a recovery, and a text is tried again.
NOT_A_CONTACT_OUTCOMES = frozenset({"dispatch_failed", "undelivered"})
UNDELIVERED_TEXT = "undelivered"
# The state caps count contacts in a rolling 24 h period (see contact_window).
CAP_PERIOD = timedelta(hours=24)


@dataclass(frozen=True)
class Settings:
    """A shop's outreach settings, as plain values."""

    calls_enabled: bool = True
    sms_enabled: bool = True
    first_contact_delay_minutes: int = 30
    sms_fallback_delay_minutes: int = 10
    max_attempts: int = 3  # contacts per checkout, calls and texts together
    min_attempt_spacing_minutes: int = 120
    min_cart_value: Decimal = Decimal(0)
    allowed_countries: frozenset[str] = field(default_factory=frozenset)  # empty: all
    window_start: time = time(9)
    window_end: time = time(20)
    holdout_percent: int = 10

    def __post_init__(self) -> None:
        """Refuse values no schedule can be built from."""
        minutes = (
            self.first_contact_delay_minutes,
            self.sms_fallback_delay_minutes,
            self.min_attempt_spacing_minutes,
        )
        if min(minutes) < 0 or self.max_attempts < 0:
            raise ValueError("delays, spacing and max_attempts must not be negative")
        if not 0 <= self.holdout_percent <= 100:
            raise ValueError("holdout_percent must be within 0..100")


@dataclass(frozen=True)
class Consent:
    """Consent resolved for the checkout's phone (SMS-marketing consent never gives call)."""

    call: bool
    sms: bool


@dataclass(frozen=True)
class Attempt:
    """One contact made (or started) for the checkout and what came of it."""

    channel: str
    at: datetime
    outcome: str | None  # None while the contact is still in progress


@dataclass(frozen=True)
class CheckoutFacts:
    """Everything the policy needs to know about one abandoned checkout, loaded fresh."""

    shop_active: bool
    completed: bool
    suppressed: bool  # the phone is on the do-not-contact list
    holdout: bool
    cart_value: Decimal
    country: str | None
    province: str | None
    phone_e164: str | None
    last_updated_at: datetime
    consent: Consent
    # Contacts made in this conversation: this checkout's and those about the shopper's other open
    # checkouts (one person, one conversation), so caps, spacing and fallbacks count the person.
    attempts: tuple[Attempt, ...] = ()
    requested_callback_at: datetime | None = None
    # A newer open checkout of the same shopper carries consent: that one is contacted, not this.
    superseded: bool = False
    # When this shop contacted the same number in the 24 h before now, on any checkout and any
    # channel, apart from the contacts in `attempts`: the state caps count per number, not per cart.
    other_contacts: tuple[datetime, ...] = ()
    # The merchant restricted processing for this customer (app.privacy.restriction).
    restricted: bool = False


@dataclass(frozen=True)
class Ineligible:
    """A checkout may not be contacted, and why."""

    reason: Reason


@dataclass(frozen=True)
class Contact:
    """Contact the shopper on this channel at this instant (UTC)."""

    channel: Channel
    at: datetime


@dataclass(frozen=True)
class Stop:
    """Never contact this checkout again (unless its facts change), and why."""

    reason: Reason


Decision = Contact | Stop


def eligibility(facts: CheckoutFacts, settings: Settings) -> Ineligible | None:
    """Why the checkout may not be contacted at all, or None when it may be."""
    reason = _ineligibility_reason(facts, settings)
    return None if reason is None else Ineligible(reason)


def plan_next(facts: CheckoutFacts, settings: Settings, now: datetime) -> Decision:
    """The next contact to schedule for the checkout, or why there is none."""
    _require_aware(now)
    if (reason := _ineligibility_reason(facts, settings)) is not None:
        return Stop(reason)
    where = _where_and_when(facts, settings)
    if isinstance(where, Reason):
        return Stop(where)
    zones, window, rules = where
    step = _next_step(facts, settings)
    if isinstance(step, Reason):
        return Stop(step)
    channel, earliest = step
    at = _settle(max(earliest, now), facts, zones, window, rules)
    return Stop(Reason.NO_WINDOW) if at is None else Contact(channel, at)


def may_contact_now(
    facts: CheckoutFacts, settings: Settings, channel: str, now: datetime
) -> Ineligible | None:
    """The final check a job makes as it acts; None means go ahead on that channel now."""
    _require_aware(now)
    channel = Channel(channel)
    if (reason := _ineligibility_reason(facts, settings)) is not None:
        return Ineligible(reason)
    if channel not in _usable_channels(facts, settings):
        consented = facts.consent.call if channel is Channel.CALL else facts.consent.sms
        return Ineligible(Reason.CHANNEL_DISABLED if consented else Reason.NO_CONSENT)
    where = _where_and_when(facts, settings)
    if isinstance(where, Reason):
        return Ineligible(where)
    zones, window, rules = where
    if not is_within_window(now, zones, window):
        return Ineligible(Reason.OUTSIDE_WINDOW)
    earliest = _earliest(facts, settings, channel)
    if isinstance(earliest, Reason):
        return Ineligible(earliest)
    if now < earliest:
        return Ineligible(Reason.TOO_SOON)
    if _cap_release(facts, rules, now) is not None:
        return Ineligible(Reason.STATE_CAP)
    return None


def reply_time(facts: CheckoutFacts, settings: Settings, now: datetime) -> datetime | None:
    """When an answer to the shopper's own text may go out: now inside the contact window, else
    when it next opens (None: the shopper's window never opens). Caps and spacing do not apply:
    the shopper wrote first."""
    _require_aware(now)
    where = _where_and_when(facts, settings)
    if isinstance(where, Reason):
        return None
    zones, window, _ = where
    return next_window_opening(now, zones, window)


def _ineligibility_reason(facts: CheckoutFacts, settings: Settings) -> Reason | None:
    """The first rule that rules the checkout out; compliance first, then the merchant's filters."""
    if not facts.shop_active:
        return Reason.SHOP_INACTIVE
    if facts.restricted:
        return Reason.RESTRICTED
    if facts.completed:
        return Reason.COMPLETED
    if facts.suppressed:
        return Reason.SUPPRESSED
    if any(attempt.outcome in OPT_OUT_OUTCOMES for attempt in facts.attempts):
        # Honoured even before the do-not-contact list has caught up with the opt-out.
        return Reason.OPTED_OUT
    final = next((FINAL_OUTCOMES[a.outcome] for a in facts.attempts if a.outcome in FINAL_OUTCOMES), None)
    if final is not None:
        return Reason(final)
    if facts.superseded:
        return Reason.SUPERSEDED
    if not facts.phone_e164:
        return Reason.NO_PHONE
    if not (facts.consent.call or facts.consent.sms):
        return Reason.NO_CONSENT
    if not _usable_channels(facts, settings):
        return Reason.CHANNEL_DISABLED
    if settings.allowed_countries and (facts.country or "").upper() not in {
        country.upper() for country in settings.allowed_countries
    }:
        return Reason.COUNTRY_NOT_ALLOWED
    if facts.cart_value < settings.min_cart_value:
        return Reason.BELOW_MIN_VALUE
    # Checked after the other rules so that the holdout group holds only checkouts that would
    # otherwise have been contacted: that is the group lift compares against.
    if facts.holdout:
        return Reason.HOLDOUT
    if len(facts.attempts) >= settings.max_attempts:
        return Reason.ATTEMPTS_EXHAUSTED
    return None


def _usable_channels(facts: CheckoutFacts, settings: Settings) -> tuple[Channel, ...]:
    """Channels both consented to and enabled, in order of preference (a call first)."""
    usable = []
    if facts.consent.call and settings.calls_enabled:
        usable.append(Channel.CALL)
    if facts.consent.sms and settings.sms_enabled:
        usable.append(Channel.SMS)
    return tuple(usable)


def _where_and_when(
    facts: CheckoutFacts, settings: Settings
) -> tuple[frozenset[str], Window, ContactRules] | Reason:
    """The shopper's possible zones, the window to respect in all of them, and the legal rules."""
    phone = facts.phone_e164 or ""
    zones = candidate_zones(phone, facts.country, facts.province)
    if not zones:
        return Reason.UNKNOWN_TIMEZONE
    rules = state_rules(phone, facts.country, facts.province)
    window = effective_window(rules, settings.window_start, settings.window_end)
    if window.is_empty:
        return Reason.NO_WINDOW
    return zones, window, rules


def _next_step(facts: CheckoutFacts, settings: Settings) -> tuple[Channel, datetime] | Reason:
    """The preferred channel for the next contact and the earliest time the rules allow it."""
    usable = _usable_channels(facts, settings)
    callback = _pending_callback(facts)
    if callback is not None:
        return usable[0], callback
    last = _last_attempt(facts)
    channel = usable[0]
    missed = last is not None and (_is_unanswered_call(last) or _is_undelivered_text(last))
    if missed and Channel.SMS in usable:
        channel = Channel.SMS
    earliest = _earliest(facts, settings, channel)
    return earliest if isinstance(earliest, Reason) else (channel, earliest)


def _earliest(facts: CheckoutFacts, settings: Settings, channel: Channel) -> datetime | Reason:
    """The earliest time the pacing rules allow a contact on this channel, ignoring the window."""
    callback = _pending_callback(facts)
    if callback is not None:
        # The shopper named the time; only the window and the caps still apply to it.
        return callback
    if any(_is_conversation(attempt) for attempt in facts.attempts):
        return Reason.CONVERSATION_HELD
    # Never while the shopper may still be in checkout: the delay restarts with every update.
    earliest = facts.last_updated_at + timedelta(minutes=settings.first_contact_delay_minutes)
    last = _last_attempt(facts)
    if last is not None:
        gap = settings.min_attempt_spacing_minutes
        if channel is Channel.SMS and _is_unanswered_call(last):
            gap = settings.sms_fallback_delay_minutes
        earliest = max(earliest, last.at + timedelta(minutes=gap))
    return earliest


def _settle(
    start: datetime,
    facts: CheckoutFacts,
    zones: frozenset[str],
    window: Window,
    rules: ContactRules,
) -> datetime | None:
    """The first instant from start that is inside the window and under the state cap."""
    at = start
    # Each cap wait lets at least one counted contact expire, so this many rounds always suffice.
    for _ in range(len(facts.attempts) + len(facts.other_contacts) + 3):
        opening = next_window_opening(at, zones, window)
        if opening is None:
            return None
        release = _cap_release(facts, rules, opening)
        if release is None:
            return opening
        at = release
    return None


def _cap_release(facts: CheckoutFacts, rules: ContactRules, at: datetime) -> datetime | None:
    """None if a contact at `at` stays under the state cap, else when a counted contact expires.

    Texts count like calls (the state statutes say so), and so do contacts about the shop's other
    checkouts to the same number (`other_contacts`).
    """
    if rules.max_per_24h is None:
        return None
    made = [a.at for a in facts.attempts] + list(facts.other_contacts)
    # Each counted contact leaves the rolling period 24 h after it was made, hence after `at`.
    expiries = [moment + CAP_PERIOD for moment in made if moment > at - CAP_PERIOD]
    return min(expiries) if len(expiries) >= rules.max_per_24h else None


def _pending_callback(facts: CheckoutFacts) -> datetime | None:
    """The callback time the shopper asked for, unless a contact at or after it was made."""
    requested = facts.requested_callback_at
    if requested is None or any(a.at >= requested for a in facts.attempts):
        return None
    return requested


def _last_attempt(facts: CheckoutFacts) -> Attempt | None:
    """The most recent attempt, whatever order the caller listed them in."""
    return max(facts.attempts, key=lambda attempt: attempt.at, default=None)


def _is_unanswered_call(attempt: Attempt) -> bool:
    """True for a call nobody answered in person."""
    return attempt.channel == Channel.CALL and attempt.outcome in UNANSWERED_CALL_OUTCOMES


def _is_undelivered_text(attempt: Attempt) -> bool:
    """True for a text the carrier could not deliver: the next try is a text again."""
    return attempt.channel == Channel.SMS and attempt.outcome == UNDELIVERED_TEXT


def _is_conversation(attempt: Attempt) -> bool:
    """True for a call in which the shopper talked with the assistant."""
    return attempt.channel == Channel.CALL and attempt.outcome in CONVERSATION_OUTCOMES


def _require_aware(moment: datetime) -> None:
    """Refuse a naive 'now': it would silently mean the server's local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime (UTC)")
