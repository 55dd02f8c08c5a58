"""customers/redact and shop/redact leave nothing behind: not in any table (plain or decryptable), not in
any queue key, not at Twilio, not in a log; other customers and shops untouched."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from app.consent.models import Suppression
from app.consent.suppression import is_suppressed
from app.extensions import db
from app.privacy import erasure
from app.privacy.models import TwilioDeletion
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order, Recovery
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from app.shops.models import Shop, ShopToken
from app.sms.models import Message
from app.voice.models import Call, CallTurn
from tests.privacy.seed import (
    checkout_of,
    dump_database,
    dump_queue,
    found,
    new_customer,
    seed_quietly,
    seed_with_call,
    where_found,
)
from tests.recovery.conftest import make_shop

pytestmark = pytest.mark.data
BETA = "beta.myshopify.com"


def _log_text(caplog) -> str:
    return "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)


def _held_at_twilio(served) -> set[tuple[str, str]]:
    """What the simulator holds that names a person: calls, their recordings, messages."""
    calls = {("call", sid) for sid in served.calls}
    recordings = {("recording", sid) for sid in served.recordings}
    messages = {("message", sid) for sid in served.messages}
    return calls | recordings | messages


@pytest.mark.promise("erasure")
@pytest.mark.promise("no-pii-in-logs")
def test_customers_redact_leaves_no_marker_anywhere(caplog, app, served, clock, deliver, run_due, run_jobs):
    caplog.set_level(logging.DEBUG)
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_with_call(customer, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    deliver(("customers/data_request", customer.data_request_payload()))
    before = dump_database()
    assert found(customer.markers, before) == customer.markers, "the seed put every marker in the database"
    assert customer.email in dump_queue(app), "the seed put the e-mail in a queued job"
    held = _held_at_twilio(served)
    assert {kind for kind, _ in held} == {"call", "recording", "message"}

    deliver(("customers/redact", customer.redact_payload()))
    run_jobs()  # the Twilio deletions
    served.wait_idle()

    assert found(customer.markers, dump_database()) == [], where_found(customer.mark)
    assert found(customer.markers, dump_queue(app)) == []
    assert held <= set(served.deleted), "every recording, call log and message log deleted at Twilio"
    assert found(customer.markers, _log_text(caplog)) == []


@pytest.mark.promise("stop-at-once")
@pytest.mark.promise("erasure")
def test_customers_redact_keeps_the_figures_and_the_opt_out(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_with_call(customer, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    recoveries = db.session.scalar(select(func.count(Recovery.id)))
    deliver(("customers/redact", customer.redact_payload()))
    db.session.commit()
    call = db.session.execute(select(Call)).scalar_one()
    assert call.phone is None and call.outcome, "the call's outcome stays, its number goes"
    assert db.session.scalar(select(func.count(CallTurn.id))) == 0
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert db.session.scalar(select(func.count(Recovery.id))) == recoveries
    checkout = db.session.execute(select(Checkout)).scalar_one()
    assert checkout.erased_at is not None and checkout.total_price is not None and checkout.line_items == []
    suppression = db.session.execute(select(Suppression)).scalar_one()
    assert suppression.phone_e164 is None and suppression.phone_hash
    shop = db.session.execute(select(Shop)).scalar_one()
    assert is_suppressed(shop.id, customer.phone, "call"), "the opt-out is still honoured, by its hash"


@pytest.mark.promise("erasure")
def test_customers_redact_spares_other_customers(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    erased, kept = new_customer("alpha.myshopify.com", 1), new_customer("alpha.myshopify.com", 2)
    seed_with_call(erased, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    seed_quietly(kept, deliver=deliver)
    deliver(("customers/redact", erased.redact_payload()))
    dump = dump_database()
    assert found(erased.markers, dump) == []
    assert found(kept.markers, dump) == kept.markers
    dead = db.session.execute(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == f"dead-{kept.token}")).scalar_one()
    assert dead.status == DeliveryStatus.DEAD and dead.payload, "another customer's stored delivery is kept"


@pytest.mark.promise("erasure")
def test_customers_redact_is_idempotent(app, served, clock, deliver, run_due, run_jobs):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_with_call(customer, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    deliver(("customers/redact", customer.redact_payload()))
    run_jobs()
    scheduled = db.session.scalar(select(func.count(TwilioDeletion.id)))
    deliver(("customers/redact", customer.redact_payload()))
    run_jobs()
    assert found(customer.markers, dump_database()) == []
    assert db.session.scalar(select(func.count(TwilioDeletion.id))) == scheduled == len(set(served.deleted))


@pytest.mark.promise("erasure")
def test_a_late_update_does_not_bring_an_erased_checkout_back(app, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    seed_quietly(customer, deliver=deliver)
    deliver(("customers/redact", customer.redact_payload()))
    deliver(("checkouts/update", checkout_of(customer)))
    assert found(customer.markers, dump_database()) == []


@pytest.mark.promise("erasure")
def test_customers_redact_cancels_pending_contacts(app, clock, deliver):
    make_shop()
    customer = new_customer("alpha.myshopify.com", 1)
    deliver(("checkouts/create", checkout_of(customer)))
    db.session.commit()
    assert db.session.execute(select(ContactAttempt.status)).scalar_one() == AttemptStatus.SCHEDULED
    deliver(("customers/redact", customer.redact_payload()))
    db.session.commit()
    attempt = db.session.execute(select(ContactAttempt)).scalar_one()
    assert attempt.status == AttemptStatus.CANCELED and attempt.reason == "erased" and attempt.phone is None


@pytest.mark.promise("erasure")
def test_customers_redact_for_an_unknown_customer_changes_nothing(app, clock, deliver):
    make_shop()
    customer, stranger = new_customer("alpha.myshopify.com", 1), new_customer("alpha.myshopify.com", 2)
    seed_quietly(customer, deliver=deliver)
    before = db.session.scalar(select(func.count(Checkout.id)))
    deliver(("customers/redact", stranger.redact_payload()))
    assert found(customer.markers, dump_database()) == customer.markers
    assert db.session.scalar(select(func.count(Checkout.id))) == before


# -- shop/redact -----------------------------------------------------------------------------------------

def _seed_two_shops(served, clock, deliver, run_due, run_jobs):
    make_shop()
    make_shop(BETA)
    erased = new_customer("alpha.myshopify.com", 1)
    kept = new_customer(BETA, 2)
    seed_with_call(erased, served=served, clock=clock, deliver=deliver, run_due=run_due, run_jobs=run_jobs)
    seed_quietly(kept, deliver=deliver)
    return erased, kept


@pytest.mark.promise("erasure")
@pytest.mark.promise("no-pii-in-logs")
def test_shop_redact_leaves_no_marker_of_the_shop_anywhere(caplog, app, served, clock, deliver, run_due,
                                                          run_jobs):
    caplog.set_level(logging.DEBUG)
    erased, kept = _seed_two_shops(served, clock, deliver, run_due, run_jobs)
    held = _held_at_twilio(served)
    beta_rows = _rows_of(BETA)

    deliver(("shop/redact", {"shop_id": 1, "shop_domain": "alpha.myshopify.com"}))
    run_jobs()
    served.wait_idle()

    dump = dump_database()
    assert found(erased.markers, dump) == []
    assert found(kept.markers, dump) == kept.markers, "the other shop's data untouched"
    assert _rows_of(BETA) == beta_rows
    queue = dump_queue(app)
    assert found(erased.markers, queue) == [] and kept.email in queue, "the other shop's queued job stays"
    assert held <= set(served.deleted)
    assert db.session.execute(select(Shop).where(Shop.domain == "alpha.myshopify.com")).first() is None
    assert found(erased.markers, _log_text(caplog)) == []


def _rows_of(domain: str) -> dict[str, int]:
    db.session.commit()
    shop_id = db.session.execute(select(Shop.id).where(Shop.domain == domain)).scalar_one()
    counts = {}
    for model in (Checkout, Order, ContactAttempt, Suppression, Call, Message):
        counts[model.__tablename__] = db.session.scalar(
            select(func.count()).select_from(model).where(model.shop_id == shop_id))
    counts["webhook_deliveries"] = db.session.scalar(
        select(func.count(WebhookDelivery.id)).where(WebhookDelivery.shop_domain == domain))
    return counts


@pytest.mark.promise("erasure")
def test_shop_redact_drops_the_tokens_first(app, clock, deliver, monkeypatch):
    shop = make_shop()
    db.session.add(ShopToken(shop_id=shop.id, access_token="shpat_secret", scope="read_orders"))
    db.session.commit()
    monkeypatch.setattr(erasure, "enqueue_shop_erasure", lambda shop_id: False)  # the job is lost
    deliver(("shop/redact", {"shop_id": 1, "shop_domain": shop.domain}))
    db.session.commit()
    assert db.session.execute(select(ShopToken)).first() is None, "the token went with the request"
    assert db.session.get(Shop, shop.id).redact_requested_at is not None


@pytest.mark.promise("erasure")
def test_a_lost_shop_erasure_is_resumed_by_the_sweeper(app, clock, deliver, run_jobs, monkeypatch):
    shop = make_shop()
    customer = new_customer(shop.domain, 1)
    seed_quietly(customer, deliver=deliver)
    with monkeypatch.context() as patch:
        patch.setattr(erasure, "enqueue_shop_erasure", lambda shop_id: False)
        deliver(("shop/redact", {"shop_id": 1, "shop_domain": shop.domain}))
    assert found(customer.markers, dump_database()) == customer.markers
    assert erasure.sweep() == 1
    run_jobs()
    assert found(customer.markers, dump_database()) == []


@pytest.mark.promise("erasure")
def test_shop_erasure_runs_in_batches(app, clock, deliver):
    shop = make_shop()
    customers = [new_customer(shop.domain, i) for i in range(3)]
    for customer in customers:
        seed_quietly(customer, deliver=deliver)
    shop.redact_requested_at = shop.created_at
    db.session.commit()
    counts = erasure.erase_shop(shop.id, batch=2)
    assert counts["checkouts"] == 3 and counts["orders"] == 3
    for customer in customers:
        assert found(customer.markers, dump_database()) == []


@pytest.mark.promise("erasure")
def test_webhooks_for_a_shop_being_erased_are_not_processed(app, clock, deliver, monkeypatch):
    shop = make_shop()
    monkeypatch.setattr(erasure, "enqueue_shop_erasure", lambda shop_id: False)
    deliver(("shop/redact", {"shop_id": 1, "shop_domain": shop.domain}))
    customer = new_customer(shop.domain, 1)
    deliver(("checkouts/create", checkout_of(customer)))
    assert db.session.execute(select(Checkout)).first() is None
