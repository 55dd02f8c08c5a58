"""The recovery tables: personal data flagged and encrypted, statuses, constraints."""

import pytest
from sqlalchemy import text

from app.crypto import EncryptedText
from app.extensions import db
from app.recovery.models import (
    CONTACTED,
    AttemptStatus,
    Checkout,
    ContactAttempt,
    Order,
    Recovery,
    RecoveryClick,
)
from tests.recovery.conftest import T0

PERSONAL = {
    Checkout: {"customer_hash", "email", "phone", "first_name", "last_name", "email_hash", "phone_hash",
               "recovery_url", "line_items"},
    ContactAttempt: {"phone", "phone_hash"},
    Order: {"customer_hash", "email_hash", "phone_hash"},
    Recovery: set(),
    RecoveryClick: set(),
}


@pytest.mark.parametrize("model", list(PERSONAL))
def test_exactly_the_personal_columns_are_flagged(model):
    flagged = {c.name for c in model.__table__.columns if c.info.get("pii")}
    assert flagged == PERSONAL[model]


@pytest.mark.promise("encryption-at-rest")
@pytest.mark.parametrize("model", list(PERSONAL))
def test_personal_values_other_than_keyed_hashes_are_encrypted(model):
    for column in model.__table__.columns:
        if column.info.get("pii") and not column.name.endswith("_hash"):
            assert isinstance(column.type, EncryptedText), column.name


def test_statuses_are_the_documented_set():
    assert {s.value for s in AttemptStatus} == {
        "scheduled", "dispatched", "awaiting_channel", "withheld", "skipped", "canceled", "completed"}
    assert set(CONTACTED) == {AttemptStatus.DISPATCHED, AttemptStatus.COMPLETED}


@pytest.mark.promise("encryption-at-rest")
@pytest.mark.data
def test_attempt_phone_is_encrypted_in_the_database(shop):
    checkout = Checkout(shop_id=shop.id, token="t", line_items=[])
    checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="call", scheduled_at=T0,
                                            status=AttemptStatus.DISPATCHED, phone="+12125550123"))
    db.session.add(checkout)
    db.session.commit()
    raw = db.session.execute(text("SELECT phone FROM contact_attempts")).scalar_one()
    assert "2125550123" not in raw
    assert checkout.attempts[0].job_id == f"contact-{checkout.id}-1"


@pytest.mark.data
def test_checkout_token_is_unique_per_shop_only(shop):
    from tests.recovery.conftest import make_shop

    other = make_shop("beta.myshopify.com")
    db.session.add_all([Checkout(shop_id=shop.id, token="same", line_items=[]),
                        Checkout(shop_id=other.id, token="same", line_items=[])])
    db.session.commit()
    db.session.add(Checkout(shop_id=shop.id, token="same", line_items=[]))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()
