"""Tracked recovery links: `GET /r/<signed token>` records the click and redirects to the checkout."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, redirect
from itsdangerous import BadData, URLSafeTimedSerializer

from app.extensions import db
from app.recovery import clock
from app.recovery.models import Checkout, ContactAttempt, RecoveryClick
from app.shops.models import Shop

bp = Blueprint("recovery_links", __name__)

_SALT = "ringback.recovery-link"
# A link outlives the longest attribution window a merchant can set (30 days); older ones 404.
LINK_MAX_AGE = timedelta(days=30)
# Shopify-owned hosts an abandoned checkout URL may point at, besides the shop's own domains.
SHOPIFY_CHECKOUT_HOSTS = frozenset({"checkout.shopify.com"})
MYSHOPIFY_SUFFIX = ".myshopify.com"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"(?:{_LABEL}\.)+{_LABEL}")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_token(checkout_id: int, attempt_id: int | None = None) -> str:
    return _serializer().dumps([checkout_id, attempt_id])


def tracked_url(checkout_id: int, attempt_id: int | None = None) -> str:
    """The public link to put in a text: it counts the click, then opens the shopper's checkout."""
    return f"{current_app.config['APP_URL'].rstrip('/')}/r/{link_token(checkout_id, attempt_id)}"


def redirect_target(url: str | None, shop_domain: str) -> str | None:
    """Where a click may go: https on a Shopify or shop host, else None (never an open redirect)."""
    parts = _split(url)
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    # Only a plain DNS name is trusted as it stands: a browser reads "evil.com\.myshopify.com" as
    # the host evil.com (a backslash ends the host), though Python's parser sees a myshopify host.
    if _DNS_NAME.fullmatch(host) and (host == shop_domain or host.endswith(MYSHOPIFY_SUFFIX)
                                      or host in SHOPIFY_CHECKOUT_HOSTS):
        # Rebuilt from the checked parts, so the Location says exactly what was checked.
        return urlunsplit(("https", host, parts.path, parts.query, parts.fragment))
    # A custom storefront domain is not known here; the shop's myshopify domain serves the same
    # recovery path and forwards to the storefront, so the link is re-hosted there.
    return urlunsplit(("https", shop_domain, parts.path, parts.query, ""))


def _split(url: str | None):
    """The URL's parts, or None when it does not parse (a bad port, a bracket, an NFKC trick)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        return parts if parts.port in (None, 443) else None
    except ValueError:
        return None


@bp.get("/r/<token>")
def follow(token: str):
    try:
        checkout_id, attempt_id = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except (BadData, TypeError, ValueError):
        abort(404)
    checkout = db.session.get(Checkout, checkout_id) if isinstance(checkout_id, int) else None
    if checkout is None:
        abort(404)
    target = redirect_target(checkout.recovery_url, db.session.get(Shop, checkout.shop_id).domain)
    if target is None:
        abort(404)
    db.session.add(RecoveryClick(checkout_id=checkout.id, attempt_id=_attempt_of(checkout, attempt_id),
                                 clicked_at=clock.now()))
    db.session.commit()
    return redirect(target, code=302)


def _attempt_of(checkout: Checkout, attempt_id) -> int | None:
    if not isinstance(attempt_id, int):
        return None
    attempt = db.session.get(ContactAttempt, attempt_id)
    return attempt.id if attempt is not None and attempt.checkout_id == checkout.id else None
