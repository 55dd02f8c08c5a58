"""gunicorn settings for Ringback's web tier (README: "Running the web tier for throughput").

gunicorn reads this file when started from the repository root (`gunicorn 'app:create_app()'`);
flags on its command line override it.
"""

import os
import sys

# Threaded workers: webhook intake hands each delivery to its process's group commit (one INSERT and
# one commit for all the deliveries in flight) and waits for it; requests waiting on the disk let
# the other threads work, and the more requests a process holds, the more share each commit.
worker_class = "gthread"
# One process per core (two at least, so one can restart while the other serves): Python runs one
# thread at a time per process, so a process keeps about one core busy. Eight threads each: the
# requests a process holds wait on PostgreSQL or Redis most of the time, and the more deliveries wait
# together, the more share one INSERT and one commit. Measured with bench/webhook_ingest.py on 2
# cores: 2 x 8 answered as many deliveries a second as 4 x 4, with a lower p99 (README).
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, os.cpu_count() or 1))
# Each thread may hold one database connection (other routes), the intake's flusher one more: 9,
# within SQLAlchemy's default pool of 5 + 10 overflow per process.
threads = int(os.environ.get("WEB_THREADS") or 8)
# Shopify reuses connections; keep them open a little longer than gunicorn's default 2 s.
keepalive = 5


def worker_exit(server, worker):
    """A worker stopping (restart, deploy): the workers hear of every delivery it stored, and its
    intake gives back its database connection, rather than leave those to the sweeper."""
    intake = sys.modules.get("app.shopify.webhooks.intake")  # loaded with Ringback's app, if it is
    app = getattr(worker, "wsgi", None)
    if intake is not None and app is not None:
        intake.close(app)
