"""A call's outcome in the contract's vocabulary, and reporting it to the recovery engine once."""

from __future__ import annotations

from sqlalchemy import inspect, update

from app.extensions import db
from app.recovery import scheduler
from app.transactions import begin_writing
from app.voice.models import Call, CallStatus

LINK_SENT = "link_sent"
DISCOUNT_SENT = "discount_sent"
CALLBACK_SCHEDULED = "callback_scheduled"
OPTED_OUT = "opted_out"
TRANSFERRED = "transferred"
ALREADY_PURCHASED = "already_purchased"
WRONG_NUMBER = "wrong_number"
DECLINED = "declined"
VOICEMAIL = "voicemail"
NO_ANSWER = "no_answer"
BUSY = "busy"
FAILED = "failed"
COMPLETED = "completed"
# Answered, but the shopper never said anything we could hear (an extension of the vocabulary).
NO_RESPONSE = "no_response"

# When several things happened in one call, the strongest one names it.
PRIORITY = (OPTED_OUT, WRONG_NUMBER, ALREADY_PURCHASED, TRANSFERRED, DISCOUNT_SENT, LINK_SENT,
            CALLBACK_SCHEDULED, DECLINED, VOICEMAIL, COMPLETED, NO_RESPONSE)
_RANK = {outcome: rank for rank, outcome in enumerate(PRIORITY)}
_UNANSWERED = {CallStatus.BUSY: BUSY, CallStatus.NO_ANSWER: NO_ANSWER, CallStatus.FAILED: FAILED,
               CallStatus.CANCELED: FAILED}


def stronger(current: str | None, new: str) -> str:
    """The outcome that names the call once `new` has happened too."""
    if current is None:
        return new
    return new if _RANK.get(new, len(PRIORITY)) < _RANK.get(current, len(PRIORITY)) else current


def final(call: Call, twilio_status: str) -> str:
    """The call's outcome once Twilio says it is over."""
    if twilio_status in _UNANSWERED and call.answered_at is None:
        return _UNANSWERED[twilio_status]
    talked = any(turn.role == "shopper" for turn in call.turns)
    if (call.answered_by or "").startswith("machine") and call.outcome in (None, VOICEMAIL) and not talked:
        return VOICEMAIL
    return call.outcome or (COMPLETED if call.answered_at else NO_ANSWER)


def report(call: Call) -> bool:
    """Tell the recovery engine how the contact ended, exactly once per call; commits.

    Call it after committing the call's outcome. The claim and the engine's update (which plans
    what follows) commit together."""
    call_id = inspect(call).identity[0]
    db.session.commit()
    begin_writing()
    claimed = db.session.execute(
        update(Call).where(Call.id == call_id, Call.reported.is_(False)).values(reported=True)
        .returning(Call.attempt_id, Call.outcome).execution_options(synchronize_session=False)
    ).one_or_none()
    if claimed is None:
        db.session.commit()
        return False
    return scheduler.record_outcome(claimed.attempt_id, claimed.outcome or FAILED)
