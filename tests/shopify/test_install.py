"""Install by token exchange, token refresh under concurrency, and the Admin GraphQL client."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.dbtypes import utcnow
from app.extensions import db
from app.shopify import admin
from app.shopify.errors import AdminApiError, AdminApiUnavailable
from app.shopify.tokens import access_token_for
from app.shops.models import Shop, ShopToken

pytestmark = pytest.mark.data


def test_install_by_token_exchange_against_the_simulator(installed_shop, shopify):
    shop = installed_shop()
    assert shop.is_active
    assert (shop.name, shop.iana_timezone, shop.currency) == ("Alpha Goods", "America/Chicago", "USD")
    assert shop.shopify_id == shopify.shops["alpha.myshopify.com"].id
    exchange = shopify.calls("oauth:urn:ietf:params:oauth:grant-type:token-exchange")
    assert exchange and exchange[0]["body"]["expiring"] == "1"
    assert shop.token.expires_at > utcnow() + timedelta(minutes=50)
    assert shop.token.refresh_token.startswith("shprt_")


def test_tokens_are_not_readable_in_the_database_without_the_key(installed_shop):
    shop = installed_shop()
    raw = db.session.execute(text("SELECT access_token, refresh_token FROM shop_tokens")).one()
    assert shop.token.access_token not in raw[0] and "shpat_" not in raw[0]
    assert "shprt_" not in raw[1]


def test_expired_token_is_refreshed_before_a_graphql_call(installed_shop, shopify):
    shop = installed_shop()
    old = shop.token.access_token
    shop.token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    shopify.expire_access_tokens("alpha.myshopify.com")
    data = admin.graphql(shop, admin.SHOP_QUERY)
    assert data["shop"]["name"] == "Alpha Goods"
    db.session.rollback()  # end our read transaction: SQLite's WAL snapshot predates the refresh
    assert shop.token.access_token != old
    assert len(shopify.calls("oauth:refresh_token")) == 1


def test_token_revoked_early_is_refreshed_once_and_retried(installed_shop, shopify):
    shop = installed_shop()
    shopify.expire_access_tokens("alpha.myshopify.com")  # Shopify rejects it; our clock does not know
    assert admin.graphql(shop, admin.SHOP_QUERY)["shop"]["currencyCode"] == "USD"
    assert len(shopify.calls("oauth:refresh_token")) == 1


def test_concurrent_refresh_keeps_one_valid_pair(installed_shop, shopify, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL")
    shop = installed_shop()
    shop.token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    shopify.refresh_delay = 0.2  # both workers are inside the refresh window together
    shop_id = shop.id
    tokens, errors = [], []

    def worker():
        with app.app_context():
            try:
                tokens.append(access_token_for(shop_id))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 1
    assert len(shopify.calls("oauth:refresh_token")) == 1
    db.session.expire_all()
    stored = db.session.execute(select(ShopToken)).scalar_one()
    assert stored.access_token == tokens[0]
    assert stored.refresh_token in shopify.refresh_tokens  # the new refresh token was kept


def test_graphql_retries_throttled_and_5xx_then_succeeds(installed_shop, shopify):
    shop = installed_shop()
    shopify.throttle_next()
    shopify.fail_next(503)
    shopify.fail_next(429, headers={"Retry-After": "1"})
    assert admin.graphql(shop, admin.SHOP_QUERY)["shop"]["name"] == "Alpha Goods"
    assert len(shopify.calls("graphql")) >= 4


def test_graphql_gives_up_with_a_typed_error_when_always_unavailable(installed_shop, shopify, app):
    shop = installed_shop()
    shopify.fail_next(503, times=app.config["SHOPIFY_MAX_RETRIES"] + 1)
    with pytest.raises(AdminApiUnavailable):
        admin.graphql(shop, admin.SHOP_QUERY)


def test_graphql_errors_raise_admin_api_error_without_retry(installed_shop, shopify):
    shop = installed_shop()
    calls_before = len(shopify.calls("graphql"))
    with pytest.raises(AdminApiError) as caught:
        admin.graphql(shop, "query { unsupported }")
    assert not isinstance(caught.value, AdminApiUnavailable)
    assert len(shopify.calls("graphql")) == calls_before + 1


def test_shop_a_token_never_reads_shop_b(installed_shop, shopify):
    alpha = installed_shop("alpha.myshopify.com")
    beta = installed_shop("beta.myshopify.com")
    assert admin.graphql(beta, admin.SHOP_QUERY)["shop"]["name"] == "Beta Bikes"
    assert admin.graphql(alpha, admin.SHOP_QUERY)["shop"]["name"] == "Alpha Goods"
    for call in shopify.calls("graphql"):
        assert call["shop"] in ("alpha.myshopify.com", "beta.myshopify.com")
    assert alpha.token.access_token != beta.token.access_token


def test_reinstall_after_uninstall_exchanges_a_new_token(installed_shop):
    shop = installed_shop()
    shop.uninstalled_at = utcnow()
    db.session.delete(shop.token)
    db.session.commit()
    again = installed_shop()
    assert again.id == shop.id and again.is_active and again.token is not None
    assert db.session.execute(select(Shop)).scalars().all() == [again]
