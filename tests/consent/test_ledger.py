"""Reading consent out of checkout/order payloads, and appending it to the ledger."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select, text

from app.consent import ledger
from app.consent.ledger import (
    Identifiers,
    note_attributes,
    parse_identifiers,
    parse_statements,
    parse_time,
    record_from_webhook,
)
from app.consent.models import ConsentEvent
from app.consent.phones import PhoneStatus
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from tests.consent import strategies
from tests.consent.payloads import (
    FR_PHONE,
    UK_PHONE,
    US_PHONE,
    US_PHONE_2,
    WORDING,
    attributes,
    checkout,
    order,
)

TICKED = datetime(2026, 11, 20, 15, 4, 5, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 20, 15, 6, tzinfo=UTC)


def only(payload) -> ledger.Statement:
    statements = parse_statements(payload)
    assert len(statements) == 1
    return statements[0]


# -- parsing: the consent attributes --------------------------------------------------------------

@pytest.mark.promise("opt-in-only")
def test_yes_is_call_and_sms_consent_with_wording_time_and_phone():
    statement = only(checkout(note_attributes=attributes("yes")))
    assert statement.granted and statement.channels == "call,sms"
    assert statement.source == "checkout_extension" and statement.malformed_reason is None
    assert statement.wording == WORDING
    assert statement.consented_at == TICKED and statement.consented_at_source == "attribute"
    assert statement.phone.e164 == US_PHONE


@pytest.mark.parametrize("value", ["YES", " yes ", "Yes\n"])
def test_yes_is_case_insensitive_and_trimmed(value):
    assert only(checkout(note_attributes=attributes(value))).granted


@pytest.mark.parametrize("value", ["no", " NO ", "No"])
def test_no_is_a_revocation_of_call_and_sms(value):
    statement = only(checkout(note_attributes=attributes(value)))
    assert not statement.granted and statement.channels == "call,sms"
    assert statement.malformed_reason is None


@pytest.mark.promise("opt-in-only")
@pytest.mark.parametrize("value", ["maybe", "", "true", "1", "yes please", "oui"])
def test_unrecognised_consent_value_is_malformed_not_consent(value):
    statement = only(checkout(note_attributes=attributes(value)))
    assert not statement.granted
    assert statement.malformed_reason == ledger.REASON_NOT_YES_OR_NO


@pytest.mark.promise("opt-in-only")
@pytest.mark.parametrize("value", [True, 1, {"a": "yes"}, ["yes"]])
def test_non_text_consent_value_is_malformed_not_consent(value):
    statement = only(checkout(note_attributes=attributes(value)))
    assert not statement.granted and statement.malformed_reason == ledger.REASON_NOT_TEXT


@pytest.mark.promise("opt-in-only")
def test_null_consent_value_is_malformed_not_consent():
    payload = checkout(note_attributes=[{"name": "ringback_consent", "value": None}])
    assert only(payload).malformed_reason == ledger.REASON_NOT_TEXT


@pytest.mark.promise("opt-in-only")
@pytest.mark.parametrize("wording", [None, "", "   ", 42])
def test_yes_without_wording_is_malformed_not_consent(wording):
    statement = only(checkout(note_attributes=attributes("yes", text=wording)))
    assert not statement.granted and statement.malformed_reason == ledger.REASON_NO_WORDING


def test_no_without_wording_is_still_a_valid_revocation():
    statement = only(checkout(note_attributes=attributes("no", text=None)))
    assert not statement.granted and statement.malformed_reason is None


@pytest.mark.promise("opt-in-only")
def test_without_consent_attribute_there_is_no_statement():
    assert parse_statements(checkout(note_attributes=[{"name": "ringback_phone", "value": US_PHONE}])) == []
    assert parse_statements(checkout(note_attributes=[{"name": "gift", "value": "yes"}])) == []


@pytest.mark.parametrize(("value", "source"), [("cart", "cart_block"), ("checkout", "checkout_extension"),
                                               (" Cart ", "cart_block"), (None, "checkout_extension")])
def test_consent_source_attribute_names_the_extension(value, source):
    statement = only(checkout(note_attributes=attributes("yes", consent_source=value)))
    assert statement.source == source and statement.granted


@pytest.mark.promise("opt-in-only")
@pytest.mark.parametrize("value", ["popup", "", 3])
def test_unknown_consent_source_is_malformed_not_consent(value):
    statement = only(checkout(note_attributes=attributes("yes", consent_source=value)))
    assert not statement.granted and statement.malformed_reason == ledger.REASON_UNKNOWN_SOURCE


def test_duplicate_attributes_last_one_wins():
    payload = checkout(note_attributes=attributes("yes") + [{"name": "ringback_consent", "value": "no"}])
    assert not only(payload).granted
    payload = checkout(note_attributes=attributes("no") + [{"name": "ringback_consent", "value": "yes"}])
    assert only(payload).granted


def test_note_attributes_as_a_dict_are_read():
    payload = checkout(note_attributes={"ringback_consent": "yes", "ringback_consent_text": WORDING})
    assert only(payload).granted


def test_attribute_names_are_trimmed_and_case_insensitive():
    payload = checkout(note_attributes=[{"name": " RingBack_Consent ", "value": "yes"},
                                        {"name": "ringback_consent_text", "value": WORDING}])
    assert only(payload).granted


@pytest.mark.parametrize("junk", [None, "ringback_consent=yes", 5, [1, "x", None, {"value": "yes"}],
                                  [{"name": 3, "value": "yes"}]])
def test_missing_null_or_junk_note_attributes_give_no_statement(junk):
    assert parse_statements(checkout(note_attributes=junk)) == []
    payload = checkout()
    del payload["note_attributes"]
    assert parse_statements(payload) == []


def test_attributes_written_with_key_instead_of_name_are_read():
    assert note_attributes({"note_attributes": [{"key": "ringback_consent", "value": "yes"}]}) == {
        "ringback_consent": "yes"}


# -- parsing: the phone ---------------------------------------------------------------------------

def test_ringback_phone_wins_over_the_checkout_phone():
    payload = checkout(phone=US_PHONE, note_attributes=attributes("yes", phone="+1 201 555 0199"))
    assert only(payload).phone.e164 == US_PHONE_2


@pytest.mark.parametrize("where", ["phone", "shipping", "billing", "customer"])
def test_phone_falls_back_checkout_then_shipping_then_billing_then_customer(where):
    fields = {"phone": None, "shipping_address": {"country_code": "US", "phone": None},
              "billing_address": {"phone": None}, "customer": {"phone": None}}
    order_ = ["phone", "shipping", "billing", "customer"]
    numbers = ["+12015550101", "+12015550102", "+12015550103", "+12015550104"]
    for name, number in zip(order_[order_.index(where):], numbers[order_.index(where):], strict=True):
        if name == "phone":
            fields["phone"] = number
        else:
            fields[{"shipping": "shipping_address", "billing": "billing_address",
                    "customer": "customer"}[name]]["phone"] = number
    statement = only(checkout(note_attributes=attributes("yes"), **fields))
    assert statement.phone.e164 == numbers[order_.index(where)]


def test_national_number_is_read_in_the_shipping_country_then_the_billing_country():
    shipped = checkout(phone="07911 123456", country="GB", note_attributes=attributes("yes"))
    assert only(shipped).phone.e164 == UK_PHONE
    billed = checkout(phone="07911 123456", shipping_address=[], billing_address={"country_code": "GB"},
                      note_attributes=attributes("yes"))
    assert only(billed).phone.e164 == UK_PHONE


@pytest.mark.parametrize(("phone", "expected"), [("+44 7911 123456", UK_PHONE),
                                               ("+33 6 12 34 56 78", FR_PHONE)])
def test_foreign_international_numbers_are_kept_as_given(phone, expected):
    statement = only(checkout(phone=phone, country="US", note_attributes=attributes("yes")))
    assert statement.phone.e164 == expected and statement.granted


def test_uk_national_number_with_us_country_is_invalid_not_guessed():
    statement = only(checkout(phone="07911 123456", country="US", note_attributes=attributes("yes")))
    assert statement.phone.status is PhoneStatus.INVALID and statement.phone.e164 is None
    assert "not a possible number" in statement.phone.reason


def test_invalid_number_is_invalid_with_a_reason():
    statement = only(checkout(phone="+1 555 555 5555", note_attributes=attributes("yes")))
    assert statement.phone.status is PhoneStatus.INVALID and statement.phone.reason == "not a valid number"


def test_missing_phone_is_missing_with_a_reason():
    statement = only(checkout(phone=None, note_attributes=attributes("yes")))
    assert statement.phone.status is PhoneStatus.MISSING
    assert statement.phone.reason == "no phone on checkout"


def test_empty_list_addresses_and_missing_customer_are_fine():
    payload = checkout(phone=None, shipping_address=[], billing_address=None,
                       note_attributes=attributes("yes", phone="+44 7911 123456"))
    del payload["customer"]
    statement = only(payload)
    assert statement.granted and statement.phone.e164 == UK_PHONE


def test_national_number_without_any_address_country_is_invalid():
    payload = checkout(phone="(201) 555-0123", shipping_address=[], note_attributes=attributes("yes"))
    assert only(payload).phone.reason == "national number without a country"


def test_unsupported_address_country_is_invalid_with_reason():
    payload = checkout(phone="(201) 555-0123", country="ZZ", note_attributes=attributes("yes"))
    assert only(payload).phone.reason == "unsupported region"


def test_malformed_ringback_phone_is_invalid_and_not_replaced_by_another_phone():
    payload = checkout(phone=US_PHONE, note_attributes=attributes("yes", phone=12015550123))
    statement = only(payload)
    assert statement.phone.status is PhoneStatus.INVALID
    assert statement.phone.reason == "malformed attribute"


# -- parsing: time, identifiers, Shopify's SMS checkbox -------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-20T15:04:05Z", TICKED),
    ("2026-11-20T17:04:05+02:00", TICKED),
    ("2026-11-20T15:04:05", TICKED),
    ("2026-11-20T15:04:05.000Z", TICKED),
])
def test_consent_time_is_read_as_utc(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01T00:00:00Z", 1763651045,
                                   "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2" * 100])
def test_malformed_consent_time_is_unusable(value):
    assert parse_time(value) is None


def test_malformed_consent_time_leaves_consent_without_a_tick_time():
    statement = only(checkout(note_attributes=attributes("yes", at="soon")))
    assert statement.granted and statement.consented_at is None
    assert statement.consented_at_source == "received"


def test_checkout_identifiers_are_token_and_id():
    assert parse_identifiers("checkouts/update", checkout("tok-9")) == Identifiers(
        "tok-9", 1001, None, "shopper@example.com")


def test_order_identifiers_are_checkout_token_checkout_id_and_order_id():
    assert parse_identifiers("orders/create", order("tok-9")) == Identifiers(
        "tok-9", 1001, 5005, "shopper@example.com")


@pytest.mark.parametrize("junk", [{"token": "x" * 300, "id": 2**70}, {"token": True, "id": True},
                                  {"token": ["t"], "id": -5}, {"token": " ", "id": "12"}])
def test_junk_identifiers_are_dropped(junk):
    assert parse_identifiers("checkouts/create", junk) == Identifiers()


def test_numeric_checkout_token_is_kept_as_text():
    assert parse_identifiers("checkouts/create", {"token": 12345}).checkout_token == "12345"


def test_shopify_sms_marketing_yes_is_sms_only_consent():
    statement = only(checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone="+1 201 555 0199"))
    assert statement.source == "shopify_sms_marketing" and statement.channels == "sms"
    assert statement.granted and statement.phone.e164 == US_PHONE_2
    assert statement.consented_at_source == "checkout"


@pytest.mark.promise("opt-in-only")
def test_shopify_sms_marketing_yes_without_phone_is_malformed_not_consent():
    statement = only(checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=None))
    assert not statement.granted and statement.malformed_reason == ledger.REASON_NO_SMS_PHONE


def test_shopify_sms_marketing_false_is_a_revocation_recorded_only_after_a_yes():
    statement = only(checkout(buyer_accepts_sms_marketing=False, sms_marketing_phone=US_PHONE))
    assert not statement.granted and statement.revokes_earlier_grant_only


@pytest.mark.parametrize("flag", ["true", 1, None, {"x": 1}])
def test_non_boolean_shopify_sms_flag_is_ignored(flag):
    assert parse_statements(checkout(buyer_accepts_sms_marketing=flag, sms_marketing_phone=US_PHONE)) == []


def test_in_one_payload_grants_come_before_revocations():
    payload = checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE,
                       note_attributes=attributes("no"))
    assert [s.granted for s in parse_statements(payload)] == [True, False]


@settings(max_examples=400, deadline=None)
@given(payload=strategies.payloads)
def test_random_junk_payloads_never_raise(payload):
    for statement in parse_statements(payload):
        assert statement.granted in (True, False)
        assert statement.phone.status in PhoneStatus
    parse_identifiers("orders/create", payload)
    parse_identifiers("checkouts/update", payload)


# -- recording ------------------------------------------------------------------------------------

def record(shop, payload, topic="checkouts/update", delivery_id=None, received_at=RECEIVED):
    return record_from_webhook(shop, topic, payload, delivery_id=delivery_id, received_at=received_at)


def events(db) -> list[ConsentEvent]:
    return db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id)).scalars().all()


@pytest.mark.data
def test_record_from_webhook_appends_an_event_with_everything_kept(db, shop):
    [event] = record(shop, checkout(note_attributes=attributes("yes")), delivery_id=17)
    db.session.expire_all()
    stored = db.session.get(ConsentEvent, event.id)
    assert (stored.shop_id, stored.checkout_token, stored.checkout_id, stored.topic) == (
        shop.id, "tok-1", 1001, "checkouts/update")
    assert (stored.source, stored.channels, stored.granted) == ("checkout_extension", "call,sms", True)
    assert stored.wording == WORDING and stored.consented_at == TICKED
    assert stored.phone_e164 == US_PHONE and stored.phone_hash == lookup_hash(US_PHONE)
    assert stored.phone_status == "valid" and stored.phone_reason is None
    assert stored.email_hash == lookup_hash("shopper@example.com")
    assert stored.webhook_delivery_id == 17 and stored.recorded_at is not None


@pytest.mark.promise("encryption-at-rest")
@pytest.mark.data
def test_phone_is_encrypted_at_rest(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    raw = db.session.execute(text("SELECT phone_e164 FROM consent_events")).scalar_one()
    assert "2015550123" not in raw


@pytest.mark.data
def test_record_from_webhook_flushes_but_does_not_commit(db, shop):
    db.session.commit()  # the shop stays; only what record_from_webhook adds is in question
    record(shop, checkout(note_attributes=attributes("yes")))
    assert len(events(db)) == 1
    db.session.rollback()
    assert events(db) == []


@pytest.mark.data
def test_missing_consent_time_uses_received_time_and_says_so(db, shop):
    [event] = record(shop, checkout(note_attributes=attributes("yes", at=None)))
    assert event.consented_at == RECEIVED and event.consented_at_source == "received"


@pytest.mark.data
def test_malformed_consent_time_uses_received_time_and_says_so(db, shop):
    [event] = record(shop, checkout(note_attributes=attributes("yes", at="last tuesday")))
    assert event.consented_at == RECEIVED and event.consented_at_source == "received"


@pytest.mark.data
def test_consent_time_far_after_receipt_uses_received_time(db, shop):
    future = (RECEIVED + timedelta(days=3)).isoformat()
    [event] = record(shop, checkout(note_attributes=attributes("yes", at=future)))
    assert event.consented_at == RECEIVED and event.consented_at_source == "received"


@pytest.mark.data
def test_naive_received_time_is_taken_as_utc(db, shop):
    [event] = record(shop, checkout(note_attributes=attributes("yes", at=None)),
                     received_at=RECEIVED.replace(tzinfo=None))
    assert event.consented_at == RECEIVED


@pytest.mark.data
def test_same_delivery_processed_twice_records_once(db, shop):
    payload = checkout(note_attributes=attributes("yes", at=None))
    assert len(record(shop, payload, delivery_id=5)) == 1
    assert record(shop, payload, delivery_id=5, received_at=RECEIVED + timedelta(hours=1)) == []
    assert len(events(db)) == 1


@pytest.mark.data
def test_repeated_checkout_update_with_same_attributes_records_once(db, shop):
    payload = checkout(note_attributes=attributes("yes"))
    for delivery_id in range(1, 6):
        record(shop, payload, delivery_id=delivery_id)
    assert len(events(db)) == 1


@pytest.mark.data
def test_repeated_checkout_update_without_tick_time_records_once(db, shop):
    payload = checkout(note_attributes=attributes("yes", at=None))
    for minutes in range(5):
        record(shop, payload, received_at=RECEIVED + timedelta(minutes=minutes))
    assert len(events(db)) == 1


@pytest.mark.data
def test_order_repeating_the_checkouts_consent_records_nothing_new(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    assert record(shop, order(note_attributes=attributes("yes")), topic="orders/create") == []


@pytest.mark.data
def test_order_with_new_consent_records_checkout_token_and_order_id(db, shop):
    [event] = record(shop, order("tok-5", note_attributes=attributes("yes")), topic="orders/create")
    assert (event.checkout_token, event.checkout_id, event.order_id) == ("tok-5", 1001, 5005)


@pytest.mark.data
def test_ticking_again_with_a_new_time_records_a_new_event(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    record(shop, checkout(note_attributes=attributes("yes", at="2026-11-20T15:05:00Z")))
    assert len(events(db)) == 2


@pytest.mark.data
def test_later_no_is_appended_and_the_earlier_yes_is_left_as_it_was(db, shop):
    [yes] = record(shop, checkout(note_attributes=attributes("yes")))
    [no] = record(shop, checkout(note_attributes=attributes("no", at="2026-11-20T15:05:00Z")))
    db.session.expire_all()
    assert [(e.id, e.granted) for e in events(db)] == [(yes.id, True), (no.id, False)]
    assert events(db)[0].wording == WORDING


@pytest.mark.data
def test_no_without_a_usable_phone_names_the_checkouts_earlier_phone(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    [no] = record(shop, checkout(phone=None, note_attributes=attributes("no", at="2026-11-20T15:05:00Z")))
    assert (no.granted, no.phone_e164, no.phone_status) == (False, US_PHONE, "valid")
    assert no.phone_reason == ledger.REASON_EARLIER_PHONE


@pytest.mark.data
def test_no_without_a_phone_on_a_new_cart_names_the_emails_earlier_phone(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    [no] = record(shop, checkout("tok-new", phone=None,
                                 note_attributes=attributes("no", at="2026-11-20T15:05:00Z")))
    assert (no.granted, no.phone_e164, no.phone_status) == (False, US_PHONE, "valid")
    assert no.phone_reason == ledger.REASON_EMAILS_PHONE


@pytest.mark.data
def test_no_without_any_phone_on_a_new_checkout_is_recorded_as_missing(db, shop):
    [no] = record(shop, checkout(phone=None, note_attributes=attributes("no")))
    assert (no.phone_status, no.phone_hash) == ("missing", None)


@pytest.mark.data
def test_changed_phone_records_a_new_event(db, shop):
    record(shop, checkout(note_attributes=attributes("yes")))
    record(shop, checkout(phone=US_PHONE_2, note_attributes=attributes("yes")))
    assert [e.phone_e164 for e in events(db)] == [US_PHONE, US_PHONE_2]


@pytest.mark.data
def test_shopify_sms_marketing_yes_repeated_with_new_updated_at_records_once(db, shop):
    for minute in range(3):
        record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE,
                              updated_at=f"2026-11-20T15:0{minute}:00Z"))
    [event] = events(db)
    assert (event.source, event.channels, event.granted) == ("shopify_sms_marketing", "sms", True)


@pytest.mark.data
def test_shopify_sms_marketing_false_after_earlier_true_records_a_revocation(db, shop):
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE))
    [revocation] = record(shop, checkout("tok-2", buyer_accepts_sms_marketing=False,
                                         sms_marketing_phone=US_PHONE, updated_at="2026-11-21T09:00:00Z"))
    assert (revocation.granted, revocation.channels, revocation.phone_e164) == (False, "sms", US_PHONE)
    assert record(shop, checkout("tok-3", buyer_accepts_sms_marketing=False,
                                 sms_marketing_phone=US_PHONE, updated_at="2026-11-22T09:00:00Z")) == []


@pytest.mark.data
def test_shopify_sms_marketing_false_without_earlier_true_records_nothing(db, shop):
    assert record(shop, checkout(buyer_accepts_sms_marketing=False, sms_marketing_phone=US_PHONE)) == []
    assert record(shop, checkout(buyer_accepts_sms_marketing=False, sms_marketing_phone=None)) == []


@pytest.mark.data
def test_shopify_sms_marketing_false_without_phone_revokes_the_checkouts_earlier_true(db, shop):
    record(shop, checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE_2))
    [revocation] = record(shop, checkout(buyer_accepts_sms_marketing=False, sms_marketing_phone=None,
                                         updated_at="2026-11-21T09:00:00Z"))
    assert revocation.phone_e164 == US_PHONE_2 and not revocation.granted


@pytest.mark.data
def test_malformed_and_invalid_statements_are_recorded_not_lost(db, shop):
    record(shop, checkout("tok-a", note_attributes=attributes("perhaps")))
    record(shop, checkout("tok-b", phone="07911 123456", note_attributes=attributes("yes")))
    record(shop, checkout("tok-c", phone=None, note_attributes=attributes("yes")))
    rows = {e.checkout_token: e for e in events(db)}
    assert rows["tok-a"].malformed_reason == ledger.REASON_NOT_YES_OR_NO and not rows["tok-a"].granted
    assert (rows["tok-b"].phone_status, rows["tok-b"].phone_hash) == ("invalid", None)
    assert rows["tok-b"].phone_reason == "not a possible number: too long"
    assert (rows["tok-c"].phone_status, rows["tok-c"].phone_reason) == ("missing", "no phone on checkout")


@pytest.mark.data
def test_payload_with_both_kinds_of_consent_records_both(db, shop):
    payload = checkout(buyer_accepts_sms_marketing=True, sms_marketing_phone=US_PHONE,
                       note_attributes=attributes("yes"))
    recorded = record(shop, payload, delivery_id=9)
    assert sorted(e.source for e in recorded) == ["checkout_extension", "shopify_sms_marketing"]


@pytest.mark.promise("no-pii-in-logs")
@pytest.mark.data
def test_no_personal_data_in_log_lines(db, shop, caplog):
    caplog.set_level(logging.DEBUG)
    record(shop, checkout(note_attributes=attributes("yes")))
    record(shop, checkout("tok-2", phone="07911 123456", note_attributes=attributes("yes")))
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "consent ledger" in logged
    for personal in ("2015550123", "7911", "shopper@", "Shopper@"):
        assert personal not in logged


@pytest.mark.data
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=strategies.payloads, topic=strategies.topics)
def test_random_junk_payloads_are_recorded_without_raising(db, shop, payload, topic):
    with db.session.begin_nested():
        record(shop, payload, topic=topic, received_at=utcnow())
    assert db.session.execute(select(func.count()).select_from(ConsentEvent)).scalar_one() >= 0
