"""`make run`: the web app plus one RQ worker (with scheduler); in sandbox mode, the simulators too.

Ctrl-C stops everything it started. The worker waits out a missing Redis by itself; should it exit
all the same, the dev server says so and stops everything with exit status 1, rather than serve on
as if background jobs ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading

from redis.exceptions import RedisError

from app import config as app_config

log = logging.getLogger("ringback.dev")

# How often the dev server looks whether its worker is still running.
WATCH_SECONDS = 0.5
# How long a worker may take to finish its job and stop before it is killed.
WORKER_STOP_SECONDS = 10
# The sandbox's caller id (a number reserved for fiction); its Twilio is the local simulator.
SANDBOX_FROM_NUMBER = "+15555550100"
# Where the app takes inbound texts (contract "HTTP surface"): simulated shoppers text back there.
SMS_INCOMING_PATH = "/twilio/sms/incoming"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM (e.g. from a supervisor or `timeout`) stops everything, like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        settings = app_config.load()
    except app_config.ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    env = dict(os.environ)
    simulators = _start_simulators(settings, env) if settings.SANDBOX else {}

    from app import create_app, keys

    app = create_app()
    with app.app_context():
        if not keys.lookup_key_matches():
            print(f"Error: {keys.CHANGED}", file=sys.stderr)
            _stop(simulators)
            return 1
    if simulators:
        from app.sandbox_mode import TWILIO_SIMULATOR
        from sandbox.bootstrap import install_demo_shop

        app.extensions[TWILIO_SIMULATOR] = simulators["twilio"]
        with app.app_context():
            install_demo_shop()
        print(f"Sandbox: demo shop installed; Shopify simulator at {simulators['shopify'].base_url}, "
              f"Twilio simulator at {simulators['twilio'].base_url}", flush=True)

    _warn_if_redis_is_unreachable(app)
    # A process group of its own, stopped as one: a worker that dies leaves its scheduler running.
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], env=env,
                              process_group=0)
    watch = _WorkerWatch(worker)
    watch.start()
    print(f"Ringback on http://127.0.0.1:{settings.PORT}/ (Ctrl-C stops)", flush=True)
    try:
        app.run(host="127.0.0.1", port=settings.PORT, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        watch.stop()
        _stop_worker(worker)
        _stop(simulators)
    return 0 if watch.exit_status is None else 1


def _start_simulators(settings, env: dict[str, str]) -> dict:
    """Shopify and Twilio played locally; both processes (web and worker) are pointed at them."""
    from app.sandbox_mode import DEMO_SHOP
    from sandbox.bootstrap import DEMO_SHOP_DETAILS
    from sandbox.shopify_sim import ShopifySimulator

    shopify = ShopifySimulator(settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET).start()
    shopify.add_shop(DEMO_SHOP, **DEMO_SHOP_DETAILS)
    twilio = twilio_simulator(settings).start()
    overrides = {
        "SHOPIFY_ADMIN_URL_TEMPLATE": shopify.url_template,
        "TWILIO_API_BASE_URL": twilio.base_url,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": SANDBOX_FROM_NUMBER,
    }
    env.update(overrides)
    os.environ.update(overrides)
    return {"shopify": shopify, "twilio": twilio}


def twilio_simulator(settings):
    """The sandbox's Twilio (not started), with fresh credentials; its shoppers text back to the app."""
    import secrets

    from sandbox.twilio_sim import TwilioSimulator

    return TwilioSimulator("AC" + secrets.token_hex(16), secrets.token_hex(16),
                           sms_url=settings.APP_URL.rstrip("/") + SMS_INCOMING_PATH)


def _stop(simulators: dict) -> None:
    for simulator in simulators.values():
        simulator.stop()


def _warn_if_redis_is_unreachable(app) -> None:
    """Say up front when Redis is unreachable: the web app then serves without background jobs."""
    from app import jobs
    from app.cli import redis_unreachable

    with app.app_context():
        try:
            jobs.redis().ping()
        except RedisError as exc:
            print(f"Warning: {redis_unreachable(type(exc).__name__)}. The web app serves, but no "
                  "background job runs until Redis is up; the worker keeps retrying. Start Redis, "
                  "or set REDIS_URL.", file=sys.stderr, flush=True)


def _stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM to the worker and its scheduler; SIGKILL when they take too long."""
    _signal_group(worker, signal.SIGTERM)
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(worker, signal.SIGKILL)
        worker.wait()


def _signal_group(worker: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signum)


class _WorkerWatch(threading.Thread):
    """Notices the worker exiting on its own, says so, and interrupts the dev server."""

    def __init__(self, worker: subprocess.Popen):
        super().__init__(name="ringback-worker-watch", daemon=True)
        self.worker = worker
        self.exit_status: int | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            status = self.worker.poll()
            # Checked again: a worker that exits because we are stopping it is no news.
            if status is not None and not self._stopping.is_set():
                self.exit_status = status
                print(_stopped_worker_message(status), file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)  # the main thread's KeyboardInterrupt
                return

    def stop(self) -> None:
        self._stopping.set()


def _stopped_worker_message(status: int) -> str:
    return (f"Error: the worker stopped ({_how_it_ended(status)}), so no background job (webhook "
            "processing, contacts) can run; stopping the web app too. See the worker's output above "
            "for why, fix it, and run `make run` again.")


def _how_it_ended(status: int) -> str:
    if status >= 0:
        return f"exit status {status}"
    try:
        return f"killed by {signal.Signals(-status).name}"
    except ValueError:
        return f"killed by signal {-status}"


if __name__ == "__main__":
    sys.exit(main())
