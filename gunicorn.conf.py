"""gunicorn settings for Ringback's web tier (README: "Running the web tier for throughput").

gunicorn reads this file when started from the repository root (`gunicorn 'app:create_app()'`);
flags on its command line override it.
"""

import os

# Threaded workers: webhook intake hands each delivery to its process's group commit (one INSERT and
# one commit for all the deliveries in flight) and waits for it; requests waiting on the disk let
# the other threads work, and the more requests a process holds, the more share each commit.
worker_class = "gthread"
# Two processes per core: Python runs one thread at a time per process, so a second process keeps
# the core busy while the first waits for PostgreSQL or Redis.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
# Threads per process. Each may hold one database connection (other routes); with the intake's
# flusher that stays within SQLAlchemy's default pool of 5 + 10 overflow per process.
threads = 4
# Shopify reuses connections; keep them open a little longer than gunicorn's default 2 s.
keepalive = 5
