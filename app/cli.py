"""Flask CLI commands: worker, webhook replay, and the sandbox."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from app import jobs
from app.jobs.periodic import Ticker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is due, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker with its scheduler inside the app context."""
    app = current_app._get_current_object()
    # SimpleWorker runs jobs in this process: the app context and the SQLAlchemy pool stay valid
    # (a forked work horse would share pooled connections with its parent).
    worker = SimpleWorker([jobs.queue()], connection=jobs.redis())
    ticker = None
    if not burst:
        ticker = Ticker(app)
        ticker.start()
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        if ticker:
            ticker.stop()


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


def register_commands(app) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(webhooks_group)
    from app.sandbox_mode import sandbox_group

    app.cli.add_command(sandbox_group)
