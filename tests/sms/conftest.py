"""SMS fixtures: the voice ones (the app served over HTTP, Twilio played by the simulator)."""

import pytest

from tests.voice.conftest import (  # noqa: F401 - fixtures shared with the voice tests
    app,
    clock,
    deliver,
    run_due,
    served,
    twilio,
)


@pytest.fixture
def unheard(twilio):  # noqa: F811 - the fixture imported above
    """Twilio's callbacks go nowhere (a closed port): only the message list can tell what happened."""
    from tests.voice.conftest import APP_URL

    twilio.route_app(APP_URL, "http://127.0.0.1:9")
    return twilio
