"""A changed lookup key is refused before it can switch the do-not-contact list off."""

import pytest
from cryptography.fernet import Fernet

from app import keys
from app.consent.queries import is_suppressed, suppress
from app.extensions import db
from app.keys import KeyFingerprint
from app.shops.models import Shop
from tests.conftest import ENCRYPTION_KEY

pytestmark = pytest.mark.data

PHONE = "+12125550123"


def _opt_out(app) -> None:
    with app.app_context():
        shop = Shop(domain="alpha.myshopify.com")
        db.session.add(shop)
        db.session.flush()
        suppress(shop.id, PHONE, reason="stop_keyword", source="sms")
        db.session.commit()
        assert keys.lookup_key_matches()  # the first start records the fingerprint


def _shop_id() -> int:
    return db.session.execute(db.select(Shop.id)).scalar_one()


def test_the_first_start_records_a_fingerprint_that_does_not_reveal_the_key(app):
    assert keys.lookup_key_matches()
    stored = db.session.get(KeyFingerprint, keys.LOOKUP_KEY)
    assert stored is not None and len(stored.fingerprint) == 64
    assert ENCRYPTION_KEY not in stored.fingerprint
    assert keys.lookup_key_matches()  # and the same key keeps matching


@pytest.mark.promise("stop-at-once")
def test_retiring_the_encryption_key_the_lookup_key_derives_from_is_refused(app, make_app):
    _opt_out(app)
    retired = make_app(RINGBACK_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    with retired.app_context():
        assert not is_suppressed(_shop_id(), PHONE)  # what would silently happen
        assert not keys.lookup_key_matches()
        with pytest.raises(keys.ConfigError, match="RINGBACK_LOOKUP_KEY"):
            keys.require_lookup_key()


@pytest.mark.promise("stop-at-once")
@pytest.mark.promise("encryption-at-rest")
def test_rotating_by_prepending_a_new_encryption_key_keeps_the_opt_outs(app, make_app):
    _opt_out(app)
    rotated = make_app(RINGBACK_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{ENCRYPTION_KEY}")
    with rotated.app_context():
        assert keys.lookup_key_matches() and is_suppressed(_shop_id(), PHONE)


@pytest.mark.promise("stop-at-once")
def test_a_changed_lookup_key_makes_the_app_unready(app, make_app):
    _opt_out(app)
    changed = make_app(RINGBACK_LOOKUP_KEY="another-key")
    response = changed.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["lookup_key"] == "changed"


@pytest.mark.promise("stop-at-once")
def test_a_changed_lookup_key_stops_the_worker_with_one_line(app, make_app):
    _opt_out(app)
    changed = make_app(RINGBACK_LOOKUP_KEY="another-key")
    with changed.app_context():  # the command runs in the current app's context
        result = changed.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: RINGBACK_LOOKUP_KEY is not the key")
    assert len(result.output.strip().splitlines()) == 1
