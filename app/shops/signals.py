"""Shop lifecycle events; features (recovery, privacy) subscribe instead of being called directly."""

from blinker import Namespace

_signals = Namespace()

# sender: the Shop. Sent after the install is committed.
shop_installed = _signals.signal("shop-installed")
# sender: the Shop. Subscribers stop every pending outreach for it; data is kept.
shop_uninstalled = _signals.signal("shop-uninstalled")
