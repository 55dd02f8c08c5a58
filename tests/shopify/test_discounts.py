"""Discount codes created on the shop through Admin GraphQL, against the Shopify simulator."""

import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.shopify import admin, discounts
from app.shopify.discounts import CODE_ALPHABET, DiscountError, create_discount_code, generate_code
from app.shopify.errors import AdminApiUnavailable

pytestmark = pytest.mark.data

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CODE = re.compile(rf"^RB-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")
TAKEN = {"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique."}


def _create(shop, **overrides):
    args = {"percent": 10, "max_percent": 15, "expires_in": timedelta(hours=48), "now": NOW}
    args.update(overrides)
    return create_discount_code(shop, **args)


def _codes_in_sequence(monkeypatch, *codes):
    sequence = iter(codes)
    monkeypatch.setattr(discounts, "generate_code", lambda: next(sequence))


def test_creates_a_single_use_expiring_code_within_the_cap(installed_shop, shopify):
    shop = installed_shop()
    code = _create(shop)

    assert CODE.match(code.code)
    assert code.percent == 10
    assert code.ends_at == NOW + timedelta(hours=48) and code.ends_at.tzinfo is not None
    assert code.node_id == "gid://shopify/DiscountCodeNode/1"
    [sent] = shopify.discount_calls()
    assert sent == {
        "title": f"Ringback recovery 10% ({code.code})",
        "code": code.code,
        "startsAt": "2026-05-01T12:00:00Z",
        "endsAt": "2026-05-03T12:00:00Z",
        "context": {"all": "ALL"},
        "customerGets": {"value": {"percentage": 0.1}, "items": {"all": True}},
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "combinesWith": {"productDiscounts": False, "orderDiscounts": False, "shippingDiscounts": True},
    }
    [stored] = shopify.discounts
    assert (stored["shop"], stored["code"], stored["usage_limit"]) == ("alpha.myshopify.com", code.code, 1)
    assert stored["ends_at"] == code.ends_at


def test_percent_above_the_cap_is_clamped_to_the_cap(installed_shop, shopify):
    code = _create(installed_shop(), percent=40, max_percent=15)
    assert code.percent == 15
    assert shopify.discounts[0]["percentage"] == 0.15
    assert "15%" in shopify.discount_calls()[0]["title"]


@pytest.mark.parametrize(("percent", "max_percent"), [(10, 0), (10, -5), (0, 15), (-3, 15)])
def test_zero_cap_or_non_positive_percent_is_refused_without_a_request(installed_shop, shopify,
                                                                       percent, max_percent):
    shop = installed_shop()
    before = len(shopify.calls("graphql"))
    with pytest.raises(ValueError):
        _create(shop, percent=percent, max_percent=max_percent)
    assert len(shopify.calls("graphql")) == before
    assert shopify.discounts == []


def test_expiry_must_be_in_the_future_and_now_aware(installed_shop, shopify):
    shop = installed_shop()
    with pytest.raises(ValueError):
        _create(shop, expires_in=timedelta(0))
    with pytest.raises(ValueError):
        _create(shop, now=datetime(2026, 5, 1, 12, 0))
    assert shopify.discount_calls() == []


def test_limited_to_the_carts_products_when_given(installed_shop, shopify):
    _create(installed_shop(), product_ids=[111, 222], minimum_subtotal=Decimal("50.00"))
    [sent] = shopify.discount_calls()
    assert sent["customerGets"]["items"] == {
        "products": {"productsToAdd": ["gid://shopify/Product/111", "gid://shopify/Product/222"]}}
    assert "minimumRequirement" not in sent
    assert shopify.discounts[0]["products"] == ["gid://shopify/Product/111", "gid://shopify/Product/222"]


def test_limited_to_an_order_minimum_when_no_products_are_given(installed_shop, shopify):
    _create(installed_shop(), minimum_subtotal=Decimal("49.90"))
    [sent] = shopify.discount_calls()
    assert sent["customerGets"]["items"] == {"all": True}
    assert sent["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal": "49.90"}}
    assert shopify.discounts[0]["minimum"] == "49.90"


def test_applies_to_all_items_without_products_or_minimum(installed_shop, shopify):
    _create(installed_shop())
    [sent] = shopify.discount_calls()
    assert sent["customerGets"]["items"] == {"all": True}
    assert "minimumRequirement" not in sent
    assert shopify.discounts[0]["products"] == [] and shopify.discounts[0]["minimum"] is None


def test_user_errors_raise_discount_error_with_them(installed_shop, shopify, caplog):
    shop = installed_shop()
    refusal = {"field": ["basicCodeDiscount", "customerGets"], "code": "INVALID", "message": "Nope."}
    shopify.reject_discounts_next([refusal])
    caplog.set_level(logging.INFO, logger="app.shopify.discounts")
    with pytest.raises(DiscountError) as caught:
        _create(shop)
    assert caught.value.user_errors == [refusal]
    assert not caught.value.transient
    assert shopify.discounts == [] and len(shopify.discount_calls()) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"shop {shop.id}" in logged and "INVALID" in logged
    assert shopify.discount_calls()[0]["code"] not in logged and "Nope." not in logged


def test_taken_code_is_retried_once_with_a_new_code(installed_shop, shopify, monkeypatch):
    shop = installed_shop()
    _codes_in_sequence(monkeypatch, "RB-AAAA-AAAA", "RB-AAAA-AAAA", "RB-BBBB-BBBB")
    first = _create(shop)
    second = _create(shop)
    assert (first.code, second.code) == ("RB-AAAA-AAAA", "RB-BBBB-BBBB")
    assert [c["code"] for c in shopify.discount_calls()] == ["RB-AAAA-AAAA"] * 2 + ["RB-BBBB-BBBB"]
    assert [d["code"] for d in shopify.discounts] == ["RB-AAAA-AAAA", "RB-BBBB-BBBB"]
    assert second.node_id == "gid://shopify/DiscountCodeNode/2"


def test_taken_twice_gives_up_after_one_retry(installed_shop, shopify):
    shopify.reject_discounts_next([TAKEN], times=3)
    with pytest.raises(DiscountError) as caught:
        _create(installed_shop())
    assert [e["code"] for e in caught.value.user_errors] == ["TAKEN"]
    codes = [c["code"] for c in shopify.discount_calls()]
    assert len(codes) == 2 and codes[0] != codes[1]


def test_admin_5xx_exhausting_retries_raises_discount_error(installed_shop, shopify, app):
    shop = installed_shop()
    shopify.fail_next(503, times=app.config["SHOPIFY_MAX_RETRIES"] + 1)
    with pytest.raises(DiscountError) as caught:
        _create(shop)
    assert isinstance(caught.value.__cause__, AdminApiUnavailable)
    assert caught.value.transient and caught.value.user_errors == []
    assert shopify.discounts == []


def test_codes_are_unique_and_use_the_unambiguous_alphabet():
    assert not set("0O1I") & set(CODE_ALPHABET)
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.match(code) for code in codes)


def test_codes_are_unique_per_shop_in_the_simulator(installed_shop, shopify, monkeypatch):
    _codes_in_sequence(monkeypatch, "RB-CCCC-CCCC", "RB-CCCC-CCCC")
    alpha, beta = installed_shop("alpha.myshopify.com"), installed_shop("beta.myshopify.com")
    assert _create(alpha).code == _create(beta).code == "RB-CCCC-CCCC"
    assert [d["shop"] for d in shopify.discounts] == ["alpha.myshopify.com", "beta.myshopify.com"]


def test_simulator_refuses_invalid_input_and_still_answers_the_shop_query(installed_shop, shopify):
    shop = installed_shop()
    bad = {"basicCodeDiscount": {"code": "", "startsAt": "2026-05-02T00:00:00Z",
                                 "endsAt": "2026-05-01T00:00:00Z", "usageLimit": 0,
                                 "customerGets": {"value": {"percentage": 1.5}, "items": {"all": True}}}}
    payload = admin.graphql(shop, discounts.CREATE_MUTATION, bad)["discountCodeBasicCreate"]
    assert payload["codeDiscountNode"] is None
    assert {e["field"][1] for e in payload["userErrors"]} == {"code", "customerGets", "endsAt", "usageLimit"}
    assert shopify.discounts == []
    assert admin.graphql(shop, admin.SHOP_QUERY)["shop"]["name"] == "Alpha Goods"
