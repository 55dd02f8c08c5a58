"""Whether an order is a recovery (it followed a contact or a tracked click within the merchant's
window), and the lift of contacting over the holdout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from app import money
from app.extensions import db
from app.recovery import lift as lift_stats
from app.recovery.facts import attribution_window
from app.recovery.models import (
    CONTACTED,
    AttemptStatus,
    Checkout,
    ContactAttempt,
    Order,
    Recovery,
    RecoveryClick,
)
from app.recovery.policy import NOT_A_CONTACT_OUTCOMES
from app.shops.models import Shop

LINK = "link"
# A failed hand-off, an undelivered text: it reached no one and cannot earn a recovery.
_NOT_A_CONTACT = NOT_A_CONTACT_OUTCOMES


@dataclass(frozen=True)
class Touch:
    at: datetime
    channel: str | None
    attempt_id: int | None
    checkout_id: int
    holdout: bool = False


def attribute(order: Order, checkouts: list[Checkout]) -> Recovery | None:
    """Record the order as a recovery if a touch on one of `checkouts` (the order's own checkout
    first, then the same shopper's others it settled) preceded it within the merchant's window.

    One shopper is one conversation: a call about one cart that ends in an order from another
    is that call's recovery, recorded on the checkout that was contacted (so lift counts it there).
    """
    if not checkouts:
        return None
    ids = [checkout.id for checkout in checkouts]
    existing = db.session.execute(
        select(Recovery).where(Recovery.checkout_id.in_(ids) | (Recovery.order_id == order.id))
    ).scalars().first()
    if existing is not None:
        return existing
    window = attribution_window(db.session.get(Shop, checkouts[0].shop_id))
    touch = last_touch(checkouts, order.ordered_at, window)
    if touch is None:
        return None
    recovery = Recovery(
        shop_id=checkouts[0].shop_id, checkout_id=touch.checkout_id, order_id=order.id,
        attempt_id=touch.attempt_id, channel=touch.channel, match_kind=order.match_kind or "",
        holdout=touch.holdout, touched_at=touch.at, ordered_at=order.ordered_at, revenue=order.total_price,
        currency=order.currency,
    )
    db.session.add(recovery)
    db.session.flush()
    return recovery


def last_touch(checkouts: list[Checkout], ordered_at: datetime, window: timedelta) -> Touch | None:
    """The latest contact, click or (holdout) withheld contact in [ordered_at - window, ordered_at]."""
    since = ordered_at - window
    touches = [t for checkout in checkouts for t in (*_contacts(checkout), *_clicks(checkout))
               if since <= t.at <= ordered_at]
    return max(touches, key=lambda t: t.at, default=None)


def _contacts(checkout: Checkout) -> list[Touch]:
    touches = []
    for attempt in checkout.attempts:
        if attempt.status in CONTACTED and attempt.dispatched_at and attempt.outcome not in _NOT_A_CONTACT:
            touches.append(Touch(attempt.dispatched_at, attempt.channel, attempt.id, checkout.id))
        elif attempt.status == AttemptStatus.WITHHELD and attempt.finished_at:
            touches.append(Touch(attempt.finished_at, None, attempt.id, checkout.id, holdout=True))
    return touches


def _clicks(checkout: Checkout) -> list[Touch]:
    rows = db.session.execute(
        select(RecoveryClick.clicked_at, RecoveryClick.attempt_id, ContactAttempt.channel)
        .outerjoin(ContactAttempt, ContactAttempt.id == RecoveryClick.attempt_id)
        .where(RecoveryClick.checkout_id == checkout.id)
    ).all()
    return [Touch(clicked_at, channel or LINK, attempt_id, checkout.id)
            for clicked_at, attempt_id, channel in rows]


def summary(shop_id: int, since: datetime | None = None) -> dict:
    """Recovered revenue and counts, and lift (contacted vs holdout recovery rate) with its CI."""
    contacted = _arm(shop_id, ContactAttempt.status.in_(CONTACTED)
                     & or_(ContactAttempt.outcome.is_(None), ContactAttempt.outcome.not_in(_NOT_A_CONTACT)),
                     ContactAttempt.dispatched_at, since)
    withheld = _arm(shop_id, ContactAttempt.status == AttemptStatus.WITHHELD,
                    ContactAttempt.finished_at, since)
    contacted_total, contacted_recovered = _count(contacted, holdout=False)
    holdout_total, holdout_recovered = _count(withheld, holdout=True)
    result = lift_stats.lift(contacted_recovered, contacted_total, holdout_recovered, holdout_total)
    return {
        "contacted": {"checkouts": contacted_total, "recovered": contacted_recovered},
        "holdout": {"checkouts": holdout_total, "recovered": holdout_recovered},
        "lift": _lift_json(result),
        "revenue": _revenue(shop_id, since),
        "by_channel": _by_channel(shop_id, since),
    }


def _arm(shop_id: int, condition, at_column, since: datetime | None):
    """The distinct checkouts of one arm, as a subquery."""
    query = select(ContactAttempt.checkout_id).distinct().where(ContactAttempt.shop_id == shop_id, condition)
    if since is not None:
        query = query.where(at_column >= since)
    return query


def _count(arm, *, holdout: bool) -> tuple[int, int]:
    total = db.session.execute(select(func.count()).select_from(arm.subquery())).scalar_one()
    recovered = db.session.execute(
        select(func.count(Recovery.id)).where(Recovery.checkout_id.in_(arm), Recovery.holdout == holdout)
    ).scalar_one()
    return total, recovered


def _recovered(shop_id: int, since: datetime | None):
    """Conditions for the shop's recoveries earned by outreach (holdout conversions excluded)."""
    conditions = [Recovery.shop_id == shop_id, Recovery.holdout.is_(False)]
    if since is not None:
        conditions.append(Recovery.touched_at >= since)
    return conditions


def _revenue(shop_id: int, since: datetime | None) -> dict[str, str]:
    """Recovered revenue per currency, summed exactly (SQLite's SUM would add floats)."""
    rows = db.session.execute(select(Recovery.currency, Recovery.revenue).where(*_recovered(shop_id, since)))
    return money.totals_by_currency(rows)


def _by_channel(shop_id: int, since: datetime | None) -> dict[str, int]:
    rows = db.session.execute(
        select(Recovery.channel, func.count(Recovery.id))
        .where(*_recovered(shop_id, since)).group_by(Recovery.channel)
    ).all()
    return {channel or "": count for channel, count in rows}


def _lift_json(result: lift_stats.LiftResult) -> dict:
    return {"rate_contacted": result.rate_contacted, "rate_holdout": result.rate_holdout,
            "lift": result.lift, "ci_low": result.ci_low, "ci_high": result.ci_high,
            "confidence": lift_stats.DEFAULT_CONFIDENCE, "significant": result.significant}
