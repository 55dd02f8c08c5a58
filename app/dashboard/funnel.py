"""How far each checkout went (consented, contacted, reached, recovered …), and the overview's counts.

`flags_of` is the one definition of a checkout's flags. The overview sums them over the checkouts a
range started; at a million checkouts computing them all per request is too slow (bench/dashboard.py),
so they are also stored per checkout (`app.dashboard.models.CheckoutFunnel`) and refreshed when the
rows that decide them change (the triggers of migration 0010 list such checkouts in `funnel_changes`).
Triggers also keep `funnel_days` (the stored flags counted per shop, UTC day and bitmask) equal to
them. `counts` reads day counts, stored flags and the listed checkouts computed live in one statement
(one snapshot): its answer is what `flags_of` says of every checkout at that moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, delete, func, literal, not_, or_, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.consent.models import Channels, ConsentEvent
from app.dashboard.models import BIT, FLAGS, CheckoutFunnel, FunnelChange, FunnelDay, flags_in
from app.extensions import db
from app.recovery.models import CONTACTED, AttemptStatus, Checkout, ContactAttempt, Recovery
from app.recovery.policy import (
    CONVERSATION_OUTCOMES,
    FINAL_OUTCOMES,
    NOT_A_CONTACT_OUTCOMES,
    OPT_OUT_OUTCOMES,
    Channel,
)
from app.sms.models import Message, MessageStatus
from app.transactions import begin_writing

# A contact that reached the shopper's phone: dispatched or completed, and not a failed hand-off or an
# undelivered text (the same test as the lift's contacted arm, app.recovery.attribution).
CONTACT = and_(ContactAttempt.status.in_(CONTACTED),
               or_(ContactAttempt.outcome.is_(None), ContactAttempt.outcome.not_in(NOT_A_CONTACT_OUTCOMES)))

# A person answered: every call outcome of a conversation (app.recovery.policy), an opt-out, and
# "wrong number" / "already purchased" (someone said so). Voicemail, no answer, busy, failed are not.
# A text reached the shopper when the carrier reported it delivered (its attempt's outcome says only
# "sent", whether or not a delivery report followed).
REACHED_OUTCOMES = frozenset(CONVERSATION_OUTCOMES | OPT_OUT_OUTCOMES | set(FINAL_OUTCOMES))

# Checkouts refreshed per transaction by `refresh`.
REFRESH_BATCH = 5000
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def started_at():
    """When a checkout started: Shopify's creation time, else when Ringback first saw it."""
    return func.coalesce(Checkout.shopify_created_at, Checkout.created_at)


def _consent_given():
    """A statement of the checkout's (joined on) granting a channel that is still the latest of its
    statements about some channel it covers: the shopper's last word at the checkout was yes."""
    given, later = aliased(ConsentEvent), aliased(ConsentEvent)
    newer = or_(later.consented_at > given.consented_at,
                and_(later.consented_at == given.consented_at, later.id > given.id))
    # A later "call,sms" statement decides both channels again; a later "sms" one only texts.
    superseded = select(later.id).where(
        later.shop_id == given.shop_id, later.checkout_token == given.checkout_token, newer,
        or_(later.channels == Channels.CALL_AND_SMS, given.channels == Channels.SMS)).exists()
    return given, and_(given.shop_id == Checkout.shop_id, given.checkout_token == Checkout.token,
                       given.granted.is_(True), given.phone_hash.is_not(None), not_(superseded))


def flags_of(*where):
    """Per checkout matching `where`: its id, shop, start, and each flag of `FLAGS` as 0 or 1.

    consented_here: its last consent statement at the checkout granted a channel; contacted: a contact
    reached its phone (`CONTACT`); withheld: a contact was withheld (the holdout arm); recovered: an
    order attributed to outreach; holdout_conversion: an order in the holdout; per channel, contacted,
    reached (`REACHED_OUTCOMES`, or a text reported delivered) and recovered by that channel."""

    def flag(*conditions):
        return func.max(case((and_(*conditions), 1), else_=0))

    delivered = select(Message.id).where(
        Message.shop_id == ContactAttempt.shop_id, Message.attempt_id == ContactAttempt.id,
        Message.status == MessageStatus.DELIVERED).exists()
    reached = or_(ContactAttempt.outcome.in_(REACHED_OUTCOMES),
                  and_(ContactAttempt.channel == Channel.SMS, delivered))
    ours = Recovery.holdout.is_(False)
    given, given_here = _consent_given()
    flags = {"consented_here": flag(given.id.is_not(None)), "contacted": flag(CONTACT),
             "withheld": flag(ContactAttempt.status == AttemptStatus.WITHHELD),
             "recovered": flag(ours), "holdout_conversion": flag(Recovery.holdout.is_(True))}
    for channel in Channel:
        on = ContactAttempt.channel == channel.value
        flags[f"{channel}_contacted"] = flag(on, CONTACT)
        flags[f"{channel}_reached"] = flag(on, CONTACT, reached)
        flags[f"{channel}_recovered"] = flag(ours, Recovery.channel == channel.value)
    assert tuple(flags) == FLAGS, "flags_of and the stored columns must agree"
    return (
        select(Checkout.id.label("checkout_id"), Checkout.shop_id.label("shop_id"),
               started_at().label("started_at"), *[column.label(name) for name, column in flags.items()])
        .select_from(Checkout)
        .outerjoin(given, given_here)
        .outerjoin(ContactAttempt, and_(ContactAttempt.checkout_id == Checkout.id,
                                        ContactAttempt.shop_id == Checkout.shop_id,
                                        ContactAttempt.status.in_((*CONTACTED, AttemptStatus.WITHHELD))))
        .outerjoin(Recovery, Recovery.checkout_id == Checkout.id)
        .where(*where).group_by(Checkout.id)
    )


def _pending(checkout_id):
    return select(FunnelChange.checkout_id).where(FunnelChange.checkout_id == checkout_id).exists()


# Figures of the overview that combine flags (each flag is also a figure of its own).
COMBINED = {
    # Every contact was made under consent then: a later "no" leaves the checkout in the funnel.
    "consented": lambda has: "consented_here" in has or "contacted" in has,
    "reached": lambda has: any(f"{channel}_reached" in has for channel in Channel),
    "contacted_arm_recovered": lambda has: {"contacted", "recovered"} <= has,
    "holdout_arm_recovered": lambda has: {"withheld", "holdout_conversion"} <= has,
}


def masked(flags):
    """The rows of `flags_of` with their flags as one bitmask (`app.dashboard.models.BIT`)."""
    computed = flags.subquery()
    mask = sum((computed.c[name] * bit for name, bit in BIT.items()), literal(0))
    return select(computed.c.checkout_id, computed.c.shop_id, computed.c.started_at, mask.label("flags"))


def counts(shop_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """The shop's checkouts started in [start, end): all ("abandoned"), how many have each flag, and
    the COMBINED figures. One statement, so one snapshot, of (checkouts per bitmask):

    the day counts of the whole UTC days in the range, the stored checkouts of its ragged ends (not
    listed as changed), minus the stored flags of listed checkouts counted in those days, plus the
    listed checkouts computed live. Summed here."""
    whole_start, whole_end = _whole_days(start, end)
    stored, per_day = CheckoutFunnel, FunnelDay
    days = (select(per_day.flags, func.sum(per_day.checkouts))
            .where(per_day.shop_id == shop_id, per_day.day >= whole_start.date(),
                   per_day.day < whole_end.date())
            .group_by(per_day.flags))
    ends = (select(stored.flags, func.count())
            .where(stored.shop_id == shop_id, or_(
                and_(stored.started_at >= start, stored.started_at < whole_start),
                and_(stored.started_at >= whole_end, stored.started_at < end)),
                not_(_pending(stored.checkout_id)))
            .group_by(stored.flags))
    outdated = (select(stored.flags, func.count() * -1)
                .join(FunnelChange, FunnelChange.checkout_id == stored.checkout_id)
                .where(stored.shop_id == shop_id, stored.started_at >= whole_start,
                       stored.started_at < whole_end)
                .group_by(stored.flags))
    live = masked(flags_of(Checkout.shop_id == shop_id, started_at() >= start, started_at() < end,
                           _pending(Checkout.id))).subquery()
    changed = select(live.c.flags, func.count()).group_by(live.c.flags)
    totals = dict.fromkeys(("abandoned", *FLAGS, *COMBINED), 0)
    for mask, checkouts in db.session.execute(union_all(days, ends, outdated, changed)):
        has, checkouts = flags_in(mask), int(checkouts)
        totals["abandoned"] += checkouts
        for name in (*has, *[figure for figure, holds in COMBINED.items() if holds(has)]):
            totals[name] += checkouts
    return totals


def _whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The UTC midnights that bound the whole UTC days inside [start, end) (equal when there is none)."""
    first = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=UTC)
    if first < start:
        first += timedelta(days=1)
    last = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return (first, last) if first < last else (end, end)


def refresh(batch: int = REFRESH_BATCH) -> int:
    """Store the flags of every checkout listed in `funnel_changes`, a batch per transaction; returns
    how many were listed. A job (`funnel-refresh`): concurrent runs take different batches; a batch
    that fails (a deadlock with a concurrent erasure, say) is rolled back and stays listed."""
    done = 0
    while True:
        db.session.rollback()
        begin_writing()
        ids = _claim(batch)
        if not ids:
            db.session.rollback()
            return done
        upsert = _INSERTS[db.engine.dialect.name](CheckoutFunnel).from_select(
            ["checkout_id", "shop_id", "started_at", "flags"],
            # SQLite reads `INSERT … SELECT … FROM (…) ON CONFLICT` as a join without its WHERE.
            masked(flags_of(Checkout.id.in_(ids))).where(true()))
        upsert = upsert.on_conflict_do_update(
            index_elements=["checkout_id"],
            set_={name: upsert.excluded[name] for name in ("shop_id", "started_at", "flags")})
        db.session.execute(upsert)
        db.session.commit()
        done += len(ids)
        if len(ids) < batch:
            return done


def _claim(batch: int) -> list[int]:
    """Take up to `batch` listed checkouts off the list, in this transaction (a crash puts them back).
    On PostgreSQL rows another refresh holds are skipped; SQLite has one writer at a time anyway."""
    oldest = select(FunnelChange.checkout_id).order_by(FunnelChange.checkout_id).limit(batch)
    if db.engine.dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    return list(db.session.execute(
        delete(FunnelChange).where(FunnelChange.checkout_id.in_(oldest.scalar_subquery()))
        .returning(FunnelChange.checkout_id)).scalars())
