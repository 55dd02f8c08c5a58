"""Flask CLI commands: worker, webhook replay, privacy (Twilio deletions), key rotation, the overview's
funnels, and the sandbox."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from rq import SimpleWorker

from app import jobs, keys
from app.extensions import db
from app.jobs.periodic import Ticker

log = logging.getLogger("ringback.worker")

# Waits between attempts to reach Redis: doubling from the first up to the cap, so a worker started
# before Redis, or outliving a Redis restart, is back at work within half a minute of Redis.
RETRY_FIRST_SECONDS = 1
RETRY_MAX_SECONDS = 30
# RQ restarts a scheduler that died (it does on a Redis outage) only during its maintenance, which
# by default comes every ten minutes: scheduled contacts would wait that long after an outage.
MAINTENANCE_SECONDS = 60


class _Worker(SimpleWorker):
    """SimpleWorker that remembers being asked to stop, and backs off from Redis as we do.

    SimpleWorker runs jobs in this process: the app context and the SQLAlchemy pool stay valid
    (a forked work horse would share pooled connections with its parent).
    """

    max_connection_wait_time = RETRY_MAX_SECONDS
    stop_requested = False

    def handle_warm_shutdown_request(self) -> None:
        self.stop_requested = True
        super().handle_warm_shutdown_request()

    def perform_job(self, job, queue) -> bool:
        """Run a job, then end whatever transaction it left open: jobs share this process's session,
        and an open one would hold locks (SQLite's single write lock) until the next job."""
        try:
            return super().perform_job(job, queue)
        finally:
            db.session.remove()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is due, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker with its scheduler inside the app context, waiting out Redis outages."""
    keys.require_lookup_key()
    if burst:
        _work_burst()
    else:
        _work_until_stopped(current_app._get_current_object())


def _work_burst() -> None:
    try:
        _new_worker().work(burst=True, with_scheduler=True, logging_level="INFO")
    except RedisError as exc:
        raise click.ClickException(redis_unreachable(type(exc).__name__)) from exc


def _work_until_stopped(app) -> None:
    """Work until SIGINT or SIGTERM; whenever the worker loses Redis, say so and start anew."""
    delay = RETRY_FIRST_SECONDS
    _exit_on_stop_signals()
    while True:
        started = time.monotonic()
        worker = None
        try:
            worker = _new_worker()
            _work_with_ticker(app, worker)
            problem = "the RQ worker stopped on its own (see above)"
        except RedisError as exc:
            problem = redis_unreachable(type(exc).__name__)
        # work() left RQ's signal handlers, which belong to the worker that just ended.
        _exit_on_stop_signals()
        if worker is not None:
            if worker.stop_requested:
                return
            _abandon(worker)
        if time.monotonic() - started > RETRY_MAX_SECONDS:
            delay = RETRY_FIRST_SECONDS  # it worked for a while: a new outage, not the same one
        log.warning("%s; retrying in %ds", problem, delay)
        time.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_SECONDS)


def _new_worker() -> _Worker:
    return _Worker([jobs.queue()], connection=jobs.redis(), maintenance_interval=MAINTENANCE_SECONDS)


def _work_with_ticker(app, worker: _Worker) -> None:
    # The ticker runs only while a worker holds Redis, so an outage logs one line per attempt.
    ticker = Ticker(app)
    ticker.start()
    try:
        # Waiting for jobs, RQ rides out a lost Redis itself; elsewhere it raises or returns.
        worker.work(burst=False, with_scheduler=True, logging_level="INFO")
    finally:
        ticker.stop()


def _abandon(worker: _Worker) -> None:
    """Stop the listener thread a worker that lost Redis leaves behind (RQ's teardown could not)."""
    if worker.pubsub_thread is not None:
        worker.pubsub_thread.stop()  # it closes its own connection on its way out


def _exit_on_stop_signals() -> None:
    """Outside work(), which installs RQ's own handlers, Ctrl-C and SIGTERM end the worker at once."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_quietly)


def _exit_quietly(signum, frame) -> None:
    raise SystemExit(0)


def redis_unreachable(reason: str) -> str:
    """'Redis at host:port is unreachable (reason)': where, never the password in REDIS_URL."""
    options = jobs.redis().connection_pool.connection_kwargs
    where = options.get("path") or f"{options.get('host')}:{options.get('port')}"
    return f"Redis at {where} is unreachable ({reason})"


@click.group("webhooks")
def webhooks_group() -> None:
    """Inspect and replay stored webhook deliveries."""


@webhooks_group.command("replay")
@click.argument("delivery_ids", nargs=-1, type=int)
@with_appcontext
def replay_command(delivery_ids: tuple[int, ...]) -> None:
    """Process stored deliveries again now (failed, dead or deferred ones)."""
    from app.shopify.webhooks.processing import process_delivery

    for delivery_id in delivery_ids:
        click.echo(f"{delivery_id}: {process_delivery(delivery_id)}")


@webhooks_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Re-enqueue deliveries whose job was lost."""
    from app.shopify.webhooks.processing import sweep

    click.echo(f"re-enqueued {sweep()}")


@click.group("privacy")
def privacy_group() -> None:
    """Inspect the GDPR work: deletions still owed at Twilio."""


@privacy_group.command("deletions")
@click.option("--limit", default=50, show_default=True, help="How many stuck deletions to list.")
@with_appcontext
def deletions_command(limit: int) -> None:
    """Count the Twilio deletions by status and list the stuck ones (ids and errors, no personal data)."""
    from app.privacy import twilio_erasure

    for status, count in twilio_erasure.status_counts().items():
        click.echo(f"{status}: {count}")
    rows = twilio_erasure.stuck(limit)
    if not rows:
        return
    click.echo("stuck:")
    click.echo("id\tresource\tattempts\tlast_status\tlast_error\tnext_attempt_at")
    for row in rows:
        when = row.next_attempt_at.isoformat(timespec="seconds") if row.next_attempt_at else "-"
        click.echo(f"{row.id}\t{row.resource}\t{row.attempts}\t{row.last_status or '-'}\t"
                   f"{row.last_error or '-'}\t{when}")


@click.command("refresh-funnels")
@with_appcontext
def refresh_funnels_command() -> None:
    """Store the overview's funnel of every checkout changed since the last refresh, now (the
    `funnel-refresh` job does it every 5 s; after migrating a large database this does it at once)."""
    from app.dashboard import funnel

    started = time.monotonic()
    done = funnel.refresh()
    click.echo(f"refreshed {done} checkouts in {time.monotonic() - started:.1f} s")


@click.command("rotate-keys")
@click.option("--new-lookup-key", envvar="RINGBACK_NEW_LOOKUP_KEY", default="", metavar="KEY",
              help="Also move every lookup hash to this key (web app and workers stopped; "
                   "env RINGBACK_NEW_LOOKUP_KEY).")
@click.option("--drop-untranslatable", is_flag=True,
              help="With --new-lookup-key: delete the opt-outs whose hash cannot be translated.")
@click.option("--restart", is_flag=True, help="Ignore the progress of an interrupted run.")
@with_appcontext
def rotate_keys_command(new_lookup_key: str, drop_untranslatable: bool, restart: bool) -> None:
    """Re-encrypt stored data under the first key of RINGBACK_ENCRYPTION_KEYS (README: Rotating keys)."""
    from app.privacy import rotation

    try:
        summary = rotation.rotate_keys(new_lookup_key=new_lookup_key,
                                       drop_untranslatable=drop_untranslatable, restart=restart)
    except rotation.RotationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    for line in summary.lines():
        click.echo(line)


def register_commands(app) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(webhooks_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(rotate_keys_command)
    app.cli.add_command(refresh_funnels_command)
    from app.sandbox_mode import sandbox_group

    app.cli.add_command(sandbox_group)
