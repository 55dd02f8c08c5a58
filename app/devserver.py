"""`make run`: the web app plus one RQ worker (with scheduler); in sandbox mode, the simulators too.

Ctrl-C stops everything it started.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

from app import config as app_config

log = logging.getLogger("ringback.dev")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM (e.g. from a supervisor or `timeout`) stops everything, like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = app_config.load()
    env = dict(os.environ)
    simulator = None
    if settings.SANDBOX:
        from app.sandbox_mode import DEMO_SHOP
        from sandbox.bootstrap import DEMO_SHOP_DETAILS
        from sandbox.shopify_sim import ShopifySimulator

        simulator = ShopifySimulator(settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET).start()
        simulator.add_shop(DEMO_SHOP, **DEMO_SHOP_DETAILS)
        env["SHOPIFY_ADMIN_URL_TEMPLATE"] = simulator.url_template
        os.environ["SHOPIFY_ADMIN_URL_TEMPLATE"] = simulator.url_template

    from app import create_app

    app = create_app()
    if simulator is not None:
        from sandbox.bootstrap import install_demo_shop

        with app.app_context():
            install_demo_shop()
        print(f"Sandbox: demo shop installed; Shopify simulator at {simulator.base_url}", flush=True)

    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], env=env)
    print(f"Ringback on http://127.0.0.1:{settings.PORT}/ (Ctrl-C stops)", flush=True)
    try:
        app.run(host="127.0.0.1", port=settings.PORT, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
        if simulator is not None:
            simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
