"""`flask --app app rotate-keys`: every encrypted value moves to the new first key, online and
resumably; a new lookup key takes every hash along, and refuses to lose an opt-out unasked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from app import keys
from app.consent.models import ConsentEvent, Suppression
from app.consent.suppression import SENDER_WIDE, is_suppressed, phone_hash, suppress
from app.crypto import EncryptedText, Keyring, lookup_hash
from app.extensions import db
from app.privacy import rotation
from app.privacy.models import DataRequest, RotationProgress
from app.recovery.models import Checkout, ContactAttempt, Order
from app.shopify.webhooks.models import WebhookDelivery
from app.shops.models import ShopToken
from app.sms.models import Message
from app.voice.models import Call, CallTurn
from tests.conftest import ENCRYPTION_KEY
from tests.privacy.conftest import NY_PHONE, T0, make_shop

pytestmark = pytest.mark.data

KEY_1 = ENCRYPTION_KEY
KEY_2 = Fernet.generate_key().decode()
NEW_LOOKUP_KEY = "new-lookup-key-" + "0123456789abcdef" * 2
EMAIL = "ada@example.com"
ERASED_PHONE = "+13105550199"  # on the do-not-contact list, every other trace erased
PLAINTEXTS = (NY_PHONE, EMAIL, "Ada", "Lovelace", "https://alpha.myshopify.com/recover?key=k",
              "SAVE10-XYZ", "I would like the red hat", "Your cart is waiting", "shpat_secret_token",
              "shprt_refresh_token", '{"email": "ada@example.com"}', '{"export": "everything"}')


# -- data ------------------------------------------------------------------------------------------

def store_a_customer() -> int:
    """One shopper's trail through every encrypted column and every lookup hash; returns the shop id."""
    shop = make_shop()
    db.session.add(ShopToken(shop_id=shop.id, access_token="shpat_secret_token",
                             refresh_token="shprt_refresh_token"))
    checkout = a_checkout(shop.id, "tok-1", NY_PHONE, EMAIL)
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                             scheduled_at=T0, status="completed", phone=NY_PHONE,
                             phone_hash=lookup_hash(NY_PHONE))
    db.session.add(attempt)
    db.session.flush()
    call = Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, phone=NY_PHONE,
                phone_hash=lookup_hash(NY_PHONE), discount_code="SAVE10-XYZ")
    db.session.add(call)
    db.session.flush()
    db.session.add_all([
        CallTurn(call_id=call.id, seq=1, role="shopper", text="I would like the red hat"),
        Message(shop_id=shop.id, checkout_id=checkout.id, kind="recovery", phone=NY_PHONE,
                phone_hash=phone_hash(NY_PHONE), body="Your cart is waiting"),
        ConsentEvent(shop_id=shop.id, checkout_token="tok-1", topic="checkouts/create",
                     source="checkout_extension", channels="call,sms", granted=True, consented_at=T0,
                     consented_at_source="attribute", phone_e164=NY_PHONE,
                     phone_hash=lookup_hash(NY_PHONE), phone_status="valid",
                     email_hash=lookup_hash(EMAIL)),
        Order(shop_id=shop.id, shopify_id=501, email_hash=lookup_hash(EMAIL),
              phone_hash=lookup_hash(NY_PHONE), ordered_at=T0),
        DataRequest(shop_id=shop.id, shopify_request_id="dr-1", email_hash=lookup_hash(EMAIL),
                    phone_hash=lookup_hash(NY_PHONE), export='{"export": "everything"}',
                    expires_at=T0 + timedelta(days=10)),
        WebhookDelivery(webhook_id="wh-1", topic="checkouts/create", shop_domain=shop.domain,
                        payload='{"email": "ada@example.com"}'),
    ])
    suppress(shop.id, NY_PHONE, channel="sms", reason="stop_keyword", source="sms")
    erased(suppress(SENDER_WIDE, NY_PHONE, reason="stop_keyword", source="sms"))
    db.session.commit()
    return shop.id


def a_checkout(shop_id: int, token: str, phone: str, email: str) -> Checkout:
    checkout = Checkout(shop_id=shop_id, token=token, email=email, phone=phone, first_name="Ada",
                        last_name="Lovelace", email_hash=lookup_hash(email), phone_hash=lookup_hash(phone),
                        recovery_url="https://alpha.myshopify.com/recover?key=k")
    db.session.add(checkout)
    db.session.flush()
    return checkout


def erased(row: Suppression) -> Suppression:
    """The row as `customers/redact` leaves a suppression: the hash alone."""
    row.phone_e164 = None
    db.session.flush()
    return row


def an_untranslatable_opt_out(shop_id: int) -> None:
    erased(suppress(shop_id, ERASED_PHONE, reason="verbal_opt_out", source="call"))
    db.session.commit()


def tokens() -> dict[tuple[str, str, int], str]:
    """Every stored Fernet token, read as stored: (table, column, primary key) → token."""
    found = {}
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)[0]
        for column in (c for c in table.columns if isinstance(c.type, EncryptedText)):
            query = sa.select(pk, sa.type_coerce(column, sa.Text)).where(column.is_not(None))
            found.update({(table.name, column.name, row_id): token
                          for row_id, token in db.session.execute(query)})
    return found


def decrypted(ring: Keyring, stored: dict) -> dict:
    return {where: ring.decrypt(token) for where, token in stored.items()}


def stored_hashes() -> dict[tuple[str, str, int], str | None]:
    found = {}
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)[0]
        for column in (c for c in table.columns if c.name.endswith("_hash")):
            found.update({(table.name, column.name, row_id): value
                          for row_id, value in db.session.execute(sa.select(pk, column))})
    return found


def rotate(app, *args: str):
    """Run the real command in `app`'s context, as `flask --app app rotate-keys …` would."""
    db.session.remove()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["rotate-keys", *args])
        db.session.rollback()
    return result


@pytest.fixture
def rotated(make_app):
    """The app once KEY_2 is prepended: KEY_2 encrypts, both decrypt."""
    return make_app(RINGBACK_ENCRYPTION_KEYS=f"{KEY_2},{KEY_1}")


@pytest.fixture
def retired(make_app):
    """The app once KEY_1 is removed, with the lookup key pinned to the one derived from it."""
    return make_app(RINGBACK_ENCRYPTION_KEYS=KEY_2, RINGBACK_LOOKUP_KEY=KEY_1)


# -- encryption keys -------------------------------------------------------------------------------

@pytest.mark.promise("encryption-at-rest")
def test_data_written_under_key_1_is_readable_after_rotating_to_key_2(app, rotated):
    store_a_customer()
    before = decrypted(Keyring((KEY_1,)), tokens())

    result = rotate(rotated)

    assert result.exit_code == 0, result.output
    assert decrypted(Keyring((KEY_2,)), tokens()) == before
    assert set(before.values()) >= set(PLAINTEXTS)  # every encrypted column was covered
    assert {"  checkouts: 1", "  shop_tokens: 1", "  messages: 1"} <= set(result.output.splitlines())
    with rotated.app_context():
        checkout = db.session.execute(sa.select(Checkout)).scalar_one()
        assert (checkout.email, checkout.phone, checkout.first_name) == (EMAIL, NY_PHONE, "Ada")


@pytest.mark.promise("encryption-at-rest")
def test_data_is_readable_after_key_1_is_removed(app, rotated, retired):
    store_a_customer()
    assert rotate(rotated).exit_code == 0

    with retired.app_context():
        assert keys.lookup_key_matches()
        assert db.session.execute(sa.select(Checkout.email, Checkout.last_name)).one() == (EMAIL, "Lovelace")
        assert db.session.execute(sa.select(ShopToken.access_token)).scalar_one() == "shpat_secret_token"
        assert db.session.execute(sa.select(Message.body)).scalar_one() == "Your cart is waiting"
        assert db.session.execute(sa.select(CallTurn.text)).scalar_one() == "I would like the red hat"
        assert db.session.execute(sa.select(Call.discount_code)).scalar_one() == "SAVE10-XYZ"
        assert db.session.execute(sa.select(DataRequest.export)).scalar_one() == '{"export": "everything"}'
        payload = db.session.execute(sa.select(WebhookDelivery.payload)).scalar_one()
        assert json.loads(payload)["email"] == EMAIL
        assert db.session.execute(sa.select(ConsentEvent.phone_e164)).scalar_one() == NY_PHONE


@pytest.mark.promise("encryption-at-rest")
def test_lookups_by_phone_still_work_after_rotation(app, rotated, retired):
    shop_id = store_a_customer()
    assert rotate(rotated).exit_code == 0

    with retired.app_context():
        assert is_suppressed(shop_id, NY_PHONE, "sms")
        assert is_suppressed(shop_id, "+1 (212) 555-0123")  # normalised to E.164, then hashed
        found = db.session.execute(
            sa.select(Checkout).where(Checkout.phone_hash == lookup_hash(NY_PHONE))).scalar_one()
        assert found.email == EMAIL


def test_rotation_resumes_after_an_interruption(app, rotated, monkeypatch):
    shop = make_shop()
    for i in range(5):
        a_checkout(shop.id, f"tok-{i}", f"+1212555{1000 + i:04d}", f"shopper{i}@example.com")
    db.session.commit()
    before = decrypted(Keyring((KEY_1,)), tokens())
    monkeypatch.setattr(rotation, "BATCH_SIZE", 2)
    real = crash_on_second_checkout_batch(monkeypatch)

    interrupted = rotate(rotated)

    assert interrupted.exit_code == 1 and isinstance(interrupted.exception, RuntimeError)
    progress = db.session.get(RotationProgress, "encryption:checkouts")
    ids = db.session.execute(sa.select(Checkout.id).order_by(Checkout.id)).scalars().all()
    assert progress.last_id == ids[1]  # the first batch was committed with its progress
    done = under_key_2(tokens())
    assert {where[2] for where in done if where[0] == "checkouts"} == set(ids[:2])

    monkeypatch.setattr(rotation, "_reencrypt_batch", real)  # the machine is back
    resumed = rotate(rotated)

    assert resumed.exit_code == 0, resumed.output
    after = tokens()
    assert all(after[where] == token for where, token in done.items())  # not rotated again
    assert decrypted(Keyring((KEY_2,)), after) == before  # all under key 2, none double-encrypted
    assert "  checkouts: 3" in resumed.output.splitlines()
    assert db.session.execute(sa.select(sa.func.count()).select_from(RotationProgress)).scalar_one() == 0


def test_restart_ignores_the_saved_progress(app, rotated):
    store_a_customer()
    past_every_row()
    assert "  checkouts: 1" in rotate(rotated, "--restart").output.splitlines()
    past_every_row()
    assert "  checkouts: 0" in rotate(rotated).output.splitlines()


def past_every_row() -> None:
    db.session.add(RotationProgress(name="encryption:checkouts", last_id=10**6))
    db.session.commit()


def crash_on_second_checkout_batch(monkeypatch):
    """Make the run fail after the first batch of checkouts was committed; returns the real step."""
    real, seen = rotation._reencrypt_batch, []

    def crashing(ring, table, columns, rows):
        seen.extend([table.name] if table.name == "checkouts" else [])
        if seen.count("checkouts") == 2:
            raise RuntimeError("the machine went away")
        return real(ring, table, columns, rows)

    monkeypatch.setattr(rotation, "_reencrypt_batch", crashing)
    return real


def under_key_2(stored: dict) -> dict:
    only_2, done = Keyring((KEY_2,)), {}
    for where, token in stored.items():
        try:
            only_2.decrypt(token)
        except InvalidToken:
            continue
        done[where] = token
    return done


@pytest.mark.promise("encryption-at-rest")
def test_a_value_no_key_decrypts_stops_the_run_naming_table_and_row(app, rotated):
    store_a_customer()
    checkout_id = db.session.execute(sa.select(Checkout.id)).scalar_one()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"someone else's secret").decode()
    db.session.execute(sa.update(Checkout.__table__).values(
        {"last_name": sa.type_coerce(sa.literal(foreign), sa.Text)}))
    db.session.commit()

    result = rotate(rotated)

    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: checkouts row {checkout_id}: last_name is not readable with "
                                     "any key in RINGBACK_ENCRYPTION_KEYS")
    assert foreign not in result.output


# -- the lookup key --------------------------------------------------------------------------------

@pytest.mark.promise("encryption-at-rest")
def test_a_new_lookup_key_rehashes_every_hash(app, make_app):
    shop_id = store_a_customer()
    db.session.add(Order(shop_id=shop_id, shopify_id=502, email_hash=lookup_hash("gone@example.com"),
                         ordered_at=T0))
    db.session.commit()
    old = set(filter(None, stored_hashes().values()))
    order_id = db.session.execute(sa.select(Order.id).where(Order.shopify_id == 502)).scalar_one()
    empty = {where for where, value in stored_hashes().items() if value is None}

    result = rotate(app, "--new-lookup-key", NEW_LOOKUP_KEY)

    assert result.exit_code == 0, result.output
    assert "Now set RINGBACK_LOOKUP_KEY to the key given" in result.output
    assert NEW_LOOKUP_KEY not in result.output
    assert "suppressions.phone_hash: 1 recomputed, 1 translated, 0 dropped" in result.output
    assert "orders.email_hash: 0 recomputed, 1 translated, 1 dropped" in result.output
    moved = make_app(RINGBACK_LOOKUP_KEY=NEW_LOOKUP_KEY)
    with moved.app_context():
        assert keys.lookup_key_matches()
        hashes = stored_hashes()
        expected = {lookup_hash(NY_PHONE), lookup_hash(EMAIL)}
        assert set(filter(None, hashes.values())) == expected and not old & expected
        assert {where for where, value in hashes.items() if value is None} == {
            *empty, ("orders", "email_hash", order_id)}  # untranslatable: NULL, the order stays
        assert is_suppressed(shop_id, NY_PHONE, "call")  # through the erased, sender-wide row
        assert db.session.execute(sa.select(Checkout.email).where(
            Checkout.phone_hash == lookup_hash(NY_PHONE))).scalar_one() == EMAIL
    with app.app_context():
        assert not keys.lookup_key_matches()  # the old key is refused from now on


@pytest.mark.promise("stop-at-once")
@pytest.mark.promise("encryption-at-rest")
def test_an_untranslatable_opt_out_blocks_the_lookup_key_change(app, make_app):
    shop_id = store_a_customer()
    an_untranslatable_opt_out(shop_id)
    before = (tokens(), stored_hashes())

    refused = rotate(app, "--new-lookup-key", NEW_LOOKUP_KEY)

    assert refused.exit_code == 1
    assert refused.output.startswith("Error: 1 opt-out(s) keep only a hash")
    assert "(suppressions.phone_hash: 1)" in refused.output and "--drop-untranslatable" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert (tokens(), stored_hashes()) == before  # nothing changed, not even the encryption
    assert keys.lookup_key_matches()

    dropped = rotate(app, "--new-lookup-key", NEW_LOOKUP_KEY, "--drop-untranslatable")

    assert dropped.exit_code == 0, dropped.output
    assert "suppressions.phone_hash: 1 recomputed, 1 translated, 1 dropped" in dropped.output
    with make_app(RINGBACK_LOOKUP_KEY=NEW_LOOKUP_KEY).app_context():
        assert not is_suppressed(shop_id, ERASED_PHONE)  # what the operator accepted
        assert is_suppressed(shop_id, NY_PHONE)


@pytest.mark.promise("no-pii-in-logs")
def test_no_value_is_printed(app, rotated, make_app):
    shop_id = store_a_customer()
    an_untranslatable_opt_out(shop_id)
    hashes = set(filter(None, stored_hashes().values()))

    outputs = [rotate(rotated, "--new-lookup-key", NEW_LOOKUP_KEY).output,
               rotate(rotated, "--new-lookup-key", NEW_LOOKUP_KEY, "--drop-untranslatable").output]
    with make_app(RINGBACK_LOOKUP_KEY=NEW_LOOKUP_KEY).app_context():
        hashes |= set(filter(None, stored_hashes().values()))

    printed = "\n".join(outputs)
    assert "Rows re-encrypted" in printed and "Error:" in printed
    for secret in (*PLAINTEXTS, ERASED_PHONE, "2125550123", "gAAAA", KEY_1, KEY_2, *hashes):
        assert secret not in printed
