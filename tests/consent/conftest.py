"""Shops for the consent tests, inside the rolled-back `db` session."""

import pytest

from app.dbtypes import utcnow
from app.shops.models import Shop


@pytest.fixture
def shops(db):
    alpha = Shop(domain="alpha.myshopify.com", installed_at=utcnow())
    beta = Shop(domain="beta.myshopify.com", installed_at=utcnow())
    db.session.add_all([alpha, beta])
    db.session.flush()
    return alpha, beta


@pytest.fixture
def shop(shops):
    return shops[0]


@pytest.fixture
def alpha(db, installed_shop):
    return installed_shop("alpha.myshopify.com")


@pytest.fixture
def beta(db, installed_shop):
    return installed_shop("beta.myshopify.com")


@pytest.fixture
def auth(id_token):
    """Session-token headers for a shop, as App Bridge sends them."""
    def headers(shop: str = "alpha.myshopify.com") -> dict[str, str]:
        return {"Authorization": f"Bearer {id_token(shop)}"}

    return headers
