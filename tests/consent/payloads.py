"""Checkout and order payloads shaped like Shopify's, with Ringback's consent attributes."""

from __future__ import annotations

from typing import Any

US_PHONE = "+12015550123"
US_PHONE_2 = "+12015550199"
UK_PHONE = "+447911123456"
FR_PHONE = "+33612345678"
WORDING = "Yes, Alpha Goods may call or text me about my cart with an automated AI assistant."
TICKED_AT = "2026-11-20T15:04:05Z"


def attributes(consent: object = "yes", *, text: object = WORDING, at: object = TICKED_AT,
               **extra: object) -> list[dict[str, Any]]:
    """`note_attributes` as the checkout extension writes them (None leaves an attribute out)."""
    values = {"ringback_consent": consent, "ringback_consent_text": text, "ringback_consent_at": at,
              **{f"ringback_{name}": value for name, value in extra.items()}}
    return [{"name": name, "value": value} for name, value in values.items() if value is not None]


def checkout(token: str = "tok-1", *, phone: object = US_PHONE, country: object = "US",
             note_attributes: object = None, **overrides: object) -> dict[str, Any]:
    """A checkouts/create payload; pass `note_attributes=attributes(...)` to add consent."""
    payload: dict[str, Any] = {
        "id": 1001,
        "token": token,
        "cart_token": "cart-1",
        "email": "Shopper@Example.com",
        "phone": phone,
        "buyer_accepts_marketing": False,
        "updated_at": "2026-11-20T15:05:00Z",
        "shipping_address": {"first_name": "Ada", "phone": None, "country_code": country},
        "billing_address": [],
        "customer": {"id": 7, "email": "shopper@example.com", "phone": None},
        "note_attributes": [] if note_attributes is None else note_attributes,
    }
    payload.update(overrides)
    return payload


def order(checkout_token: str = "tok-1", **overrides: object) -> dict[str, Any]:
    """An orders/create payload for the checkout `checkout_token`."""
    payload = checkout("order-token-xyz", **overrides)
    payload.update({"id": 5005, "checkout_token": checkout_token, "checkout_id": 1001})
    return payload
