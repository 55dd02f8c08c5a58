"""A customer with a unique marker in every personal field, put there the way production would: a
consenting checkout, a real call through the Twilio simulator (transcript, recording, a text with the
link, the shopper's reply), an order, an opt-out, a delivery that failed and kept its payload, a job
still queued with the customer's e-mail; and dumps of every table and every queue key, decrypted."""

from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app import jobs
from app.consent.suppression import suppress
from app.crypto import InvalidToken, keyring
from app.extensions import db
from app.shopify.webhooks.models import DeliveryStatus, WebhookDelivery
from sandbox.twilio_sim import Persona
from tests.recovery.conftest import T0, checkout_payload, order_payload


@dataclass(frozen=True)
class Customer:
    shop: str
    mark: str
    customer_id: int
    email: str
    phone: str
    first_name: str
    last_name: str
    token: str
    order_id: int

    @property
    def markers(self) -> list[str]:
        """Every value that names this customer and only them."""
        return [self.mark, self.email, self.phone, self.phone[2:], self.first_name, self.last_name]

    def redact_payload(self) -> dict:
        return {"shop_id": 1, "shop_domain": self.shop, "orders_to_redact": [self.order_id],
                "customer": {"id": self.customer_id, "email": self.email, "phone": self.phone}}

    def data_request_payload(self, request_id: int = 4242) -> dict:
        return {"shop_id": 1, "shop_domain": self.shop, "orders_requested": [self.order_id],
                "customer": {"id": self.customer_id, "email": self.email, "phone": self.phone},
                "data_request": {"id": request_id}}


def new_customer(shop: str, n: int) -> Customer:
    mark = uuid.uuid4().hex[:10]
    return Customer(shop=shop, mark=mark, customer_id=9_100_000_000 + int(mark[:6], 16),
                    email=f"mk{mark}@example.com", phone=f"+1212555{int(mark[:4], 16) % 9000 + 1000:04d}",
                    first_name=f"Fn{mark}", last_name=f"Ln{mark}", token=f"tok-{uuid.uuid4().hex[:12]}",
                    order_id=8_100_000_000 + n * 1000 + int(mark[:4], 16))


def checkout_of(customer: Customer, *, consent: str = "yes") -> dict:
    person = {"id": customer.customer_id, "first_name": customer.first_name,
              "last_name": customer.last_name, "email": customer.email, "phone": customer.phone}
    return checkout_payload(
        customer.token, phone=customer.phone, email=customer.email, consent=consent,
        customer=person,
        shipping_address={"first_name": customer.first_name, "last_name": customer.last_name,
                          "address1": f"1 {customer.mark} Street", "phone": customer.phone,
                          "country_code": "US", "province_code": "NY"},
        abandoned_checkout_url=f"https://{customer.shop}/1/checkouts/{customer.token}/recover?key={customer.mark}",
        line_items=[{"title": f"Hat {customer.mark}", "quantity": 1, "price": "120.00", "sku": "HAT",
                     "product_id": 1, "variant_id": 2}],
    )


def seed_with_call(customer: Customer, *, served, clock, deliver, run_due, run_jobs) -> None:
    """Everything a contacted customer leaves behind, through the real pipeline."""
    served.add_persona(f"p-{customer.mark}", Persona(
        lines=(f"Yes please text me the link, this is {customer.first_name}",),
        sms_replies=(f"Thanks, {customer.first_name} {customer.last_name} here",)))
    served.set_persona(customer.phone, f"p-{customer.mark}")
    deliver(("checkouts/create", checkout_of(customer)), shop=customer.shop)
    run_due(clock, minutes=31)
    db.session.commit()
    from app.voice.models import Call

    call = db.session.execute(sa.select(Call).order_by(Call.id.desc())).scalars().first()
    assert call is not None and call.sid, "the customer was called"
    served.wait_for_call_end(call.sid)
    for _ in range(3):  # the link text, the shopper's reply, the answer to it
        run_jobs()
        served.wait_idle()
    db.session.commit()  # end the test's read (SQLite: a snapshot open across the server's writes)
    deliver(("orders/create", _order(customer)), shop=customer.shop)
    seed_leftovers(customer)


def seed_quietly(customer: Customer, *, deliver) -> None:
    """A customer who never consented: a checkout, an order and a stored delivery, no contact."""
    deliver(("checkouts/create", checkout_of(customer, consent="no")), shop=customer.shop)
    deliver(("orders/create", _order(customer)), shop=customer.shop)
    seed_leftovers(customer)


def _order(customer: Customer) -> dict:
    order = order_payload(customer.order_id, checkout_token=customer.token, email=customer.email,
                          phone=customer.phone, created_at=T0 + timedelta(hours=3))
    order["customer"] = {"id": customer.customer_id, "email": customer.email, "phone": customer.phone,
                         "first_name": customer.first_name}
    return order


def seed_leftovers(customer: Customer) -> None:
    """What is held beside the pipeline's rows: an opt-out, a dead delivery, a queued job."""
    from app.shops.models import Shop

    shop = db.session.execute(sa.select(Shop).where(Shop.domain == customer.shop)).scalar_one()
    suppress(shop.id, customer.phone, channel="call", reason="merchant", source="seed")
    db.session.add(WebhookDelivery(
        webhook_id=f"dead-{customer.token}", topic="checkouts/update", shop_domain=customer.shop,
        payload=json.dumps(checkout_of(customer)), status=DeliveryStatus.DEAD, attempts=8))
    db.session.commit()
    # A job not yet run whose arguments carry the e-mail (a later feature might queue one).
    jobs.enqueue("app.privacy.subject.resolve", customer.email, job_id=f"seed-{customer.mark}",
                 at=T0 + timedelta(days=365))


# -- dumps --------------------------------------------------------------------------------------------

def dump_database() -> str:
    """Every row of every table, raw, and every encrypted value decrypted with the app's keys."""
    db.session.commit()
    ring = keyring()
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.text(f'SELECT * FROM "{table.name}"')):
                for value in row:
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    parts.append(text)
                    if isinstance(value, str) and value.startswith("gAAAA"):
                        try:
                            parts.append(ring.decrypt(value))
                        except InvalidToken:
                            pass
    return "\n".join(parts)


def dump_queue(app) -> str:
    """Every Redis key of the app (its queue name is in each) and every value, decompressed too."""
    conn = jobs.redis()
    parts: list[str] = []
    for key in conn.scan_iter(match=f"*{app.config['RINGBACK_QUEUE']}*"):
        parts.append(key.decode(errors="replace"))
        kind = conn.type(key)
        if kind == b"hash":
            values = conn.hvals(key)
        elif kind == b"string":
            values = [conn.get(key) or b""]
        elif kind == b"list":
            values = conn.lrange(key, 0, -1)
        elif kind == b"stream":
            values = [v for _, entry in conn.xrange(key) for v in entry.values()]
        elif kind in (b"set",):
            values = list(conn.smembers(key))
        elif kind == b"zset":
            values = conn.zrange(key, 0, -1)
        else:
            values = []
        for value in values:
            parts.append(value.decode(errors="replace"))
            try:
                parts.append(zlib.decompress(value).decode(errors="replace"))
            except zlib.error:
                pass
    return "\n".join(parts)


def found(markers: list[str], text: str) -> list[str]:
    return [m for m in markers if m in text]


def where_found(marker: str) -> list[str]:
    """Debugging aid: the tables and columns a marker is still in."""
    db.session.commit()
    ring = keyring()
    hits = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            result = conn.execute(sa.text(f'SELECT * FROM "{table.name}"'))
            for row in result:
                for name, value in zip(result.keys(), row, strict=True):
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if isinstance(value, str) and value.startswith("gAAAA"):
                        try:
                            text += ring.decrypt(value)
                        except InvalidToken:
                            pass
                    if marker in text:
                        hits.append(f"{table.name}.{name}")
    return hits
