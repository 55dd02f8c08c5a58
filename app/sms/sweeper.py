"""The safety net for texts: a send job lost (a Redis outage, a killed worker) is queued again.

The send job decides under the row's lock and looks a `requesting` text up in Twilio's list before
anything else, so queuing it again never sends twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from app.dbtypes import utcnow
from app.extensions import db
from app.recovery import clock
from app.sms import outbox
from app.sms.models import Message, MessageStatus

log = logging.getLogger(__name__)

# A text still not known to Twilio this long after its last change lost its job. Replies held for
# the shopper's contact window are queued for later on purpose: they are left alone until due.
STALLED_AFTER = timedelta(minutes=2)
BATCH = 100


def sweep() -> dict[str, int]:
    now = utcnow()
    stalled = db.session.execute(
        select(Message.id).where(Message.direction == "outbound",
                                 Message.status.in_((MessageStatus.PENDING, MessageStatus.REQUESTING)),
                                 Message.updated_at < now - STALLED_AFTER,
                                 Message.not_before.is_(None) | (Message.not_before <= clock.now()))
        .order_by(Message.id).limit(BATCH)
    ).scalars().all()
    db.session.rollback()
    for message_id in stalled:
        outbox.enqueue(message_id, step=f"sweep-{int(now.timestamp())}")
    if stalled:
        log.info("sms sweep: %d stalled texts re-queued", len(stalled))
    return {"requeued": len(stalled)}
