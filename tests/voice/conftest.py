"""Voice fixtures: the app served over HTTP with Twilio played by the simulator, through real
signatures both ways, and the recovery fixtures (clock, shop, webhooks, sweeps)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.voice.models import Call
from sandbox.twilio_sim import TwilioSimulator
from tests.conftest import _flush_queue, _truncate_all
from tests.recovery.conftest import (  # noqa: F401 - fixtures shared with the recovery tests
    NY_PHONE,
    SHOP_DOMAIN,
    T0,
    checkout_payload,
    clock,
    deliver,
    make_shop,
    run_due,
)

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
FROM_NUMBER = "+14155550100"
APP_URL = "https://ringback.test"


def twilio_config(sim: TwilioSimulator, **extra) -> dict:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE_URL": sim.base_url,
            # Tests place calls back to back; pacing has its own tests.
            "TWILIO_CALLS_PER_SECOND": 1000.0, "TWILIO_HTTP_TIMEOUT_SECONDS": 2.0, **extra}


@pytest.fixture
def twilio() -> Iterator[TwilioSimulator]:
    sim = TwilioSimulator(ACCOUNT_SID, AUTH_TOKEN).start()
    yield sim
    sim.wait_idle(timeout=10, raise_on_timeout=False)
    sim.stop()


@pytest.fixture
def app(make_app, twilio):
    application = make_app(**twilio_config(twilio))
    with application.app_context():
        yield application
        _truncate_all()
        _flush_queue(application)


@pytest.fixture
def served(twilio, live_server) -> TwilioSimulator:
    """The simulator delivering Twilio's requests to the app served over HTTP."""
    twilio.route_app(APP_URL, live_server)
    return twilio


def the_call() -> Call:
    db.session.commit()  # a fresh snapshot (SQLite keeps one per transaction)
    return db.session.execute(select(Call).order_by(Call.id.desc())).scalars().first()
