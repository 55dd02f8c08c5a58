"""Shop state through the rolled-back `db` fixture."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.dbtypes import utcnow
from app.shops.models import TOKEN_REFRESH_MARGIN, Shop, ShopToken

pytestmark = pytest.mark.data


def test_shop_is_active_only_while_installed(db):
    shop = Shop(domain="gamma.myshopify.com")
    db.session.add(shop)
    db.session.commit()
    assert not shop.is_active
    shop.installed_at = utcnow()
    assert shop.is_active and shop.handle == "gamma"
    shop.uninstalled_at = utcnow()
    assert not shop.is_active


def test_token_needs_refresh_inside_the_margin(db):
    now = utcnow()
    token = ShopToken(access_token="a", expires_at=now + TOKEN_REFRESH_MARGIN + timedelta(seconds=5))
    assert not token.needs_refresh(now)
    assert token.needs_refresh(now + timedelta(seconds=10))
    assert not ShopToken(access_token="a", expires_at=None).needs_refresh(now)


def test_token_is_encrypted_and_datetimes_come_back_aware(db):
    shop = Shop(domain="delta.myshopify.com", installed_at=utcnow())
    shop.token = ShopToken(access_token="shpat_secret", expires_at=utcnow())
    db.session.add(shop)
    db.session.commit()
    raw = db.session.execute(text("SELECT access_token FROM shop_tokens")).scalar_one()
    assert "shpat_secret" not in raw
    db.session.expire_all()
    loaded = db.session.execute(select(Shop)).scalar_one()
    assert loaded.token.access_token == "shpat_secret"
    assert loaded.installed_at.tzinfo is not None


def test_db_fixture_rolls_back_between_tests(db):
    assert db.session.execute(select(Shop)).first() is None
