"""Scheduling lateness of Ringback's contact jobs on real Redis and real RQ, against a bare RQ job.

    .venv/bin/python bench/scheduling_lateness.py [--n 10000] [--workers 2] [--db postgresql|sqlite]
                                                  [--sender call|record]

N contacts (consenting checkouts, one due attempt each) are scheduled with `enqueue_at` for the same
instant, W worker processes (RQ SimpleWorker + its scheduler, as `flask worker` runs them) deliver
them through the real contact job (policy re-check, row locks, dispatch). With `--sender call` (the
default) the job hands each attempt to the real call sender (`app.voice.dialer.place_call`), which
dials the Twilio simulator running in this process; lateness = the moment the dial request reaches
the simulator minus the attempt's scheduled time. With `--sender record` a stand-in sender only
notes when it was called. The baseline schedules N jobs that do nothing the same way on the same
workers; lateness = RQ's `started_at` minus the scheduled time. Everything lives in its own database
and its own Redis queues, removed at the end.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from phonenumbers.timezone import time_zones_for_number  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Local hours the bench's shoppers must be in for the whole run: well inside any legal window.
SAFE_HOURS = (10, 18)
# Numbers per region (4 digits appended), with the shipping address that goes with them.
REGIONS = (
    ("+1212555", "US", "NY"), ("+1310555", "US", "CA"), ("+1808555", "US", "HI"),
    ("+44207946", "GB", None), ("+3314268", "FR", None), ("+8131234", "JP", None),
    ("+6129876", "AU", None), ("+9111234", "IN", None),
)
SEED_BATCH = 500
POLL_SECONDS = 0.5
# A run that makes no progress for this long is stuck (a worker wedged, calls failing): give up.
STALL_SECONDS = 120
# The simulated Twilio account; calls are paced far above the bench's rate so that pacing (a real
# limit, measured elsewhere) does not hide the contact job's own cost.
TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM = "AC" + "b" * 32, "bench-token", "+12125550100"
CALLS_PER_SECOND = 100_000
# Nothing serves APP_URL in the bench: the simulator's callbacks go to a closed port and fail at once.
CLOSED_PORT_URL = "http://127.0.0.1:9"


def main() -> int:
    args = _arguments()
    # A SIGTERM ends the run through the `finally` blocks: workers stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    queue = f"ringback-bench-{uuid.uuid4().hex[:8]}"
    with (tempfile.TemporaryDirectory(prefix="ringback-bench-") as instance,
          _database(args.db, instance) as url):
        config = _config(url, instance, queue)
        region = _region_in_daytime()
        print(f"{args.n} contacts due at once, {args.workers} workers, {args.db}, sender {args.sender}, "
              f"shoppers in {region[1]}{'/' + region[2] if region[2] else ''}")
        baseline = _baseline_run(config, f"{queue}-baseline", args)
        started = time.perf_counter()
        ringback = _ringback_run(config, queue, region, args)
        print(f"ringback run: {len(ringback)} contacts in {time.perf_counter() - started:.1f} s")
        _report(baseline, ringback, args.sender)
        _clean_redis(config, (queue, f"{queue}-baseline"))
    return 0


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="contacts due at once (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (default 2)")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--sender", choices=("call", "record"), default="call",
                        help="call: the real call sender against the Twilio simulator (default); "
                             "record: a stand-in that only notes when it was called")
    args = parser.parse_args()
    if not 1 <= args.n <= 10_000:
        parser.error("--n must be 1..10000 (one distinct phone number per contact)")
    if args.db == "sqlite" and args.workers > 1:
        # SQLite has one writer: two workers' deferred transactions fail at once with "database is
        # locked" (the sweeper would re-queue those jobs, but lateness would then measure that).
        print("sqlite: one worker process (SQLite allows a single writer)")
        args.workers = 1
    return args


# -- environment ----------------------------------------------------------------------------------

class _database:
    """A scratch database of the bench's own, migrated to head and dropped afterwards."""

    def __init__(self, kind: str, instance: str):
        self.kind, self.instance, self.name = kind, instance, f"ringback_bench_{uuid.uuid4().hex[:10]}"

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.instance) / 'bench.db'}"
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return sa.engine.make_url(PG_ADMIN_URL).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        if self.kind == "postgresql":
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _config(url: str, instance: str, queue: str) -> dict:
    return {"APP_ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": instance, "REDIS_URL": REDIS_URL,
            "RINGBACK_QUEUE": queue, "SECRET_KEY": uuid.uuid4().hex, "SHOPIFY_API_KEY": "bench",
            "SHOPIFY_API_SECRET": uuid.uuid4().hex, "APP_URL": "https://ringback.bench",
            "RINGBACK_ENCRYPTION_KEYS": Fernet.generate_key().decode()}


def _app(config: dict, queue: str | None = None):
    from app import create_app

    return create_app({**config, "RINGBACK_QUEUE": queue or config["RINGBACK_QUEUE"]})


def _region_in_daytime() -> tuple[str, str, str | None]:
    """A region whose every time zone stays inside SAFE_HOURS for the next half hour."""
    now = datetime.now(UTC)
    for prefix, country, province in REGIONS:
        zones = time_zones_for_number(phonenumbers.parse(prefix + "0123"))
        if all(SAFE_HOURS[0] <= (now + dt).astimezone(ZoneInfo(z)).hour < SAFE_HOURS[1]
               for z in zones for dt in (timedelta(0), timedelta(minutes=30))):
            return prefix, country, province
    raise SystemExit("no bench region is in daytime right now; extend REGIONS")


# -- the two runs ---------------------------------------------------------------------------------

def _baseline_run(config: dict, queue: str, args) -> list[float]:
    """N bare jobs scheduled for one instant; lateness from RQ's own `started_at`."""
    from rq.job import Job

    from app import jobs

    app = _app(config, queue)
    with app.app_context():
        due = _due(args.n)
        q = jobs.queue()
        for i in range(args.n):
            q.enqueue_at(due, "os.getpid", job_id=jobs.qualified(f"noop-{i}"), result_ttl=3600)
        ids = [jobs.qualified(f"noop-{i}") for i in range(args.n)]
        _work(config, queue, args.workers, lambda: q.finished_job_registry.count, args.n)
        started = [job.started_at for job in Job.fetch_many(ids, connection=jobs.redis())]
    return [(s.replace(tzinfo=UTC) - due).total_seconds() for s in started]


def _ringback_run(config: dict, queue: str, region, args) -> list[float]:
    """N consenting checkouts with a due attempt, delivered by the real contact job."""
    if args.sender == "call":
        return _call_run(config, queue, region, args)
    from app import jobs

    key = _lateness_key(queue)
    with _app(config).app_context():
        _prepare(region, args.n)
        _work(config, queue, args.workers, lambda: jobs.redis().llen(key), args.n, sender="record")
        return [float(v) for v in jobs.redis().lrange(key, 0, -1)]


def _call_run(config: dict, queue: str, region, args) -> list[float]:
    """The same, through the real call sender dialing the Twilio simulator (served in this process,
    reached by the workers over HTTP); lateness = when the dial request reached it − scheduled."""
    from sandbox.twilio_sim import TwilioSimulator

    sim = TwilioSimulator(TWILIO_SID, TWILIO_TOKEN)
    sim.default_persona = "no_answer"  # every call ends at once, unanswered
    sim.route_app(config["APP_URL"], CLOSED_PORT_URL)
    config = {**config, "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
              "TWILIO_FROM_NUMBER": TWILIO_FROM, "TWILIO_API_BASE_URL": sim.base_url,
              "TWILIO_CALLS_PER_SECOND": CALLS_PER_SECOND}
    try:
        with _app(config).app_context():
            due = _prepare(region, args.n)
            # The simulator serves only once the workers are forked: no thread of it is copied there.
            _work(config, queue, args.workers, lambda: len(sim.calls), args.n, sender="call",
                  started=sim.start)
        calls = list(sim.calls.values())
    finally:
        sim.stop()
    return [(call.date_created - due).total_seconds() for call in calls]


def _prepare(region, n: int) -> datetime:
    """Migrate, seed n consenting checkouts and queue their attempts for one instant; returns it."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.recovery import scheduler

    upgrade()
    seeded = time.perf_counter()
    _seed(region, n, datetime.now(UTC))
    print(f"seeded {n} checkouts with consent in {time.perf_counter() - seeded:.1f} s")
    # A live database has planner statistics (autovacuum analyses a table after this many inserts,
    # within its next round); a just-seeded one would plan the first minute on empty tables.
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    due = _due(n)
    for item in _schedule_all(due):
        scheduler.enqueue(item)
    db.session.commit()  # no transaction left open in the parent while the workers run
    db.engine.dispose()  # the workers are forked: they must not share pooled connections
    return due


def _seed(region, n: int, now: datetime) -> None:
    """A shop and n consenting checkouts, each with one planned call (its time is set later)."""
    from app.consent.ledger import record_from_webhook
    from app.crypto import lookup_hash
    from app.extensions import db
    from app.recovery.models import Checkout, ContactAttempt
    from app.shops.models import Shop, ShopSettings

    prefix, country, province = region
    shop = Shop(domain="bench.myshopify.com", name="Bench", installed_at=now - timedelta(days=1))
    shop.settings = ShopSettings(values={"holdout_percent": 0})
    db.session.add(shop)
    db.session.commit()
    updated = now - timedelta(hours=2)
    for start in range(0, n, SEED_BATCH):
        for i in range(start, min(n, start + SEED_BATCH)):
            phone, token = f"{prefix}{i:04d}", f"bench-{i}"
            record_from_webhook(shop, "checkouts/create", _consent_payload(token, phone, country, updated),
                                delivery_id=None, received_at=updated)
            # As intake stores them: the keyed hash is what the contact job locks and counts by.
            checkout = Checkout(shop_id=shop.id, token=token, phone=phone, phone_hash=lookup_hash(phone),
                                total_price=100, line_items=[],
                                country_code=country, province_code=province, holdout=False,
                                shopify_created_at=updated, shopify_updated_at=updated)
            checkout.attempts.append(ContactAttempt(shop_id=shop.id, seq=1, channel="call",
                                                    scheduled_at=now))
            db.session.add(checkout)
        db.session.commit()


def _schedule_all(due: datetime):
    """Every seeded attempt falls due at `due`; returns what to queue."""
    from app.extensions import db
    from app.recovery import scheduler
    from app.recovery.models import ContactAttempt

    db.session.execute(sa.update(ContactAttempt).values(scheduled_at=due))
    db.session.commit()
    rows = db.session.execute(sa.select(ContactAttempt.id, ContactAttempt.checkout_id)).all()
    return [scheduler.Queued(attempt_id, f"contact-{checkout_id}-1", due) for attempt_id, checkout_id in rows]


def _consent_payload(token: str, phone: str, country: str, at: datetime) -> dict:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {"token": token, "phone": phone, "shipping_address": {"country_code": country},
            "updated_at": stamp, "note_attributes": [
                {"name": "ringback_consent", "value": "yes"},
                {"name": "ringback_consent_text", "value": "Bench may call me."},
                {"name": "ringback_consent_at", "value": stamp}]}


def _due(n: int) -> datetime:
    """A whole second (RQ schedules in whole seconds) far enough ahead to queue n jobs before it."""
    lead = timedelta(seconds=5 + n * 0.002)
    return (datetime.now(UTC) + lead).replace(microsecond=0)


def _lateness_key(queue: str) -> str:
    return f"{queue}:bench-lateness"


# -- workers --------------------------------------------------------------------------------------

def _work(config: dict, queue: str, workers: int, progress, n: int, *, sender: str | None = None,
          started=None) -> None:
    """Run `workers` worker processes until `progress()` reaches n (or nothing moves for a while)."""
    ctx = multiprocessing.get_context("fork")
    processes = [ctx.Process(target=_worker, args=(config, queue, sender)) for _ in range(workers)]
    for process in processes:
        process.start()
    if started is not None:
        started()
    try:
        last, moved = -1, time.monotonic()
        while (done := progress()) < n:
            if not any(p.is_alive() for p in processes):
                raise SystemExit("all workers died")
            if done != last:
                last, moved = done, time.monotonic()
            elif time.monotonic() - moved > STALL_SECONDS:
                raise SystemExit(f"stuck at {done} of {n} for {STALL_SECONDS} s")
            time.sleep(POLL_SECONDS)
    finally:
        for process in processes:
            os.kill(process.pid, signal.SIGTERM)  # RQ's warm shutdown
        for process in processes:
            process.join(30)


def _worker(config: dict, queue: str, sender: str | None) -> None:
    """One `flask worker`: an RQ SimpleWorker with its scheduler, inside the app context."""
    from rq import SimpleWorker

    from app import jobs

    app = _app(config, queue)
    logging.getLogger("app").setLevel(logging.WARNING)  # no line per call placed: warnings only
    with app.app_context():
        if sender == "record":
            _register_bench_sender(_lateness_key(queue))
        worker = SimpleWorker([jobs.queue()], connection=jobs.redis())
        worker.work(with_scheduler=True, logging_level="WARNING")


def _register_bench_sender(key: str) -> None:
    """Channel senders that only record when they were called (nobody is contacted)."""
    from app import jobs
    from app.recovery import channels

    def record(attempt) -> None:
        late = time.time() - attempt.scheduled_at.timestamp()
        jobs.redis().rpush(key, f"{late:.6f}")

    channels.CHANNELS[channels.CALL] = record
    channels.CHANNELS[channels.SMS] = record


# -- report ---------------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _report(baseline: list[float], ringback: list[float], sender: str) -> None:
    print(f"\n{'scheduling lateness (s)':<28}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'n':>8}")
    name = "ringback: job + call" if sender == "call" else "ringback: contact job"
    rows = (("baseline: bare RQ job", baseline), (name, ringback))
    for name, values in rows:
        cells = "".join(f"{_percentile(values, q):>9.3f}" for q in (50, 95, 99, 100))
        print(f"{name:<28}{cells}{len(values):>8}")
    ratios = "".join(f"{_ratio(ringback, baseline, q):>9}" for q in (50, 95, 99, 100))
    print(f"{'ratio ringback / baseline':<28}{ratios}")


def _ratio(values: list[float], base: list[float], q: float) -> str:
    denominator = _percentile(base, q)
    return f"{_percentile(values, q) / denominator:.1f}x" if denominator > 0 else "n/a"


def _clean_redis(config: dict, queues) -> None:
    from app import jobs

    with _app(config).app_context():
        conn = jobs.redis()
        for queue in queues:
            keys = list(conn.scan_iter(f"*{queue}*"))
            if keys:
                conn.delete(*keys)


if __name__ == "__main__":
    sys.exit(main())
