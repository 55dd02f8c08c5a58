"""The admin pages in real headless Chromium, offline, against the sandbox app over HTTP with seeded data.

One run of the Node driver (tests/dashboard/browser/check.mjs: playwright-core and axe-core from
extensions/node_modules, Debian's Chromium) visits every page, does the interactions, and writes a
report that the tests below read. Screenshots are kept under the test's artifact directory, and written
to docs/screenshots/ with RINGBACK_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.consent.models import ConsentEvent, Suppression
from app.consent.suppression import phone_hash
from app.crypto import lookup_hash
from app.dbtypes import utcnow
from app.extensions import db
from app.privacy.models import DataRequest, Restriction
from app.recovery.models import AttemptStatus, Checkout, ContactAttempt, Order, Recovery
from app.sandbox_mode import DEMO_SHOP
from app.shops.models import Shop
from app.sms.models import Message
from app.voice.models import Call, CallTurn
from sandbox.shopify_sim import ShopifySimulator
from sandbox.twilio_sim import SimRecording, TwilioSimulator
from tests.conftest import API_KEY, API_SECRET, _config, _truncate_all

# PostgreSQL only (not `data`): one browser run costs a minute, and SQLite's data paths are the API tests'.
pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "dashboard" / "browser" / "check.mjs"
NODE_MODULES = ROOT / "extensions" / "node_modules"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGES = ("overview", "activity", "checkout", "call", "settings", "compliance", "setup")
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "sandbox-browser-test-token"
RECORDING_SID = "RE" + "1" * 32
WORDING = "Yes, Ringback Demo Store may call or text me about my cart (automated, AI). Reply STOP to opt out."
# The featured call, as said, in order.
TRANSCRIPT = [
    ("agent", "Hi, this is the automated AI assistant of Ringback Demo Store. This call may be recorded. "
              "Say stop or press 9 to opt out. You left a linen shirt in your cart: may I help you finish?"),
    ("shopper", "Oh, yes. I stopped because the shipping looked expensive."),
    ("agent", "I understand. I can text you a 10 percent code that covers most of the shipping. Shall I?"),
    ("shopper", "Yes please, send it."),
    ("agent", "Done: the code and a link to your cart are on their way by text. Thank you, goodbye!"),
]
THREAD = [
    ("outbound", "discount", "Ringback Demo Store: Hi Emma, here is your 10% code SAVE10-7QX. Your cart: "
                             "http://127.0.0.1/r/1"),
    ("inbound", "reply", "Thanks! Does it work on sale items too?"),
    ("outbound", "reply", "Ringback Demo Store: Yes, the code works on every item in your cart. Reply STOP "
                          "to opt out."),
]
RECOVERY_TEXT = ("Ringback Demo Store: Hi, you left a linen shirt in your cart. Finish your order here: "
                 "http://127.0.0.1/r/2")
CHECKOUTS = 96
CALL_OUTCOMES = ("link_sent", "no_answer", "declined", "declined")


# -- the environment: simulators, the sandbox app over HTTP, seeded data ---------------------------

@pytest.fixture(scope="module")
def simulators():
    shopify = ShopifySimulator(API_KEY, API_SECRET).start()
    twilio = TwilioSimulator(TWILIO_SID, TWILIO_TOKEN).start()
    twilio.recordings[RECORDING_SID] = SimRecording(RECORDING_SID, TWILIO_SID, "CA" + "2" * 32, 27, 1)
    yield shopify, twilio
    twilio.stop()
    shopify.stop()


@pytest.fixture(scope="module")
def sandbox_app(migrated, tmp_path_factory, queue_name, simulators):
    shopify, twilio = simulators
    app = create_app(_config(migrated, tmp_path_factory.mktemp("browser-instance"), queue_name, SANDBOX=True,
                             SHOPIFY_ADMIN_URL_TEMPLATE=shopify.url_template, TWILIO_ACCOUNT_SID=TWILIO_SID,
                             TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TWILIO_FROM_NUMBER="+15005550006",
                             TWILIO_API_BASE_URL=twilio.base_url))
    with app.app_context():
        _truncate_all()
        world = seed()
    yield app, world
    with app.app_context():
        _truncate_all()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def base_url(sandbox_app):
    app, _ = sandbox_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def seed() -> dict:
    """A month of a demo shop: enough contacted and holdout checkouts for a lift with its interval,
    recoveries on most days, one call with a transcript and a recording, a text thread, a data request."""
    now = utcnow()
    shop = Shop(domain=DEMO_SHOP, name="Ringback Demo Store", iana_timezone="America/New_York",
                currency="USD", scopes="read_orders,write_discounts", installed_at=now - timedelta(days=40))
    db.session.add(shop)
    db.session.flush()
    world: dict = {"shop_id": shop.id}
    for n in reversed(range(CHECKOUTS)):  # oldest first, as they would arrive
        _checkout(shop, n, now, world)
    export = json.dumps({"format": "ringback-export-1", "shop": DEMO_SHOP, "records": {}})
    db.session.add_all([
        _suppression(shop, "+12125550190", "stop_keyword", "sms", now - timedelta(days=3)),
        _suppression(shop, "+13125550191", "verbal_opt_out", "call", now - timedelta(days=9)),
        DataRequest(shop_id=shop.id, shopify_request_id="9001", record_count=14, status="ready",
                    export=export, created_at=now - timedelta(hours=5), expires_at=now + timedelta(days=25)),
        Restriction(shop_id=shop.id, email_hash=lookup_hash("objector@example.com"),
                    created_at=now - timedelta(days=2)),
    ])
    db.session.commit()
    return world


def _suppression(shop: Shop, phone: str, reason: str, source: str, at) -> Suppression:
    return Suppression(shop_id=shop.id, phone_hash=phone_hash(phone), phone_e164=phone, channel="all",
                       reason=reason, source=source, created_at=at)


def _checkout(shop: Shop, n: int, now, world: dict) -> None:
    """Checkout n: every third is in the holdout; most others are called, some texted, some ordered; a few
    have no consent (n % 12 == 10) or are not yet decided on (n % 12 == 6)."""
    started = now - timedelta(days=n % 28, hours=1 + n % 5, minutes=n)
    phone = f"+1212555{1000 + n:04d}"
    email = f"shopper{n}@example.com"
    featured = n == 0
    total = Decimal(40 + (n * 7) % 90)
    checkout = Checkout(
        shop_id=shop.id, token=f"demo{n:04d}{secrets.token_hex(10)}", phone=phone, email=email,
        first_name="Emma" if featured else f"Shopper {n}", phone_hash=phone_hash(phone),
        email_hash=lookup_hash(email), currency="USD", presentment_currency="USD", total_price=total,
        shop_total_price=total, line_items=[{"title": "Linen shirt", "quantity": 1, "price": "49.00"}],
        country_code="US", shopify_created_at=started, shopify_updated_at=started, created_at=started,
        holdout=None if n % 12 == 6 else n % 3 == 2)
    db.session.add(checkout)
    db.session.flush()
    if n % 12 == 10:
        return  # no consent: never planned
    db.session.add(ConsentEvent(
        shop_id=shop.id, checkout_token=checkout.token, topic="checkouts/create", source="cart_block",
        channels="call,sms", granted=True, wording=WORDING, consented_at=started,
        consented_at_source="attribute", phone_e164=phone, phone_hash=phone_hash(phone), phone_status="valid",
        email_hash=checkout.email_hash, recorded_at=started))
    if checkout.holdout is None:
        return
    due = started + timedelta(minutes=31)
    attempt = ContactAttempt(checkout_id=checkout.id, shop_id=shop.id, seq=1, channel="call",
                             scheduled_at=due, phone=phone, phone_hash=phone_hash(phone))
    db.session.add(attempt)
    if checkout.holdout:
        attempt.status, attempt.reason, attempt.finished_at, attempt.phone = (
            AttemptStatus.WITHHELD, "holdout", due, None)
        if n % 15 == 5:
            _order(shop, checkout, None, due + timedelta(hours=3), holdout=True)
        return
    if n in (1, 4):  # planned, not made yet
        attempt.channel = "call" if n == 1 else "sms"
        attempt.scheduled_at, attempt.status = now + timedelta(minutes=20 + n * 30), AttemptStatus.SCHEDULED
        return
    texted = n % 5 == 3
    attempt.channel = "sms" if texted else "call"
    attempt.status, attempt.dispatched_at, attempt.finished_at = (
        AttemptStatus.COMPLETED, due, due + timedelta(minutes=2))
    if texted:
        attempt.outcome = "undelivered" if n % 10 == 8 else "sent"
    else:
        attempt.outcome = "discount_sent" if featured else CALL_OUTCOMES[n % len(CALL_OUTCOMES)]
    db.session.flush()
    if texted:
        _text(shop, checkout, attempt, failed=n % 10 == 8)
    else:
        call = _call(shop, checkout, attempt, n)
        if featured:
            world.update(call_id=call.id, checkout_token=checkout.token)
            _conversation(shop, checkout, attempt, call)
    if featured or attempt.outcome == "link_sent" or (texted and n % 2):
        _order(shop, checkout, attempt, due + timedelta(hours=2), holdout=False, channel=attempt.channel)


def _call(shop: Shop, checkout: Checkout, attempt: ContactAttempt, n: int) -> Call:
    answered = attempt.outcome != "no_answer"
    featured = n == 0
    due = attempt.dispatched_at
    call = Call(shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, sid=f"CA{n:032d}",
                status="completed" if answered else "no-answer", phone=checkout.phone,
                phone_hash=checkout.phone_hash, language="en", answered_by="human" if answered else None,
                duration_seconds=(84 if featured else 41) if answered else None, outcome=attempt.outcome,
                objection="shipping" if featured else None, created_at=due,
                ended_at=due + timedelta(minutes=2),
                answered_at=due + timedelta(seconds=8) if answered else None, reported=True,
                recording_sid=RECORDING_SID if featured else None,
                recording_duration_seconds=27 if featured else None)
    db.session.add(call)
    db.session.flush()
    return call


def _conversation(shop: Shop, checkout: Checkout, attempt: ContactAttempt, call: Call) -> None:
    """The featured call's transcript, and the texts that followed it."""
    due = attempt.dispatched_at
    for seq, (role, text) in enumerate(TRANSCRIPT):
        db.session.add(CallTurn(call_id=call.id, seq=seq, role=role, text=text,
                                at=due + timedelta(seconds=10 + 12 * seq)))
    for offset, (direction, kind, body) in enumerate(THREAD):
        db.session.add(Message(
            shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, call_id=call.id,
            direction=direction, kind=kind, phone=checkout.phone, phone_hash=checkout.phone_hash, body=body,
            status="received" if direction == "inbound" else "delivered", sid=f"SM{call.id:030d}{offset:02d}",
            created_at=due + timedelta(minutes=3 + 4 * offset)))


def _text(shop: Shop, checkout: Checkout, attempt: ContactAttempt, *, failed: bool) -> None:
    db.session.add(Message(
        shop_id=shop.id, checkout_id=checkout.id, attempt_id=attempt.id, direction="outbound",
        kind="recovery", phone=checkout.phone, phone_hash=checkout.phone_hash, body=RECOVERY_TEXT,
        status="undelivered" if failed else "delivered", error_code="30007" if failed else None,
        sid=f"SM{checkout.id:032d}", created_at=attempt.dispatched_at))


def _order(shop, checkout, attempt, at, *, holdout: bool, channel: str | None = None) -> None:
    order = Order(shop_id=shop.id, shopify_id=10_000 + checkout.id, checkout_token=checkout.token,
                  total_price=checkout.shop_total_price, currency="USD", ordered_at=at,
                  checkout_id=checkout.id, match_kind="checkout_token")
    db.session.add(order)
    db.session.flush()
    checkout.completed_at = at
    db.session.add(Recovery(shop_id=shop.id, checkout_id=checkout.id, order_id=order.id,
                            attempt_id=attempt.id if attempt else None, channel=None if holdout else channel,
                            match_kind="checkout_token", holdout=holdout, touched_at=at - timedelta(hours=2),
                            ordered_at=at, revenue=checkout.shop_total_price, currency="USD"))


# -- one run of the browser over every page ------------------------------------------------------------

@pytest.fixture(scope="module")
def report(base_url, sandbox_app, tmp_path_factory) -> dict:
    _, world = sandbox_app
    node = shutil.which("node")
    missing = [what for what, ok in (("node", node), (f"Chromium at {CHROMIUM}", Path(CHROMIUM).exists()),
                                     ("extensions/node_modules (npm ci in extensions/)",
                                      (NODE_MODULES / "playwright-core").exists() and
                                      (NODE_MODULES / "axe-core").exists())) if not ok]
    if missing:
        pytest.fail("the browser tests need " + ", ".join(missing))
    artifacts = tmp_path_factory.mktemp("screenshots")
    env = {**os.environ, "RINGBACK_BASE_URL": base_url, "RINGBACK_ARTIFACTS": str(artifacts),
           "CHROMIUM_PATH": CHROMIUM, "RINGBACK_CALL_ID": str(world["call_id"]),
           "RINGBACK_CHECKOUT_TOKEN": world["checkout_token"]}
    if os.environ.get("RINGBACK_UPDATE_SCREENSHOTS") == "1":
        env["RINGBACK_SCREENSHOTS"] = str(SCREENSHOTS)
    run = subprocess.run(["node", str(DRIVER)], env=env, capture_output=True, text=True, timeout=480,
                         cwd=ROOT, check=False)
    print(run.stdout)
    report_file = artifacts / "report.json"
    if run.returncode != 0 or not report_file.exists():
        pytest.fail(f"the browser driver failed ({run.returncode}):\n{run.stdout[-3000:]}\n"
                    f"{run.stderr[-3000:]}")
    data = json.loads(report_file.read_text())
    data["artifacts"] = str(artifacts)
    return data


def _page(report: dict, name: str) -> dict:
    return report["pages"][name]


# -- the behaviours -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_each_page_loads_with_seeded_data(report, name):
    page = _page(report, name)
    assert page["status"] == 200
    assert page["loaded"], page
    assert page["navigation"] == ["Overview", "Activity", "Settings", "Compliance", "Setup guide"]
    assert not page["error_states"], page["error_states"]


def test_overview_shows_funnel_revenue_channels_and_lift(report):
    overview = _page(report, "overview")["checks"]
    assert [step for step, _ in overview["funnel"]] == ["abandoned", "consented", "contacted", "reached",
                                                        "recovered"]
    assert overview["funnel"][0][1] == str(CHECKOUTS)
    assert overview["revenue"].startswith("$") and overview["revenue"] != "$0.00"
    assert {"Call", "Text"} <= set(overview["channels"])
    assert "percentage points" in overview["lift"] and "CI" in overview["lift"]


def test_the_chart_draws(report):
    chart = _page(report, "overview")["checks"]["chart"]
    assert chart["width"] > 200 and chart["height"] >= 200
    assert chart["painted_pixels"] > 500


def test_the_date_range_reloads_the_overview(report):
    reload = report["interactions"]["date_range"]
    assert reload["requested"].startswith("/api/overview?from=")
    assert reload["from"] in reload["requested"]


def test_a_checkout_row_opens_its_detail_and_filters_narrow_the_list(report):
    activity = report["interactions"]["activity"]
    assert activity["opened"].startswith("/checkouts/")
    assert activity["filtered_statuses"] and set(activity["filtered_statuses"]) == {"Recovered"}


def test_the_transcript_renders_in_order(report):
    call = _page(report, "call")["checks"]
    assert [(turn["role"], turn["text"]) for turn in call["transcript"]] == TRANSCRIPT
    agent = {turn["left"] for turn in call["transcript"] if turn["role"] == "agent"}
    shopper = {turn["right"] for turn in call["transcript"] if turn["role"] == "shopper"}
    assert max(agent) < max(shopper), "the assistant speaks on the left, the shopper on the right"


def test_the_recording_plays_from_the_authorised_endpoint(report):
    recording = _page(report, "call")["checks"]["recording"]
    assert recording["src"].startswith("blob:")
    assert recording["requested"] == f"/api/calls/{report['call_id']}/recording"
    assert recording["ready"], recording


def test_the_sms_thread_reads_as_a_conversation(report):
    thread = _page(report, "checkout")["checks"]["thread"]
    assert [(turn["side"], turn["text"]) for turn in thread] == [
        ("left" if direction == "outbound" else "right", body) for direction, _, body in THREAD]


def test_settings_save_round_trip_and_field_errors(report):
    settings = report["interactions"]["settings"]
    assert settings["save_bar_shown_when_dirty"]
    error = settings["field_error"]
    assert error["text"] == "Must be between 5 and 1440"
    assert error["red"], error["color"]
    assert 0 <= error["gap_below_input"] < 40, "the error sits right under its field"
    assert settings["nothing_saved_on_error"] == 30
    assert settings["saved_value_after_reload"] == "45"
    assert settings["api_value"] == 45
    assert not settings["save_bar_shown_after_save"]


def test_settings_show_every_setting_grouped_with_a_live_sms_preview(report):
    settings = report["interactions"]["settings"]
    from app.shops.settings import FIELDS

    assert set(settings["settings_on_page"]) == set(FIELDS)
    assert settings["groups"][:6] == ["When to contact", "Channels", "The assistant", "Discounts",
                                      "SMS templates", "Measuring results"]
    preview = settings["preview"]
    assert "your cart is waiting" in preview["body"] and "segment" in preview["segments"]
    assert settings["discarded"]


def test_compliance_shows_a_new_data_request_and_exports(report):
    compliance = report["interactions"]["compliance"]
    assert compliance["banner_before"] and not compliance["banner_after_download"]
    assert compliance["data_request_file"] == "data-request.json" or compliance["data_request_file"].endswith(
        ".json")
    assert compliance["csv_file"].endswith(".csv") and compliance["csv_head"].startswith("id,recorded_at")
    assert compliance["suppressions"] == 2 and compliance["restrictions"] == 1


def test_setup_guide_checks_each_step(report):
    steps = _page(report, "setup")["checks"]["steps"]
    assert [step["id"] for step in steps] == ["twilio", "consent_block", "test_call"]
    assert all(step["done"] for step in steps)


def test_the_overview_shows_the_setup_guide_until_setup_is_done(report):
    banner = report["interactions"]["setup_banner"]
    assert banner["visible"] and "2 of 3 steps left" in banner["text"]
    assert "Add the consent block" in banner["text"] and banner["link"] == "/setup"
    assert not _page(report, "overview")["checks"]["setup_banner"], "a shop that is set up does not see it"


def test_no_console_errors(report):
    errors = {name: page["console_errors"] + page["page_errors"] for name, page in report["pages"].items()}
    assert errors == {name: [] for name in report["pages"]}
    assert report["interaction_errors"] == []


def test_no_critical_axe_violations(report):
    critical = {name: page["axe"]["critical"] for name, page in report["pages"].items()}
    assert critical == {name: [] for name in report["pages"]}


def test_pages_render_offline(report):
    assert report["external_requests"] == []


def test_layouts_work_at_phone_width(report):
    """375 px wide (Shopify mobile): nothing wider than the screen; at desktop width neither."""
    overflow = {name: (page["overflow"], page["phone"]["overflow"]) for name, page in report["pages"].items()}
    assert overflow == {name: (0, 0) for name in report["pages"]}
    # The overview's tables fit the phone without scrolling sideways (the channel table becomes cards).
    assert report["pages"]["overview"]["phone"]["scrolled"] == 0


def test_web_vitals_are_measured(report, capsys):
    with capsys.disabled():
        print()
        for name, page in report["pages"].items():
            print(f"  {name:<11} LCP {page['vitals']['lcp']:7.0f} ms   CLS {page['vitals']['cls']:.4f}")
    assert all(page["vitals"]["lcp"] > 0 for page in report["pages"].values())


def test_screenshots_are_kept(report):
    for name in PAGES:
        assert (Path(report["artifacts"]) / f"{name}.png").stat().st_size > 10_000
        assert (Path(report["artifacts"]) / f"{name}-phone.png").exists()
