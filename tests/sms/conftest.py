"""SMS fixtures: the voice ones (the app served over HTTP, Twilio played by the simulator)."""

from tests.voice.conftest import (  # noqa: F401 - fixtures shared with the voice tests
    app,
    clock,
    deliver,
    run_due,
    served,
    twilio,
)
