"""The read interface: may we call or text this checkout's shopper, this number?"""

from datetime import UTC, datetime

import pytest

from app.consent.ledger import record_from_webhook
from app.consent.queries import NO_CONSENT, ConsentState, consent_for_checkout, consent_for_phone, suppress
from tests.consent.payloads import UK_PHONE, US_PHONE, US_PHONE_2, WORDING, attributes, checkout

pytestmark = pytest.mark.data

RECEIVED = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
T1, T2, T3 = "2026-11-20T15:00:00Z", "2026-11-20T15:10:00Z", "2026-11-20T15:20:00Z"


def record(shop, payload, topic="checkouts/update"):
    return record_from_webhook(shop, topic, payload, delivery_id=None, received_at=RECEIVED)


def tick(shop, answer, at, token="tok-1", **checkout_fields):
    return record(shop, checkout(token, note_attributes=attributes(answer, at=at), **checkout_fields))


@pytest.mark.promise("opt-in-only")
def test_no_events_means_no_consent(shop):
    assert consent_for_checkout(shop.id, "tok-unknown") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT
    assert NO_CONSENT == ConsentState(False, False, None, None, None)


@pytest.mark.promise("opt-in-only")
def test_yes_at_checkout_allows_call_and_sms_with_phone_wording_and_time(shop):
    tick(shop, "yes", T1)
    state = consent_for_checkout(shop.id, "tok-1")
    assert state == ConsentState(call=True, sms=True, phone_e164=US_PHONE, wording=WORDING,
                                 consented_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert consent_for_phone(shop.id, US_PHONE) == state


@pytest.mark.promise("opt-in-only")
def test_later_no_revokes_an_earlier_yes(shop):
    tick(shop, "yes", T1)
    tick(shop, "no", T2)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT


def test_latest_by_consent_time_decides_not_arrival_order(shop):
    tick(shop, "no", T2)
    tick(shop, "yes", T1)  # an older "yes" delivered late
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    tick(shop, "yes", T3)
    assert consent_for_checkout(shop.id, "tok-1").call


def test_equal_consent_times_latest_recorded_wins(shop):
    tick(shop, "yes", T1)
    tick(shop, "no", T1)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT


@pytest.mark.promise("opt-in-only")
def test_malformed_statement_counts_as_no(shop):
    tick(shop, "yes", T1)
    tick(shop, "maybe", T2)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT


@pytest.mark.promise("opt-in-only")
def test_yes_without_a_valid_phone_allows_nothing(shop):
    tick(shop, "yes", T1, phone="07911 123456")
    tick(shop, "yes", T1, token="tok-2", phone=None)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_checkout(shop.id, "tok-2") == NO_CONSENT


@pytest.mark.promise("opt-in-only")
def test_shopify_sms_marketing_yes_never_allows_calls(shop):
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE))
    state = consent_for_checkout(shop.id, "tok-1")
    assert (state.call, state.sms, state.phone_e164, state.wording) == (False, True, US_PHONE, None)
    assert consent_for_phone(shop.id, US_PHONE).call is False


def test_shopify_sms_marketing_revocation_ends_sms_consent(shop):
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE))
    record(shop, checkout(buyer_accepts_sms_marketing=False, sms_marketing_phone=US_PHONE,
                          updated_at="2026-11-20T15:30:00Z"))
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT


def test_extension_no_revokes_shopify_sms_consent_for_that_phone(shop):
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE,
                          updated_at=T1))
    tick(shop, "no", T2)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT


def test_call_consent_survives_an_sms_only_revocation(shop):
    tick(shop, "yes", T1)
    record(shop, checkout("tok-2", buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE,
                          updated_at=T1))
    record(shop, checkout("tok-2", buyer_accepts_sms_marketing=False, sms_marketing_phone=US_PHONE,
                          updated_at=T2))
    state = consent_for_checkout(shop.id, "tok-1")
    assert (state.call, state.sms) == (True, False)


def test_later_no_on_another_checkout_revokes_this_checkouts_consent(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "no", T2, token="tok-2")
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT


def test_no_without_a_phone_revokes_the_number_the_checkout_consented_with(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "yes", T1, token="tok-2")
    tick(shop, "no", T2, token="tok-2", phone=None)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT


def test_a_no_on_a_new_cart_without_a_phone_revokes_the_same_emails_consent(shop):
    tick(shop, "yes", T1, token="tok-1")
    # A new cart, no phone anywhere on it, the same shopper's e-mail: "no" means no for the person.
    tick(shop, "no", T2, token="tok-new", phone=None)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT


def test_a_no_from_the_same_email_revokes_every_number_it_consented_with(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "yes", T1, token="tok-2", phone=US_PHONE_2)
    tick(shop, "no", T2, token="tok-new", phone=None)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_checkout(shop.id, "tok-2") == NO_CONSENT


def test_a_no_from_another_email_leaves_consent_standing(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "no", T2, token="tok-new", phone=None, email="someone.else@example.com",
         customer={"id": 8, "email": "someone.else@example.com", "phone": None})
    assert consent_for_checkout(shop.id, "tok-1").call


def test_a_yes_after_the_emails_no_consents_again(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "no", T2, token="tok-new", phone=None)
    tick(shop, "yes", T3, token="tok-3")
    assert consent_for_checkout(shop.id, "tok-3").call
    # As for a number, the person's latest statement decides, whichever cart it was made on.
    assert consent_for_checkout(shop.id, "tok-1").call


def test_later_yes_on_another_checkout_keeps_this_checkouts_consent(shop):
    tick(shop, "yes", T1, token="tok-1")
    tick(shop, "yes", T2, token="tok-2")
    assert consent_for_checkout(shop.id, "tok-1").call


def test_consent_for_phone_spans_the_shops_checkouts(shop):
    tick(shop, "no", T1, token="tok-1")
    tick(shop, "yes", T2, token="tok-2")
    assert consent_for_phone(shop.id, US_PHONE).call
    assert consent_for_phone(shop.id, "+1 (201) 555-0123").sms


def test_consent_for_an_unparseable_phone_is_none(shop):
    tick(shop, "yes", T1)
    assert consent_for_phone(shop.id, "not a phone") == NO_CONSENT


@pytest.mark.promise("restriction-and-rectification")
def test_consent_follows_the_checkouts_latest_phone(shop):
    tick(shop, "yes", T1)
    tick(shop, "yes", T2, phone=UK_PHONE)
    assert consent_for_checkout(shop.id, "tok-1").phone_e164 == UK_PHONE


def test_shopify_sms_consent_for_another_phone_is_not_mixed_with_the_checkout_phone(shop):
    tick(shop, "yes", T1)
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE_2,
                          updated_at=T2))
    state = consent_for_checkout(shop.id, "tok-1")
    assert (state.call, state.sms, state.phone_e164) == (False, True, US_PHONE_2)


@pytest.mark.promise("stop-at-once")
def test_suppression_wins_over_consent(shop):
    tick(shop, "yes", T1)
    suppress(shop.id, US_PHONE, reason="stop_keyword", source="sms")
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(shop.id, US_PHONE) == NO_CONSENT


@pytest.mark.promise("stop-at-once")
def test_suppression_wins_over_a_later_yes(shop):
    suppress(shop.id, US_PHONE, reason="verbal_opt_out", source="voice")
    tick(shop, "yes", T3)
    assert consent_for_checkout(shop.id, "tok-1") == NO_CONSENT


def test_channel_suppression_only_blocks_that_channel(shop):
    tick(shop, "yes", T1)
    suppress(shop.id, US_PHONE, channel="sms", reason="stop_keyword", source="sms")
    state = consent_for_checkout(shop.id, "tok-1")
    assert (state.call, state.sms, state.phone_e164) == (True, False, US_PHONE)
    assert (consent_for_phone(shop.id, US_PHONE).call, consent_for_phone(shop.id, US_PHONE).sms) == (
        True, False)


@pytest.mark.promise("opt-in-only")
def test_consent_is_scoped_to_the_shop(shops):
    alpha, beta = shops
    tick(alpha, "yes", T1)
    assert consent_for_checkout(beta.id, "tok-1") == NO_CONSENT
    assert consent_for_phone(beta.id, US_PHONE) == NO_CONSENT
    tick(beta, "no", T2)
    assert consent_for_checkout(alpha.id, "tok-1").call
