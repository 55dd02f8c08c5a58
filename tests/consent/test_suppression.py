"""The do-not-contact list."""

import pytest
from sqlalchemy import func, select, text

from app.consent import suppression
from app.consent.models import Suppression
from app.consent.queries import is_suppressed, suppress
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from app.extensions import db as _db
from app.shops.models import Shop
from tests.consent.payloads import US_PHONE, US_PHONE_2

pytestmark = pytest.mark.data


def count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Suppression)).scalar_one()


@pytest.mark.promise("encryption-at-rest")
def test_suppress_adds_a_row_with_hashed_and_encrypted_phone(db, shop):
    row = suppress(shop.id, "+1 (201) 555-0123", reason="stop_keyword", source="sms:inbound")
    assert (row.channel, row.reason, row.source) == ("all", "stop_keyword", "sms:inbound")
    assert row.phone_hash == lookup_hash(US_PHONE) and row.phone_e164 == US_PHONE
    raw = db.session.execute(text("SELECT phone_e164 FROM suppressions")).scalar_one()
    assert "2015550123" not in raw


def test_suppress_is_idempotent(db, shop):
    first = suppress(shop.id, US_PHONE, reason="stop_keyword", source="sms")
    again = suppress(shop.id, "+1 201 555 0123", reason="merchant", source="admin")
    assert again.id == first.id and again.reason == "stop_keyword"
    assert count(db) == 1


def test_suppress_flushes_but_does_not_commit(db, shop):
    db.session.commit()
    suppress(shop.id, US_PHONE, reason="stop_keyword", source="sms")
    assert count(db) == 1
    db.session.rollback()
    assert count(db) == 0


@pytest.mark.promise("stop-at-once")
def test_is_suppressed_matches_any_format_of_the_number(db, shop):
    suppress(shop.id, US_PHONE, reason="stop_keyword", source="sms")
    assert is_suppressed(shop.id, "+1 (201) 555-0123")
    assert not is_suppressed(shop.id, US_PHONE_2)


@pytest.mark.promise("stop-at-once")
@pytest.mark.parametrize("channel", ["call", "sms", "all"])
def test_all_row_suppresses_every_channel(db, shop, channel):
    suppress(shop.id, US_PHONE, reason="verbal_opt_out", source="voice")
    assert is_suppressed(shop.id, US_PHONE, channel)


def test_channel_row_does_not_suppress_the_other_channel(db, shop):
    suppress(shop.id, US_PHONE, channel="sms", reason="stop_keyword", source="sms")
    assert is_suppressed(shop.id, US_PHONE, "sms")
    assert not is_suppressed(shop.id, US_PHONE, "call")


def test_all_check_matches_a_row_for_any_channel(db, shop):
    suppress(shop.id, US_PHONE, channel="call", reason="verbal_opt_out", source="voice")
    assert is_suppressed(shop.id, US_PHONE)


def test_unknown_channel_is_refused(db, shop):
    with pytest.raises(ValueError, match="unknown channel"):
        suppress(shop.id, US_PHONE, channel="fax", reason="merchant", source="admin")
    with pytest.raises(ValueError, match="unknown channel"):
        is_suppressed(shop.id, US_PHONE, "email")


def test_empty_phone_is_refused_and_never_suppressed(db, shop):
    with pytest.raises(ValueError):
        suppress(shop.id, "  ", reason="merchant", source="admin")
    assert not is_suppressed(shop.id, "")


@pytest.mark.promise("stop-at-once")
def test_unparseable_number_is_still_suppressed_by_its_text(db, shop):
    suppress(shop.id, " 12345 ", reason="stop_keyword", source="sms")
    assert is_suppressed(shop.id, "12345")


def test_suppression_is_scoped_to_the_shop(db, shops):
    alpha, beta = shops
    suppress(alpha.id, US_PHONE, reason="merchant", source="admin")
    assert not is_suppressed(beta.id, US_PHONE)


def test_concurrent_suppress_of_the_same_number_keeps_the_first_row(app, monkeypatch):
    shop = Shop(domain="alpha.myshopify.com", installed_at=utcnow())
    _db.session.add(shop)
    _db.session.commit()
    first = suppress(shop.id, US_PHONE, reason="stop_keyword", source="worker-1")
    _db.session.commit()
    real_find = suppression._find
    calls = []

    def find_missing_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(suppression, "_find", find_missing_once)  # lost the race: the row appears late
    second = suppress(shop.id, US_PHONE, reason="verbal_opt_out", source="worker-2")
    _db.session.commit()
    assert second.id == first.id and second.source == "worker-1"
    assert _db.session.execute(select(func.count()).select_from(Suppression)).scalar_one() == 1


@pytest.mark.promise("stop-at-once")
def test_sender_wide_suppression_applies_to_every_shop(db, shops):
    alpha, beta = shops
    row = suppress(suppression.SENDER_WIDE, US_PHONE, reason="sms_stop", source="sms")
    assert row.shop_id is None
    assert is_suppressed(alpha.id, US_PHONE) and is_suppressed(beta.id, US_PHONE, "call")
    assert suppression.is_suppressed_everywhere(beta.id, US_PHONE)
    assert suppression.suppressed_channels(alpha.id, lookup_hash(US_PHONE)) == {"all"}


def test_sender_wide_suppression_is_idempotent_under_a_race(db, shops, monkeypatch):
    first = suppress(suppression.SENDER_WIDE, US_PHONE, reason="sms_stop", source="sms")
    db.session.commit()
    real_find = suppression._find
    calls = []

    def find_missing_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(suppression, "_find", find_missing_once)
    again = suppress(suppression.SENDER_WIDE, US_PHONE, reason="sms_unsubscribed", source="twilio")
    db.session.commit()
    assert again.id == first.id and count(db) == 1


def test_a_channel_row_takes_only_that_channel_away(db, shop):
    suppress(shop.id, US_PHONE, channel="sms", reason="not_mobile", source="twilio")
    assert not suppression.is_suppressed_everywhere(shop.id, US_PHONE)
    assert is_suppressed(shop.id, US_PHONE, "sms") and not is_suppressed(shop.id, US_PHONE, "call")


def test_resume_sms_turns_a_text_opt_out_into_a_call_opt_out(db, shop):
    suppress(suppression.SENDER_WIDE, US_PHONE, reason="sms_stop", source="sms")
    suppress(shop.id, US_PHONE, reason="opted_out", source="call")
    assert suppression.resume_sms(US_PHONE, reasons=frozenset({"sms_stop"}))
    rows = {(r.shop_id, r.channel, r.reason) for r in db.session.execute(select(Suppression)).scalars()}
    # The spoken opt-out on the call stands: START by text never lifts it.
    assert rows == {(None, "call", "sms_stop"), (shop.id, "all", "opted_out")}
    assert not suppression.resume_sms(US_PHONE, reasons=frozenset({"sms_stop"}))


def test_resume_sms_leaves_other_reasons_alone(db, shop):
    suppress(suppression.SENDER_WIDE, US_PHONE, reason="wrong_number", source="sms")
    assert not suppression.resume_sms(US_PHONE, reasons=frozenset({"sms_stop"}))
    assert count(db) == 1


@pytest.mark.promise("no-pii-in-logs")
def test_no_personal_data_in_log_lines(db, shop, caplog):
    caplog.set_level("DEBUG")
    suppress(shop.id, US_PHONE, reason="stop_keyword", source="sms")
    is_suppressed(shop.id, US_PHONE)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "suppressed for shop" in logged and "2015550123" not in logged
