"""The overview's funnel, kept per checkout: what `app.dashboard.funnel.flags_of` computes, stored.

`checkout_funnels` holds one row of flags per checkout (no personal data: ids, a time, a bitmask).
`funnel_changes` lists the checkouts whose flags may be out of date: database triggers (migration
0010) add a checkout whenever a row that decides its flags is written (the checkout's start time,
its contact attempts, their texts' delivery reports, its recovery, its consent statements), in the
same transaction, whoever writes it (ORM, bulk statement, erasure, retention); the `funnel-refresh`
job stores the listed ones (`app.dashboard.funnel.refresh`). `funnel_days` is `checkout_funnels`
counted per shop, UTC day and flags, kept equal to it by triggers too. Readers use the day counts for
the whole UTC days of a range, checkout rows for its ragged ends, and compute listed checkouts live:
the overview is exact at all times (`app.dashboard.funnel.counts`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime
from app.extensions import db

# The flags of a checkout's funnel: bit i of `CheckoutFunnel.flags` is FLAGS[i] (see
# `app.dashboard.funnel.flags_of` for what each means). One integer, so a range of a million rows is
# counted by grouping on it: a few dozen combinations occur, and their counts give every figure.
FLAGS = ("consented_here", "contacted", "withheld", "recovered", "holdout_conversion",
         "call_contacted", "call_reached", "call_recovered", "sms_contacted", "sms_reached", "sms_recovered")
BIT = {name: 1 << i for i, name in enumerate(FLAGS)}


def flags_in(mask: int) -> frozenset[str]:
    return frozenset(name for name, bit in BIT.items() if mask & bit)


class CheckoutFunnel(db.Model):
    """How far one checkout went: its start and its flags."""

    __tablename__ = "checkout_funnels"
    __table_args__ = (
        # A date range of one shop, read from the index alone on PostgreSQL (its flags included).
        Index("ix_checkout_funnels_shop_started", "shop_id", "started_at", postgresql_include=["flags"]),
    )

    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    shop_id: Mapped[int] = mapped_column(Integer)
    # Shopify's creation time, else when Ringback first saw the checkout (the overview's cohort).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flags: Mapped[int] = mapped_column(Integer)


class FunnelDay(db.Model):
    """How many of a shop's checkouts started on a UTC day with each combination of flags: what
    `checkout_funnels` holds, grouped, kept equal to it by triggers (migration 0010) in the same
    transaction as every write to it. A year is then ~365 × a few dozen rows, not half a million."""

    __tablename__ = "funnel_days"

    shop_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    flags: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    checkouts: Mapped[int] = mapped_column(Integer)


class FunnelChange(db.Model):
    """A checkout whose stored flags may be out of date. No foreign key: the triggers also list a
    checkout whose rows are being deleted with it; `refresh` drops ids that no longer exist."""

    __tablename__ = "funnel_changes"

    checkout_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
