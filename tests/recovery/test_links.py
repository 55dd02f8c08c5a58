"""The tracked link `GET /r/<token>`: it counts the click and sends the shopper to their checkout, on
the shop's own domain or Shopify's, whatever the stored recovery URL tries (never an open redirect)."""

import re
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.recovery.links import LINK_MAX_AGE, link_token
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, RecoveryClick
from tests.recovery.conftest import SHOP_DOMAIN, T0, make_shop

pytestmark = pytest.mark.data

RECOVERY_URL = f"https://{SHOP_DOMAIN}/1/checkouts/tok-1/recover?key=k"
SAFE_HOSTS = {SHOP_DOMAIN, "checkout.shopify.com"}


def _checkout(shop, token="tok-1", *, recovery_url=RECOVERY_URL, attempt=True) -> Checkout:
    started = T0 - timedelta(hours=1)
    checkout = Checkout(shop_id=shop.id, token=token, line_items=[], shopify_created_at=started,
                        shopify_updated_at=started, recovery_url=recovery_url)
    if attempt:
        checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="sms", scheduled_at=T0,
                                                status=AttemptStatus.DISPATCHED, dispatched_at=T0))
    db.session.add(checkout)
    db.session.commit()
    return checkout


def _clicks() -> list[RecoveryClick]:
    db.session.expire_all()
    return list(db.session.execute(select(RecoveryClick).order_by(RecoveryClick.id)).scalars())


def _browser_host(location: str) -> str | None:
    """The host a browser goes to for this Location (WHATWG: tabs and newlines dropped, a backslash
    is a slash in an https URL, the host percent-decoded)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ").replace("\\", "/")
    host = urlsplit(cleaned).hostname
    return unquote(host).lower() if host else None


def _follow(client, checkout: Checkout, recovery_url: str):
    checkout.recovery_url = recovery_url
    db.session.commit()
    return client.get(f"/r/{link_token(checkout.id)}")


def _assert_stays_on_the_shop(response, recovery_url: str) -> None:
    """Refused (404, nothing recorded), or a 302 to an absolute https URL on a safe host."""
    if response.status_code == 404:
        assert "Location" not in response.headers and _clicks() == [], recovery_url
        return
    assert response.status_code == 302, (recovery_url, response.status_code)
    location = response.headers["Location"]
    assert location.startswith("https://"), (recovery_url, location)
    host = _browser_host(location)
    assert host == urlsplit(location).hostname, (recovery_url, location)  # no parser disagreement
    # The shop's domain or Shopify's checkout host; any other Shopify-owned *.myshopify.com name is
    # allowed by links.py, but never evil.com or one of its subdomains.
    assert host in SAFE_HOSTS or host.endswith(".myshopify.com"), (recovery_url, location)
    assert host != "evil.com" and not host.endswith(".evil.com"), (recovery_url, location)


# -- the happy path -------------------------------------------------------------------------------

def test_tracked_link_records_click_and_redirects_302_to_recovery_url(shop, clock, client):
    checkout = _checkout(shop)
    attempt_id = checkout.attempts[0].id
    clock.set(T0 + timedelta(hours=2))
    response = client.get(f"/r/{link_token(checkout.id, attempt_id)}")
    assert response.status_code == 302
    assert response.headers["Location"] == RECOVERY_URL
    [click] = _clicks()
    assert (click.checkout_id, click.attempt_id, click.clicked_at) == (
        checkout.id, attempt_id, T0 + timedelta(hours=2))
    # Each opening counts.
    assert client.get(f"/r/{link_token(checkout.id, attempt_id)}").status_code == 302
    assert len(_clicks()) == 2


@pytest.mark.parametrize(("recovery_url", "location"), [
    ("https://checkout.shopify.com/1/checkouts/t?key=k", "https://checkout.shopify.com/1/checkouts/t?key=k"),
    ("https://ALPHA.myshopify.com:443/1/checkouts/t", f"https://{SHOP_DOMAIN}/1/checkouts/t"),
    # A custom storefront domain: the same path on the shop's myshopify domain.
    ("https://shop.example.com/1/checkouts/t/recover?key=k#top",
     f"https://{SHOP_DOMAIN}/1/checkouts/t/recover?key=k"),
])
def test_shopify_hosts_are_kept_and_a_storefront_domain_is_rehosted(shop, clock, client, recovery_url,
                                                                    location):
    response = _follow(client, _checkout(shop), recovery_url)
    assert (response.status_code, response.headers["Location"]) == (302, location)


# -- open redirects -------------------------------------------------------------------------------

@pytest.mark.parametrize("recovery_url", ["//evil.com/x", "///evil.com/x", "/\\evil.com/x", "\\\\evil.com/x",
                                          "//evil.com@alpha.myshopify.com/x", "//alpha.myshopify.com/x"])
def test_open_redirect_protocol_relative_url_stays_on_shop_domain(shop, clock, client, recovery_url):
    response = _follow(client, _checkout(shop), recovery_url)
    _assert_stays_on_the_shop(response, recovery_url)


@pytest.mark.parametrize("recovery_url", [
    "https:%2F%2Fevil.com",
    "https:%2f%2fevil.com/x",
    "/%2F%2Fevil.com",
    "https://evil.com%2F@alpha.myshopify.com/x",
    f"https://{SHOP_DOMAIN}.evil.com/1/checkouts/t/recover?key=k",
    "https:\\\\evil.com",
    "https:/\\evil.com/x",
    "https://\\evil.com/x",
    f"https://{SHOP_DOMAIN}@evil.com/",
    f"https://{SHOP_DOMAIN}:@evil.com/",
    # Python reads a myshopify host here; a browser reads evil.com (the fixed open redirect).
    "https://evil.com\\.myshopify.com/x",
    "https://evil.com\\\\.myshopify.com/x",
    "https://evil.com\\@alpha.myshopify.com/x",
    "https://evil.com%5C.myshopify.com/x",
    "https://evil.com%2f.myshopify.com/x",
    # Tabs are dropped by Python and browsers alike: a (Shopify-owned) myshopify name.
    "https://evil.com\t.myshopify.com/x",
    "https://evil.com;.myshopify.com/x",
    "https://evil.com#@alpha.myshopify.com",
    "https://evil.com?@alpha.myshopify.com",
    "HTTPS://EVIL.COM/x",
    # Full-width "@" and "/" (NFKC tricks), a bad port, a broken bracket: refused, never a 500.
    "https://evil.com\uff20alpha.myshopify.com/",
    "https://evil.com\uff0f.myshopify.com/",
    f"https://{SHOP_DOMAIN}:abc/x",
    "https://[evil.com/x",
])
def test_open_redirect_encoded_slashes_stay_on_shop_domain(shop, clock, client, recovery_url):
    response = _follow(client, _checkout(shop), recovery_url)
    _assert_stays_on_the_shop(response, recovery_url)


def test_a_lookalike_host_keeps_its_path_but_not_its_host(shop, clock, client):
    response = _follow(client, _checkout(shop), "https://evil.com\\.myshopify.com/1/checkouts/t?key=k")
    assert (response.status_code, response.headers["Location"]) == (
        302, f"https://{SHOP_DOMAIN}/1/checkouts/t?key=k")


@pytest.mark.promise("encryption-in-transit")
@pytest.mark.parametrize("recovery_url", [
    f"http://{SHOP_DOMAIN}/1/checkouts/tok-1/recover?key=k",
    "http://evil.com/x",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    f"ftp://{SHOP_DOMAIN}/x",
    f"https://{SHOP_DOMAIN}:8443/1/checkouts/tok-1",
    "",
])
def test_non_https_recovery_url_is_404(shop, clock, client, recovery_url):
    response = _follow(client, _checkout(shop), recovery_url)
    assert response.status_code == 404 and "Location" not in response.headers
    assert _clicks() == []


def test_a_checkout_without_a_recovery_url_is_404(shop, clock, client):
    checkout = _checkout(shop, recovery_url=None)
    assert client.get(f"/r/{link_token(checkout.id)}").status_code == 404
    assert _clicks() == []


# -- the token ------------------------------------------------------------------------------------

def test_tampered_signature_is_404_and_records_nothing(shop, clock, client, app):
    checkout = _checkout(shop)
    good = link_token(checkout.id, checkout.attempts[0].id)
    payload, _, signature = good.rpartition(".")
    # The first character: the last one of a base64 signature carries padding bits a decoder ignores,
    # so changing it can leave the signature's bytes, and the token, valid.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_secret = URLSafeTimedSerializer("not-the-secret", salt="ringback.recovery-link")
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else")
    for token in (f"{payload}.{flipped}", good[:-3], "x" + good, good.replace(".", "", 1),
                  other_secret.dumps([checkout.id, None]), other_salt.dumps([checkout.id, None]),
                  "junk", "a.b.c"):
        assert client.get(f"/r/{token}").status_code == 404, token
    assert _clicks() == []
    assert client.get(f"/r/{good}").status_code == 302  # the genuine one still works


def _minted_ago(monkeypatch, age: timedelta, checkout_id: int) -> str:
    """A genuine token whose itsdangerous timestamp lies `age` in the past."""
    import time

    with monkeypatch.context() as patched:
        minted = int(time.time() - age.total_seconds())
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: minted)
        return link_token(checkout_id)


def test_expired_token_is_404(shop, clock, client, monkeypatch):
    checkout = _checkout(shop)
    expired = _minted_ago(monkeypatch, LINK_MAX_AGE + timedelta(minutes=1), checkout.id)
    assert client.get(f"/r/{expired}").status_code == 404
    assert _clicks() == []
    fresh_enough = _minted_ago(monkeypatch, LINK_MAX_AGE - timedelta(minutes=1), checkout.id)
    assert client.get(f"/r/{fresh_enough}").status_code == 302
    assert len(_clicks()) == 1


def test_token_for_another_shops_attempt_is_not_attributed(shop, clock, client):
    mine = _checkout(shop, "tok-1")
    other_shop = make_shop("beta.myshopify.com")
    theirs = _checkout(other_shop, "tok-2", recovery_url="https://beta.myshopify.com/1/checkouts/tok-2")
    for attempt_id in (theirs.attempts[0].id, 10**9, "1", None):
        response = client.get(f"/r/{_signed([mine.id, attempt_id])}")
        assert (response.status_code, response.headers["Location"]) == (302, RECOVERY_URL)
    assert [(c.checkout_id, c.attempt_id) for c in _clicks()] == [(mine.id, None)] * 4
    # The other shop's checkout is reached only by its own link, on its own domain.
    response = client.get(f"/r/{link_token(theirs.id, theirs.attempts[0].id)}")
    assert response.headers["Location"] == "https://beta.myshopify.com/1/checkouts/tok-2"


def test_token_naming_no_checkout_is_404(shop, clock, client):
    checkout = _checkout(shop)
    for payload in ([checkout.id + 999, None], ["1", None], [None, None], {"checkout": checkout.id}):
        assert client.get(f"/r/{_signed(payload)}").status_code == 404, payload
    assert _clicks() == []


def _signed(payload) -> str:
    """Any payload, signed as the app signs links (only the app can make these)."""
    from app.recovery.links import _serializer

    return _serializer().dumps(payload)
