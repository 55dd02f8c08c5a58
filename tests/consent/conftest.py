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
