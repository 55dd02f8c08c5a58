"""A simulated shopper for the sandbox: an abandoned checkout with consent, due for contact now.

The number is picked where the shopper's local time is inside the contact window right now (the
legal 08:00-21:00, narrowed to the merchant's defaults), so a newcomer sees a call at any hour.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezone

# (language, phone, country, province, zone): fictional numbers that parse as valid ones.
NUMBERS = (
    ("en", "+12125550143", "US", "NY", "America/New_York"),
    ("en", "+13105550143", "US", "CA", "America/Los_Angeles"),
    ("en", "+18085550143", "US", "HI", "Pacific/Honolulu"),
    ("en", "+442071838750", "GB", None, "Europe/London"),
    ("en", "+61293744000", "AU", "NSW", "Australia/Sydney"),
    ("es", "+525512345678", "MX", "CMX", "America/Mexico_City"),
    ("es", "+34912345678", "ES", "M", "Europe/Madrid"),
    ("fr", "+33142685300", "FR", None, "Europe/Paris"),
    ("de", "+4930901820", "DE", "BE", "Europe/Berlin"),
    ("en", "+81312345678", "JP", None, "Asia/Tokyo"),
)
LOCALES = {"en": "en-US", "es": "es-MX", "fr": "fr-FR", "de": "de-DE"}
# Inside both the legal window and the merchant's default one, with a margin for the call itself.
OPEN, CLOSE = time(9, 5), time(19, 45)
CONSENT_WORDING = ("Yes, {store} may call or text me about this order with an automated AI assistant. "
                   "Calls may be recorded. Consent is not a condition of purchase. Reply STOP to opt out.")


def pick_number(language: str, now: datetime) -> tuple[str, str, str | None] | None:
    """A fresh number whose zone is inside the contact window now: the language's own first.

    Fresh, so that each simulated checkout is a new shopper (one number is one conversation)."""
    def open_now(zone: str) -> bool:
        return OPEN <= now.astimezone(ZoneInfo(zone)).time() <= CLOSE

    ordered = sorted(NUMBERS, key=lambda n: n[0] != language)
    found = next((n for n in ordered if open_now(n[4])), None)
    if found is None:
        return None
    return _vary(found[1], found[4]), found[2], found[3]


def _vary(phone: str, zone: str) -> str:
    """The same kind of number with other last digits, still valid and in the same zone."""
    for _ in range(50):
        candidate = phone[:-3] + f"{secrets.randbelow(1000):03d}"
        parsed = phonenumbers.parse(candidate)
        if phonenumbers.is_valid_number(parsed) and phone_timezone.time_zones_for_number(parsed) == (zone,):
            return candidate
    return phone


def abandoned_checkout(shop_domain: str, store: str, *, language: str, phone: str, country: str,
                       province: str | None, now: datetime, idle_minutes: int) -> dict:
    """A checkouts/create payload as Shopify sends it, last updated `idle_minutes` ago, consenting."""
    token = secrets.token_hex(16)
    updated = now - timedelta(minutes=idle_minutes)
    stamp = updated.isoformat().replace("+00:00", "Z")
    return {
        "id": secrets.randbelow(10**12), "token": token, "cart_token": secrets.token_hex(16),
        "email": f"shopper+{token[:8]}@example.com", "phone": phone, "currency": "USD",
        "presentment_currency": "USD", "subtotal_price": "89.00", "total_price": "96.50",
        "customer_locale": LOCALES.get(language, "en-US"),
        "abandoned_checkout_url": f"https://{shop_domain}/checkouts/{token}/recover?key={token[:12]}",
        "line_items": [{"title": "Trail Runner Shoes", "variant_title": "Blue / 42", "quantity": 1,
                        "price": "89.00", "product_id": 1001, "variant_id": 2001, "sku": "TRS-B42"}],
        "customer": {"id": secrets.randbelow(10**9), "first_name": "Sam", "last_name": "Sandbox",
                     "email": f"shopper+{token[:8]}@example.com", "phone": phone},
        "shipping_address": {"first_name": "Sam", "phone": phone, "country_code": country,
                             "province_code": province},
        "billing_address": None,
        "note_attributes": [{"name": "ringback_consent", "value": "yes"},
                            {"name": "ringback_consent_text", "value": CONSENT_WORDING.format(store=store)},
                            {"name": "ringback_consent_at", "value": stamp}],
        "created_at": (updated - timedelta(minutes=8)).isoformat().replace("+00:00", "Z"),
        "updated_at": stamp,
        "completed_at": None,
    }
