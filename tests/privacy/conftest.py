"""Privacy fixtures: the app with Twilio played by the simulator (deletions land there), and the
recovery fixtures (clock, shop, signed webhooks, job runs)."""

from __future__ import annotations

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
from tests.voice.conftest import (  # noqa: F401 - fixtures shared with the voice tests
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    app,
    served,
    twilio,
    twilio_config,
)
