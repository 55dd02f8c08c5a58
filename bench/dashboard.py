"""The merchant's dashboard reads at size: overview, activity and calls for a shop with 1,000,000 checkouts.

    .venv/bin/python bench/dashboard.py [--checkouts 1000000] [--calls 200000] [--requests 200]
                                        [--warmup 5] [--budget 60] [--experiment-requests 50]
                                        [--no-experiments] [--plans] [--keep] [--reuse DATABASE]

A scratch PostgreSQL database (migrated) gets, in SQL (`generate_series`, one session, no parallel
workers), the measured shop with `--checkouts` checkouts over 24 months and `--calls` calls, and two
other shops with a tenth as much each, their rows interleaved by time: consent statements, contact
attempts (every status, realistic outcomes), calls and their turns, texts, orders, recoveries (outreach
and holdout conversions), do-not-contact entries. Then `VACUUM (ANALYZE)`.

Ringback's web tier runs under gunicorn (2 sync workers, as the other benches) and each endpoint is
timed over HTTP with a valid session token for the measured shop, sequentially, after a warm-up, in
interleaved rounds (A B C … A B C …). Prints n, p50, p95, max per endpoint and the goal verdict
(p95 < 100 ms, printed, not asserted). For each endpoint that misses, the app is built in process
to capture its SQL (a `before_cursor_execute` listener), and the slowest statement is explained
(`EXPLAIN (ANALYZE, BUFFERS)`, with JIT as configured and with `SET jit = off`). Then, unless
`--no-experiments`, the missed endpoints are measured again with JIT off for the database, and with
each candidate index of `CANDIDATE_INDEXES` created on the bench database (never in a migration).
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from cryptography.fernet import Fernet
from voice_turn import _percentile  # also puts the checkout (ROOT) on sys.path, for `sandbox` and `app`
from webhook_ingest import (
    API_KEY,
    API_SECRET,
    PG_ADMIN_URL,
    ROOT,
    _admin,
    _bin,
    _environment,
    _flush_queue,
    _free_port,
    _gunicorn,
    _wait_for,
)

from sandbox.shopify_sim import mint_id_token

# The goal from the issue ("Must show"): every dashboard read under 100 ms at the 95th percentile.
GOAL_P95_MS = 100.0
SHOP = "bench-dashboard.myshopify.com"
SHOP_ZONE = "America/New_York"
# Two other shops, each with this share of the measured shop's rows.
OTHER_SHOPS = ("bench-other-1.myshopify.com", "bench-other-2.myshopify.com")
OTHER_SHARE = 0.1
HISTORY_DAYS = 730
# Requests an endpoint keeps getting past its time budget, so that its p95 means something.
MIN_SAMPLES = 20
DEEP_PAGES = 20
CALLS_PAGE = 50
PREFIX_CHARS = 4
PAGE_SIZE = 50  # the API's default per_page
TOKEN_TTL = 600
# Checkouts listed as changed for the overview's second measurement (see _measure_pending).
PENDING = 5_000

# -- the seeded data: shares and outcomes ----------------------------------------------------------------
# Per checkout (independent draws, so the mix is the same in every month and every shop):
CONSENT_CALL_SMS = 0.58       # the checkout extension's "call or text me", ticked
CONSENT_SMS_ONLY = 0.07       # Shopify's native SMS marketing box only (never grants calls)
REFUSED_LATER = 0.06          # of the consenting: a later "no" at the same checkout
DECLINED_BOX = 0.10           # of the others: a recorded "no" (the box shown and refused)
HOLDOUT = 0.10                # of the eligible: the default holdout_percent
OWN_ORDER_EARLY = 0.06        # ordered before any contact (the attempt is canceled)
OWN_ORDER_LATE = 0.04         # ordered well after the attribution window
REPEAT_SHOPPERS = 0.25        # checkouts by returning shoppers (same number and e-mail address) ...
REPEAT_POOL = 0.05            # ... drawn from this share of the shop's shoppers
ERASED = 0.003                # customers/redact received a month later
SKIPPED, AWAITING, HANDOFF_FAILED = 0.30, 0.05, 0.01   # the first attempt's fate, else a contact
SCHEDULED_MINUTES, IN_FLIGHT_MINUTES = 40, 45          # the newest checkouts: planned, then dialing
FIRST_CONTACT_MINUTES = 30    # first_contact_delay_minutes
CALL_OUTCOMES = (("no_answer", 0.30), ("voicemail", 0.20), ("busy", 0.05), ("failed", 0.03),
                 ("declined", 0.12), ("link_sent", 0.12), ("completed", 0.08), ("discount_sent", 0.04),
                 ("callback_scheduled", 0.02), ("transferred", 0.01), ("opted_out", 0.02),
                 ("wrong_number", 0.005), ("already_purchased", 0.005))
UNANSWERED = ("no_answer", "voicemail", "busy", "failed")
CONVERSATIONS = ("declined", "link_sent", "completed", "discount_sent", "callback_scheduled", "transferred")
SHORT_CONVERSATIONS = ("opted_out", "wrong_number", "already_purchased")
SKIP_REASONS = (("outside_window", 0.40), ("newer_checkout", 0.25), ("state_cap", 0.20),
                ("suppressed", 0.10), ("no_window", 0.05))
UNDELIVERED_TEXTS = 0.05
FOLLOW_UP_TEXT = 0.30         # after an unanswered call, a text a day later
RETRY_TEXT = 0.50             # after an undelivered text
DELIVERY_REPORTED = 0.92      # of the texts handed off: the carrier said delivered (else just sent)
REPLIES = 0.08                # texts answered by the shopper; of these, STOP:
STOP_REPLIES = 0.30
# Share of contacted checkouts that order within the window, by how the first contact went.
RECOVERY_RATES = {"link_sent": 0.35, "discount_sent": 0.40, "completed": 0.30, "callback_scheduled": 0.25,
                  "transferred": 0.30, "declined": 0.04, "unanswered": 0.04, "text": 0.09}
HOLDOUT_CONVERSION = 0.06
# Checkouts whose first attempt is a contact that may be a call (the rest of them are texts), with a
# margin for chance: the most --calls can ask for.
CALLABLE_SHARE = round(0.95 * CONSENT_CALL_SMS * (1 - REFUSED_LATER) * (1 - HOLDOUT) * (1 - OWN_ORDER_EARLY)
                       * (1 - SKIPPED - AWAITING - HANDOFF_FAILED), 2)
TURNS = {**dict.fromkeys(CONVERSATIONS, 6), **dict.fromkeys(SHORT_CONVERSATIONS, 4), "voicemail": 1}

# The seeded tables, in the order the counts are printed.
TABLES = ("checkouts", "consent_events", "contact_attempts", "calls", "call_turns", "messages", "orders",
          "recoveries", "suppressions")

# -- experiments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An index to try on the bench database for the endpoints it is meant for (never a migration)."""

    label: str                     # the column it gets in the summary
    name: str
    ddl: str
    table: str
    endpoints: tuple[str, ...]
    why: str


# What the plans of the missed endpoints point at (see bench/README.md, "dashboard.py"), tried in this
# order, each added to the ones before it.
CANDIDATE_INDEXES = (
    Candidate("+checkouts", "ix_bench_checkouts_shop_started",
              "CREATE INDEX ix_bench_checkouts_shop_started ON checkouts (shop_id, shopify_created_at)",
              "checkouts", ("overview", "overview_year"),
              "the overview's cohort (checkouts started in the range) has no index: a sequential scan of "
              "every shop's checkouts; both arms of its OR (Shopify's time, else created_at when that is "
              "NULL) can use this one index (a BitmapOr)"),
    Candidate("+messages", "ix_bench_messages_delivered",
              "CREATE INDEX ix_bench_messages_delivered ON messages (shop_id, attempt_id) "
              "WHERE status = 'delivered'",
              "messages", ("overview", "overview_year"),
              "the overview's `delivered` subquery groups every delivered text of the shop, whatever the "
              "range (a GROUP BY subquery cannot take the join's attempt ids), through "
              "ix_messages_attempt_id and the heap; this makes it an index-only scan"),
    Candidate("+recoveries", "ix_bench_recoveries_shop_ordered",
              "CREATE INDEX ix_bench_recoveries_shop_ordered ON recoveries (shop_id, ordered_at)",
              "recoveries", ("revenue", "revenue_year"),
              "the revenue series reads the shop's recoveries by shop_id and filters the range; expected "
              "to help little: its SQL is ~10 ms, the rest is Python (below)"),
)


@dataclass
class Endpoint:
    key: str                       # what CANDIDATE_INDEXES name it by
    name: str
    path: str
    check: Callable[[dict], str]   # what the answer says, in a few words; raises when it is wrong
    timings: list[float] = field(default_factory=list)
    answer: str = ""

    def fresh(self) -> Endpoint:
        return Endpoint(self.key, self.name, self.path, self.check)

    @property
    def spent(self) -> float:
        return sum(self.timings)


@dataclass
class Server:
    process: subprocess.Popen
    port: int


def main() -> int:
    args = _arguments()
    database = args.reuse or f"ringback_bench_{uuid.uuid4().hex[:10]}"
    queue = f"ringback-bench-{uuid.uuid4().hex[:8]}"
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    scratch = Path(tempfile.mkdtemp(prefix="ringback-bench-"))
    env = _environment(db_url, queue, scratch)
    engine = sa.create_engine(db_url)
    server: Server | None = None
    try:
        if args.reuse:
            env["RINGBACK_ENCRYPTION_KEYS"] = _scalar(engine, "SELECT key FROM bench_meta")
            print(f"reusing {database} (seeded by an earlier run; its key kept in bench_meta)")
        else:
            _admin(PG_ADMIN_URL, f'CREATE DATABASE "{database}"')
            subprocess.run([_bin("flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            _seed_all(engine, env, args)
        _print_counts(engine)
        shop_id = _scalar(engine, f"SELECT id FROM shops WHERE domain = '{SHOP}'")
        print(f"PostgreSQL: {_settings(engine)}; load average before measuring: {_load()}")

        server = _serve(env)
        endpoints = _endpoints(engine, server.port, shop_id)
        print("paths: " + "; ".join(f"{e.name}: {e.path}" for e in endpoints))
        _measure(server.port, endpoints, args.requests, args.warmup, args.budget)
        print(f"load average after measuring: {_load()}")
        missed = _report("baseline (as migrated)", endpoints)
        _measure_pending(engine, env, server.port, endpoints, shop_id, args)

        inspector = Inspector(env)
        captures = {endpoint.key: inspector.capture(endpoint) for endpoint in endpoints}
        _print_statements(captures, endpoints)
        explain = sa.create_engine(db_url)
        for endpoint in missed:
            _explain(explain, endpoint.name, captures[endpoint.key].slowest, args.plans)
        if missed and not args.no_experiments:
            server = _experiments(engine, explain, inspector, env, database, server, missed, args)
        inspector.dispose()
        explain.dispose()
        return 0
    finally:
        if server is not None:
            _stop(server)
        engine.dispose()
        _flush_queue(queue)
        if args.keep or args.reuse:
            if not args.reuse:
                _store_key(db_url, env)
            print(f"kept database {database} (drop it with: DROP DATABASE \"{database}\")")
        else:
            _admin(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=1_000_000, help="checkouts of the measured shop")
    parser.add_argument("--calls", type=int, default=200_000, help="calls of the measured shop")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per endpoint first")
    parser.add_argument("--budget", type=float, default=60.0,
                        help=f"seconds of requests per endpoint; past it an endpoint stops at "
                             f"{MIN_SAMPLES} requests or more")
    parser.add_argument("--experiment-requests", type=int, default=50,
                        help="timed requests per missed endpoint in each experiment")
    parser.add_argument("--no-experiments", action="store_true", help="skip the JIT and index experiments")
    parser.add_argument("--plans", action="store_true", help="print the full plan of each missed endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database (see --reuse)")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a database kept by --keep; no seeding")
    args = parser.parse_args()
    if args.checkouts < 10_000:
        parser.error("--checkouts must be at least 10000")
    if not 1_000 <= args.calls <= args.checkouts * CALLABLE_SHARE:
        parser.error(f"--calls must be between 1000 and {CALLABLE_SHARE:.0%} of --checkouts (the first "
                     "contacts of checkouts consenting to calls)")
    if args.requests < MIN_SAMPLES:
        parser.error(f"--requests must be at least {MIN_SAMPLES}")
    return args


# -- seeding -------------------------------------------------------------------------------------------------

LINE_ITEMS = [{"title": f"Item {i}", "quantity": 1, "price": "29.00", "product_id": 7000 + i,
               "variant_id": 8000 + i, "sku": f"SKU-{i}"} for i in range(3)]


def _seed_all(engine, env: dict[str, str], args) -> None:
    """Every table in one session, in SQL: a plan of every checkout's story (temporary tables), then
    each table from it in time order, so that the shops' rows interleave on disk as they would."""
    started = time.monotonic()
    tokens = _tokens(env)
    end = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    sizes = [(SHOP, args.checkouts, args.calls)] + [
        (domain, round(args.checkouts * OTHER_SHARE), round(args.calls * OTHER_SHARE))
        for domain in OTHER_SHOPS]
    steps: list[tuple[str, float]] = []
    with engine.begin() as conn:
        # Foreign-key triggers off (consistent by construction), one process, temp tables in memory.
        for setting in ("session_replication_role = replica", "max_parallel_workers_per_gather = 0",
                        "temp_buffers = '1GB'", "work_mem = '256MB'", "synchronous_commit = off"):
            conn.execute(sa.text(f"SET LOCAL {setting}"))
        shops = [(_create_shop(conn, domain, tokens, end), f"s{i}", n, calls)
                 for i, (domain, n, calls) in enumerate(sizes)]
        values = ", ".join(f"({shop_id}, '{tag}', {n}, {calls})" for shop_id, tag, n, calls in shops)
        for label, statements in _seed_statements(values):
            step = time.monotonic()
            for sql in statements:
                conn.execute(sa.text(sql), {**tokens, "end": end})
            steps.append((label, time.monotonic() - step))
        available = conn.execute(sa.text(
            f"SELECT count(*) FROM bench_calls WHERE shop_id = {shops[0][0]}")).scalar()
        if available < args.calls:
            print(f"warning: only {available} first contacts could be calls; --calls asked for {args.calls}")
    sql_seconds = time.monotonic() - started
    _refresh_funnels(engine, env)
    vacuum = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE, PARALLEL 0)"))
    print(f"seeded in {time.monotonic() - started:.1f} s: SQL {sql_seconds:.1f} s (one session), then "
          f"VACUUM (ANALYZE) {time.monotonic() - vacuum:.1f} s (a live database is vacuumed and analyzed; "
          "index-only scans need the visibility map)")
    print("  seed steps: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in steps))


def _refresh_funnels(engine, env: dict[str, str]) -> None:
    """The seed bypasses triggers (replica role): list every checkout, as migration 0010 lists the rows
    it finds, and store their funnels as an operator would after migrating (`flask refresh-funnels`)."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO funnel_changes (checkout_id) SELECT id FROM checkouts "
                             "ON CONFLICT DO NOTHING"))
    started = time.monotonic()
    result = subprocess.run([_bin("flask"), "--app", "app", "refresh-funnels"], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    seconds = time.monotonic() - started
    rows = _scalar(engine, "SELECT count(*) FROM checkout_funnels")
    print(f"funnels: `flask refresh-funnels` {result.stdout.strip()}; {seconds:.1f} s with the command's "
          f"start, {rows / seconds:,.0f} checkouts/s")


def _tokens(env: dict[str, str]) -> dict[str, str]:
    """Real Fernet tokens under the bench's key, made once and reused by every encrypted column."""
    fernet = Fernet(env["RINGBACK_ENCRYPTION_KEYS"].split(",")[0])

    def token(text: str) -> str:
        return fernet.encrypt(text.encode()).decode()

    return {"tok_phone": token("+12125550123"), "tok_email": token("shopper@example.com"),
            "tok_name": token("Bench"), "tok_code": token("BENCH-10-OFF"),
            "tok_url": token(f"https://{SHOP}/checkouts/c/0123456789abcdef/recover?key=0123456789abcdef"),
            "tok_items": token(json.dumps(LINE_ITEMS, separators=(",", ":"), sort_keys=True)),
            "tok_text": token("Hi, this is Bench calling about the cart you left. Is now a good time?")}


def _create_shop(conn, domain: str, tokens: dict[str, str], end: datetime) -> int:
    installed = end - timedelta(days=HISTORY_DAYS + 1)
    shop_id = conn.execute(sa.text(
        "INSERT INTO shops (domain, name, iana_timezone, currency, scopes, installed_at, created_at, "
        "updated_at) VALUES (:domain, 'Bench', :zone, 'USD', 'read_orders,write_discounts', :at, :at, :at) "
        "RETURNING id"),
        {"domain": domain, "zone": SHOP_ZONE, "at": installed}).scalar_one()
    # Settings as a new merchant leaves them: every default (holdout_percent 10 among them).
    conn.execute(sa.text("INSERT INTO shop_settings (shop_id, values, updated_at) "
                         "VALUES (:shop, CAST('{}' AS json), :at)"), {"shop": shop_id, "at": installed})
    conn.execute(sa.text("INSERT INTO shop_tokens (shop_id, access_token, scope, updated_at) "
                         "VALUES (:shop, :tok, 'read_orders,write_discounts', :at)"),
                 {"shop": shop_id, "tok": tokens["tok_name"], "at": installed})
    return shop_id


def _pick(draw: str, choices: Sequence[tuple[str, float]]) -> str:
    """A CASE choosing among `choices` (value, share) by a uniform draw in [0, 1)."""
    parts, bound = [], 0.0
    for value, share in choices[:-1]:
        bound += share
        parts.append(f"WHEN {draw} < {bound:.4f} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END"


def _sql_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _seed_statements(values: str) -> list[tuple[str, list[str]]]:
    """(label, statements) in order. Only our own constants are formatted in; tokens and `end` are bound."""
    end = "CAST(:end AS timestamp)"
    consenting = CONSENT_CALL_SMS + CONSENT_SMS_ONLY
    contacts = "('dispatched', 'dispatch_failed', 'contacted')"
    rates = " ".join(f"WHEN outcome1 = '{outcome}' THEN {rate}" for outcome, rate in RECOVERY_RATES.items()
                     if outcome not in ("unanswered", "text"))
    turns = " ".join(f"WHEN '{outcome}' THEN {n - 1}" for outcome, n in TURNS.items())
    # One row per checkout: who, when, what they agreed to, and how the first (and any second) contact,
    # the order and the erasure went. Random draws stay with the row, so every table agrees.
    plan = f"""
        CREATE TEMP TABLE bench_co ON COMMIT DROP AS
        WITH plan AS (
            SELECT s.shop_id, s.tag, s.n, s.calls AS call_target, g AS k,
                   {end} - make_interval(secs => (s.n - g + random()) * {HISTORY_DAYS * 86400} / s.n) AS t,
                   random() AS r_shopper, random() AS r_consent, random() AS r_refuse, random() AS r_holdout,
                   random() AS r_own, random() AS r_fate, random() AS r_call, random() AS r_outcome,
                   random() AS r_next, random() AS r_next_outcome, random() AS r_recover,
                   random() AS r_delay, random() AS r_price, random() AS r_msg, random() AS r_misc
            FROM (VALUES {values}) AS s(shop_id, tag, n, calls)
            CROSS JOIN LATERAL generate_series(1, s.n) AS g
        ), decided AS (
            SELECT plan.*,
                   CASE WHEN r_shopper < {REPEAT_SHOPPERS}
                        THEN 1 + floor(r_shopper / {REPEAT_SHOPPERS} * n * {REPEAT_POOL})
                        ELSE k END AS shopper,
                   CASE WHEN r_consent < {CONSENT_CALL_SMS} THEN 'call,sms'
                        WHEN r_consent < {consenting} THEN 'sms' END AS consent,
                   r_consent < {consenting} AND r_refuse < {REFUSED_LATER} AS refused,
                   r_consent >= {consenting} AND r_refuse < {DECLINED_BOX} AS declined_box,
                   CASE WHEN r_consent < {consenting} AND r_refuse >= {REFUSED_LATER}
                        THEN r_holdout < {HOLDOUT} END AS holdout,
                   r_own < {OWN_ORDER_EARLY} AS own_early,
                   r_own >= {OWN_ORDER_EARLY} AND r_own < {OWN_ORDER_EARLY + OWN_ORDER_LATE} AS own_late,
                   CASE WHEN r_consent >= {consenting} THEN NULL
                        WHEN t > {end} - make_interval(mins => {SCHEDULED_MINUTES}) THEN 'scheduled'
                        WHEN r_refuse < {REFUSED_LATER} THEN 'canceled_refused'
                        WHEN r_holdout < {HOLDOUT} THEN 'withheld'
                        WHEN r_own < {OWN_ORDER_EARLY} THEN 'canceled_completed'
                        WHEN r_fate < {SKIPPED} THEN 'skipped'
                        WHEN r_fate < {SKIPPED + AWAITING} THEN 'awaiting_channel'
                        WHEN r_fate < {SKIPPED + AWAITING + HANDOFF_FAILED} THEN 'dispatch_failed'
                        WHEN t > {end} - make_interval(mins => {IN_FLIGHT_MINUTES}) THEN 'dispatched'
                        ELSE 'contacted' END AS fate
            FROM plan
        ), ranked AS (
            -- Exactly `calls` of the contacts that may be calls are calls; the rest are texts.
            SELECT decided.*,
                   CASE WHEN consent = 'call,sms' AND fate IN ('contacted', 'dispatched')
                        THEN row_number() OVER (PARTITION BY shop_id,
                                                consent = 'call,sms' AND fate IN ('contacted', 'dispatched')
                                                ORDER BY r_call) END AS call_rank
            FROM decided
        ), channeled AS (
            SELECT ranked.*,
                   CASE WHEN consent = 'sms' OR call_rank > call_target THEN 'sms'
                        WHEN consent IS NOT NULL THEN 'call' END AS channel1
            FROM ranked
        ), attempted AS (
            SELECT channeled.*,
                   CASE fate WHEN 'canceled_refused' THEN 'canceled' WHEN 'canceled_completed' THEN 'canceled'
                             WHEN 'dispatch_failed' THEN 'completed' WHEN 'contacted' THEN 'completed'
                             ELSE fate END AS status1,
                   CASE WHEN fate = 'dispatch_failed' THEN 'dispatch_failed'
                        WHEN fate = 'contacted' AND channel1 = 'call' THEN {_pick('r_outcome', CALL_OUTCOMES)}
                        WHEN fate = 'contacted'
                        THEN CASE WHEN r_outcome < {UNDELIVERED_TEXTS} THEN 'undelivered' ELSE 'sent' END
                   END AS outcome1,
                   CASE fate WHEN 'canceled_refused' THEN 'no_consent'
                             WHEN 'canceled_completed' THEN 'completed'
                             WHEN 'withheld' THEN 'holdout'
                             WHEN 'skipped' THEN {_pick('r_outcome', SKIP_REASONS)} END AS reason1,
                   t + make_interval(mins => {FIRST_CONTACT_MINUTES}) AS sched1
            FROM channeled
        ), timed AS (
            SELECT attempted.*,
                   CASE WHEN fate IN {contacts} THEN sched1 + make_interval(secs => 5) END AS disp1,
                   CASE WHEN fate IN ('dispatch_failed', 'contacted')
                        THEN sched1 + make_interval(secs => 35 + r_delay * 200)
                        WHEN fate NOT IN ('scheduled', 'dispatched') THEN sched1 END AS fin1,
                   channel1 = 'call' AND outcome1 IN {_sql_list(UNANSWERED)} AS unanswered1
            FROM attempted
        ), followed AS (
            SELECT timed.*,
                   fate = 'contacted' AND ((unanswered1 AND r_next < {FOLLOW_UP_TEXT})
                                           OR (outcome1 = 'undelivered' AND r_next < {RETRY_TEXT})) AS has2,
                   fin1 + make_interval(days => 1) AS sched2,
                   CASE WHEN fate = 'withheld' THEN {HOLDOUT_CONVERSION} WHEN fate <> 'contacted' THEN 0
                        {rates} WHEN unanswered1 THEN {RECOVERY_RATES['unanswered']}
                        WHEN outcome1 = 'sent' THEN {RECOVERY_RATES['text']} ELSE 0 END AS rec_rate,
                   coalesce(fin1, sched1) + make_interval(secs => r_delay * 172800) AS rec_at
            FROM timed
        )
        SELECT CAST(row_number() OVER (ORDER BY t, shop_id, k) AS int) AS id, followed.*,
               md5(tag || '-checkout-' || k) AS token,
               encode(sha256(convert_to(tag || '-phone-' || shopper, 'UTF8')), 'hex') AS phone_hash,
               encode(sha256(convert_to(tag || '-email-' || shopper, 'UTF8')), 'hex') AS email_hash,
               round(CAST(20 + r_price * 230 AS numeric), 2) AS total,
               CASE WHEN has2 AND sched2 > {end} THEN 'scheduled' WHEN has2 THEN 'completed' END AS status2,
               CASE WHEN has2 AND sched2 <= {end}
                    THEN CASE WHEN r_next_outcome < {UNDELIVERED_TEXTS} THEN 'undelivered' ELSE 'sent' END
               END AS outcome2,
               r_recover < rec_rate AND rec_at <= {end} AS recovered,
               CASE WHEN r_recover < rec_rate AND rec_at <= {end} THEN rec_at
                    WHEN own_early AND t + make_interval(mins => 15) <= {end}
                    THEN t + make_interval(mins => 15)
                    WHEN own_late AND t + make_interval(days => 10, secs => r_delay * 432000) <= {end}
                    THEN t + make_interval(days => 10, secs => r_delay * 432000) END AS completed_at,
               CASE WHEN r_misc < {ERASED} AND t + make_interval(days => 31) <= {end}
                    THEN t + make_interval(days => 30) END AS erased_at
        FROM followed"""
    live = "erased_at IS NULL"
    checkouts = f"""
        INSERT INTO checkouts (id, shop_id, token, cart_token, shopify_id, email, phone, first_name,
                               last_name, email_hash, phone_hash, recovery_url, line_items, currency,
                               presentment_currency, subtotal_price, total_price, shop_total_price,
                               customer_locale, country_code, province_code, shopify_created_at,
                               shopify_updated_at, completed_at, holdout, erased_at, created_at, updated_at)
        SELECT id, shop_id, token, md5(tag || '-cart-' || k), 5000000000 + id,
               CASE WHEN {live} THEN :tok_email END, CASE WHEN {live} THEN :tok_phone END,
               CASE WHEN {live} THEN :tok_name END, CASE WHEN {live} THEN :tok_name END,
               CASE WHEN {live} THEN email_hash END, CASE WHEN {live} THEN phone_hash END,
               CASE WHEN {live} THEN :tok_url END, :tok_items, 'USD', 'USD', total, total, total, 'en-US',
               'US', 'NY', t, t + make_interval(mins => 2), completed_at, holdout, erased_at,
               t + make_interval(secs => 3),
               greatest(t + make_interval(mins => 2), fin1, completed_at, erased_at)
        FROM bench_co ORDER BY id"""
    consent = """
        INSERT INTO consent_events (id, shop_id, checkout_token, checkout_id, topic, source, channels,
                                    granted, wording, consented_at, consented_at_source, phone_e164,
                                    phone_hash, phone_status, email_hash, webhook_delivery_id, recorded_at)
        SELECT n, shop_id, token, 5000000000 + checkout, topic, source, channels, granted,
               'Bench may call or text me about this cart.', at,
               CASE WHEN source = 'shopify_sms_marketing' THEN 'checkout' ELSE 'attribute' END,
               :tok_phone, phone_hash, 'valid', email_hash, n, at + make_interval(secs => 1)
        FROM (SELECT CAST(row_number() OVER (ORDER BY at, checkout, statement) AS int) AS n, e.*
              FROM (SELECT id AS checkout, 1 AS statement, shop_id, token, phone_hash, email_hash,
                           t + make_interval(secs => 20) AS at, 'checkouts/create' AS topic,
                           CASE WHEN consent = 'sms' THEN 'shopify_sms_marketing'
                                ELSE 'checkout_extension' END AS source, consent AS channels, true AS granted
                    FROM bench_co WHERE consent IS NOT NULL
                    UNION ALL  -- a later "no" at the same checkout
                    SELECT id, 2, shop_id, token, phone_hash, email_hash, t + make_interval(mins => 10),
                           'checkouts/update', 'checkout_extension', 'call,sms', false
                    FROM bench_co WHERE refused
                    UNION ALL  -- the box shown and left unticked
                    SELECT id, 1, shop_id, token, phone_hash, email_hash, t + make_interval(secs => 20),
                           'checkouts/create', 'checkout_extension', 'call,sms', false
                    FROM bench_co WHERE declined_box) AS e) AS numbered
        ORDER BY n"""
    attempts_plan = """
        CREATE TEMP TABLE bench_att ON COMMIT DROP AS
        SELECT CAST(row_number() OVER (ORDER BY scheduled_at, checkout_id, seq) AS int) AS id, a.*
        FROM (SELECT id AS checkout_id, shop_id, tag, phone_hash, 1 AS seq, channel1 AS channel,
                     sched1 AS scheduled_at, status1 AS status, outcome1 AS outcome, reason1 AS reason,
                     disp1 AS dispatched_at, fin1 AS finished_at, t AS created_at, r_msg, r_misc
              FROM bench_co WHERE status1 IS NOT NULL
              UNION ALL  -- a text after an unanswered call, or again after an undelivered one
              SELECT id, shop_id, tag, phone_hash, 2, 'sms', sched2, status2, outcome2, NULL,
                     CASE WHEN status2 = 'completed' THEN sched2 + make_interval(secs => 5) END,
                     CASE WHEN status2 = 'completed' THEN sched2 + make_interval(secs => 40) END, fin1,
                     r_next_outcome, r_next
              FROM bench_co WHERE has2) AS a"""
    attempts = """
        INSERT INTO contact_attempts (id, checkout_id, shop_id, seq, channel, scheduled_at, status, outcome,
                                      reason, phone, phone_hash, dispatched_at, finished_at, created_at,
                                      updated_at)
        SELECT id, checkout_id, shop_id, seq, channel, scheduled_at, status, outcome, reason,
               CASE WHEN dispatched_at IS NOT NULL THEN :tok_phone END,
               CASE WHEN dispatched_at IS NOT NULL THEN phone_hash END, dispatched_at, finished_at,
               created_at, coalesce(finished_at, dispatched_at, created_at)
        FROM bench_att ORDER BY id"""
    calls_plan = """
        CREATE TEMP TABLE bench_calls ON COMMIT DROP AS
        SELECT CAST(row_number() OVER (ORDER BY dispatched_at, id) AS int) AS call_id, a.*
        FROM bench_att AS a
        WHERE channel = 'call' AND status IN ('completed', 'dispatched')
          AND outcome IS DISTINCT FROM 'dispatch_failed'"""
    talked = _sql_list(CONVERSATIONS)
    answered = _sql_list(CONVERSATIONS + SHORT_CONVERSATIONS)
    calls = f"""
        INSERT INTO calls (id, shop_id, checkout_id, attempt_id, sid, status, phone, phone_hash, language,
                           answered_by, duration_seconds, outcome, objection, dial_tries, requested_at,
                           agent_state, discount_code, recording_sid, recording_duration_seconds, reported,
                           created_at, answered_at, ended_at, updated_at)
        SELECT call_id, shop_id, checkout_id, id, 'CA' || md5(tag || '-call-' || call_id),
               CASE WHEN status = 'dispatched' THEN 'in-progress' WHEN outcome = 'no_answer' THEN 'no-answer'
                    WHEN outcome IN ('busy', 'failed') THEN outcome ELSE 'completed' END,
               :tok_phone, phone_hash, 'en',
               CASE WHEN outcome = 'voicemail' THEN 'machine_end_beep'
                    WHEN outcome IN {answered} THEN 'human' END,
               CASE WHEN outcome IN {talked} THEN 60 + floor(r_misc * 180) WHEN outcome IN {answered} THEN 25
                    WHEN outcome = 'voicemail' THEN 30 WHEN status = 'completed' THEN 0 END,
               outcome, CASE WHEN outcome = 'declined' THEN 'price' END, 1, dispatched_at,
               CAST('{{}}' AS json),
               CASE WHEN outcome = 'discount_sent' THEN :tok_code END,
               CASE WHEN outcome IN {talked} AND r_msg < 0.3
                    THEN 'RE' || md5(tag || '-recording-' || call_id) END,
               CASE WHEN outcome IN {talked} AND r_msg < 0.3 THEN 60 + floor(r_misc * 180) END,
               status = 'completed', dispatched_at,
               CASE WHEN outcome IN {answered} OR outcome = 'voicemail'
                    THEN dispatched_at + make_interval(secs => 8) END,
               finished_at, coalesce(finished_at, dispatched_at)
        FROM bench_calls ORDER BY call_id"""
    call_turns = f"""
        INSERT INTO call_turns (id, call_id, seq, role, text, intent, at)
        SELECT CAST(row_number() OVER (ORDER BY c.call_id, s.seq) AS int), c.call_id, s.seq,
               CASE WHEN s.seq % 2 = 0 THEN 'agent' ELSE 'shopper' END, :tok_text, NULL,
               c.dispatched_at + make_interval(secs => 10 + s.seq * 12)
        FROM bench_calls AS c
        CROSS JOIN LATERAL generate_series(0, CASE c.outcome {turns} ELSE -1 END) AS s(seq)
        ORDER BY 1"""
    messages = f"""
        INSERT INTO messages (id, shop_id, checkout_id, attempt_id, call_id, direction, kind, phone,
                              phone_hash, body, sid, status, send_tries, requested_at, created_at, updated_at)
        SELECT n, shop_id, checkout_id, attempt_id, call_id, direction, kind, :tok_phone, phone_hash,
               :tok_text,               'SM' || md5(tag || '-text-' || source || '-' || ref), status,
               CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END,
               CASE WHEN direction = 'outbound' THEN at END, at, at + make_interval(secs => 5)
        FROM (SELECT CAST(row_number() OVER (ORDER BY at, source, ref) AS int) AS n, m.*
              FROM (-- the text of each text attempt handed off, with its delivery report
                    SELECT 1 AS source, id AS ref, shop_id, tag, checkout_id, id AS attempt_id,
                           CAST(NULL AS int) AS call_id, 'outbound' AS direction, 'recovery' AS kind,
                           phone_hash,                           dispatched_at AS at,
                           CASE WHEN outcome = 'undelivered' THEN 'undelivered'
                                WHEN status = 'dispatched' OR r_msg >= {DELIVERY_REPORTED} THEN 'sent'
                                ELSE 'delivered' END AS status
                    FROM bench_att
                    WHERE channel = 'sms' AND dispatched_at IS NOT NULL
                      AND outcome IS DISTINCT FROM 'dispatch_failed'
                    UNION ALL  -- the shopper's answer
                    SELECT 2, id, shop_id, tag, checkout_id, NULL, NULL, 'inbound', 'reply', phone_hash,
                           dispatched_at + make_interval(mins => 10), 'received'
                    FROM bench_att WHERE channel = 'sms' AND outcome = 'sent' AND r_misc < {REPLIES}
                    UNION ALL  -- the link or code promised on a call
                    SELECT 3, call_id, shop_id, tag, checkout_id, id, call_id, 'outbound',
                           CASE WHEN outcome = 'discount_sent' THEN 'discount' ELSE 'link' END, phone_hash,
                           finished_at, 'delivered'
                    FROM bench_calls WHERE outcome IN ('link_sent', 'discount_sent')) AS m) AS numbered
        ORDER BY n"""
    orders_plan = """
        CREATE TEMP TABLE bench_orders ON COMMIT DROP AS
        SELECT CAST(row_number() OVER (ORDER BY completed_at, id) AS int) AS order_id, bench_co.*
        FROM bench_co WHERE completed_at IS NOT NULL"""
    orders = """
        INSERT INTO orders (id, shop_id, shopify_id, checkout_token, cart_token, email_hash, phone_hash,
                            total_price, currency, ordered_at, checkout_id, match_kind, created_at)
        SELECT order_id, shop_id, 6000000000 + order_id, token, md5(tag || '-cart-' || k), email_hash,
               phone_hash, total, 'USD', completed_at, id, 'checkout_token',
               completed_at + make_interval(secs => 2)
        FROM bench_orders ORDER BY order_id"""
    recoveries = """
        INSERT INTO recoveries (id, shop_id, checkout_id, order_id, attempt_id, channel, match_kind, holdout,
                                touched_at, ordered_at, revenue, currency, created_at)
        SELECT CAST(row_number() OVER (ORDER BY o.completed_at, o.order_id) AS int), o.shop_id, o.id,
               o.order_id, CASE WHEN o.fate <> 'withheld' THEN a.id END,
               CASE WHEN o.fate <> 'withheld' THEN o.channel1 END, 'checkout_token', o.fate = 'withheld',
               coalesce(o.fin1, o.sched1), o.completed_at, o.total, 'USD',
               o.completed_at + make_interval(secs => 2)
        FROM bench_orders AS o JOIN bench_att AS a ON a.checkout_id = o.id AND a.seq = 1
        WHERE o.recovered ORDER BY 1"""
    suppressions = f"""
        INSERT INTO suppressions (shop_id, phone_hash, phone_e164, channel, reason, source, created_at)
        SELECT shop_id, phone_hash, :tok_phone, 'all', 'verbal_opt_out', 'voice', finished_at
        FROM bench_att WHERE outcome = 'opted_out'
        UNION ALL  -- STOP to the shared sender: sender-wide
        SELECT NULL, phone_hash, :tok_phone, 'all', 'stop_keyword', 'sms',
               dispatched_at + make_interval(mins => 10)
        FROM bench_att WHERE channel = 'sms' AND outcome = 'sent' AND r_misc < {REPLIES * STOP_REPLIES}
        ORDER BY 7
        ON CONFLICT DO NOTHING"""
    sequences = [f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                 for table in TABLES if table != "suppressions"]
    return [("plan", [plan, "ANALYZE bench_co"]), ("checkouts", [checkouts]), ("consent_events", [consent]),
            ("attempts plan", [attempts_plan, "ANALYZE bench_att"]), ("contact_attempts", [attempts]),
            ("calls plan", [calls_plan, "ANALYZE bench_calls"]), ("calls", [calls]),
            ("call_turns", [call_turns]), ("messages", [messages]),
            ("orders plan", [orders_plan, "ANALYZE bench_orders"]), ("orders", [orders]),
            ("recoveries", [recoveries]), ("suppressions", [suppressions]), ("sequences", sequences)]


def _store_key(db_url: str, env: dict[str, str]) -> None:
    """What --reuse needs to read the kept database: the encryption key its tokens were made with."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_meta (key text NOT NULL)"))
        conn.execute(sa.text("DELETE FROM bench_meta"))
        conn.execute(sa.text("INSERT INTO bench_meta (key) VALUES (:key)"),
                     {"key": env["RINGBACK_ENCRYPTION_KEYS"]})
    engine.dispose()


def _print_counts(engine) -> None:
    """Rows per table: the measured shop's, the other shops' (and sender-wide ones), and the table's size."""
    shop_of = {"call_turns": "(SELECT shop_id FROM calls WHERE calls.id = call_turns.call_id)"}
    print(f"{'table':<18} {'measured shop':>14} {'other shops':>12} {'no shop':>8} {'table size':>11}")
    with engine.connect() as conn:
        measured = conn.execute(sa.text(f"SELECT id FROM shops WHERE domain = '{SHOP}'")).scalar_one()
        for table in TABLES:
            shop = shop_of.get(table, "shop_id")
            mine, others, none = conn.execute(sa.text(
                f"SELECT count(*) FILTER (WHERE {shop} = {measured}), "
                f"count(*) FILTER (WHERE {shop} <> {measured}), count(*) FILTER (WHERE {shop} IS NULL) "
                f"FROM {table}")).one()
            size = conn.execute(sa.text(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")).scalar()
            print(f"{table:<18} {mine:>14,} {others:>12,} {none:>8,} {size:>11}")
        mix = conn.execute(sa.text(f"""
            SELECT count(*), count(*) FILTER (WHERE holdout),
                   count(*) FILTER (WHERE completed_at IS NOT NULL),
                   (SELECT count(*) FROM recoveries WHERE shop_id = {measured} AND NOT holdout),
                   (SELECT count(*) FROM recoveries WHERE shop_id = {measured} AND holdout),
                   (SELECT count(*) FROM contact_attempts
                    WHERE shop_id = {measured} AND status = 'scheduled'),
                   (SELECT count(*) FROM contact_attempts
                    WHERE shop_id = {measured} AND status IN ('dispatched', 'completed')),
                   min(shopify_created_at), max(shopify_created_at)
            FROM checkouts WHERE shop_id = {measured}""")).one()
    n = mix[0]
    print(f"measured shop: holdout {mix[1] / n:.1%} of checkouts, completed {mix[2] / n:.1%}, recovered by "
          f"outreach {mix[3] / n:.1%} (+ {mix[4]:,} holdout conversions), {mix[5]:,} attempts scheduled, "
          f"{mix[6]:,} contacts made; started {mix[7]:%Y-%m-%d} .. {mix[8]:%Y-%m-%d %H:%M} UTC")


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def _settings(engine) -> str:
    names = ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather", "random_page_cost")
    with engine.connect() as conn:
        return ", ".join(f"{name} {conn.execute(sa.text(f'SHOW {name}')).scalar()}" for name in names)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- serving and timing ------------------------------------------------------------------------------------


def _serve(env: dict[str, str]) -> Server:
    """Ringback's web tier as the other benches run it: gunicorn, 2 sync workers."""
    port = _free_port()
    options = argparse.Namespace(workers=2, worker_class="sync", threads=1)
    server = Server(_gunicorn("app:create_app()", port, options, env, ROOT), port)
    _wait_for(port)
    return server


def _stop(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)


def _bearer() -> dict[str, str]:
    """A fresh ID token for the measured shop, as App Bridge sends it (minted outside the timing)."""
    return {"Authorization": f"Bearer {mint_id_token(SHOP, API_KEY, API_SECRET, ttl=TOKEN_TTL)}"}


def _request(port: int, path: str) -> tuple[float, dict]:
    """One GET on a new connection (gunicorn's sync workers close each one): seconds, and the JSON."""
    headers = _bearer()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    took = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        sys.exit(f"GET {path}: {response.status} {body[:500]!r}")
    return took, json.loads(body)


def _endpoints(engine, port: int, shop_id: int) -> list[Endpoint]:
    """The reads the dashboard makes, each with a path into the seeded data and a check of its answer."""
    with engine.connect() as conn:
        token, call_id = conn.execute(sa.text(
            "SELECT checkouts.token, calls.id FROM calls JOIN checkouts ON checkouts.id = calls.checkout_id "
            f"WHERE calls.shop_id = {shop_id} AND calls.outcome = 'link_sent' "
            "ORDER BY calls.id DESC OFFSET 100 LIMIT 1")).one()
        # A token from the middle of the shop's history; its first characters are the search.
        middle = conn.execute(sa.text(
            f"SELECT token FROM checkouts WHERE shop_id = {shop_id} AND id >= "
            f"(SELECT (min(id) + max(id)) / 2 FROM checkouts WHERE shop_id = {shop_id}) "
            "ORDER BY id LIMIT 1")).scalar()
    prefix = middle[:PREFIX_CHARS]
    cursor = None
    for _ in range(DEEP_PAGES):  # the merchant scrolls: each page's next_page is the next request
        cursor = _request(port, "/api/checkouts" + (f"?page={cursor}" if cursor else ""))[1]["next_page"]
    calls_cursor = None
    for _ in range(CALLS_PAGE - 1):  # the same scroll through the calls (a cursor, or a page number)
        calls_cursor = _request(port, "/api/calls" + (f"?page={calls_cursor}" if calls_cursor else ""))[1][
            "next_page"]
    today = datetime.now(ZoneInfo(SHOP_ZONE)).date()
    year = urlencode({"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()})

    def listed(status: str | None = None, starts: str | None = None):
        def check(body: dict) -> str:
            items = body["items"]
            assert items, "an empty page"
            assert status is None or all(item["status"] == status for item in items), "a wrong status"
            assert starts is None or all(item["token"].startswith(starts) for item in items), "a wrong token"
            kinds = sorted({item["status"] for item in items})
            return f"{len(items)} checkouts ({', '.join(kinds)})" + (", more" if body["next_page"] else "")
        return check

    def overview(body: dict) -> str:
        f = body["funnel"]
        lift = body["lift"]["points"]
        return (f"abandoned {f['abandoned']:,}, consented {f['consented']:,}, contacted {f['contacted']:,}, "
                f"reached {f['reached']:,}, recovered {f['recovered']:,}; lift {lift} points")

    def revenue(body: dict) -> str:
        points = body["points"]
        return f"{sum(p['orders'] for p in points):,} orders over {len(points)} days"

    def detail(body: dict) -> str:
        assert body["calls"], "no calls"
        return (f"{body['status']}, {len(body['attempts'])} attempts, {len(body['calls'])} calls, "
                f"{body['messages']} texts")

    def calls(body: dict) -> str:
        assert body["items"], "an empty page"
        return f"{len(body['items'])} calls, page {body['page']}"

    def call(body: dict) -> str:
        assert body["transcript"], "no transcript"
        return f"{body['outcome']}, {len(body['transcript'])} turns"

    return [
        Endpoint("overview", "overview 30 d", "/api/overview", overview),
        Endpoint("overview_year", "overview 365 d", f"/api/overview?{year}", overview),
        Endpoint("revenue", "revenue 30 d", "/api/revenue", revenue),
        Endpoint("revenue_year", "revenue 365 d", f"/api/revenue?{year}", revenue),
        Endpoint("checkouts", "checkouts p1", "/api/checkouts", listed()),
        Endpoint("checkouts_deep", f"checkouts p{DEEP_PAGES + 1}", f"/api/checkouts?page={cursor}", listed()),
        Endpoint("checkouts_scheduled", "checkouts scheduled", "/api/checkouts?status=scheduled",
                 listed("scheduled")),
        Endpoint("checkouts_q", f"checkouts q={prefix}", f"/api/checkouts?q={prefix}", listed(starts=prefix)),
        Endpoint("checkout", "checkout detail", f"/api/checkouts/{token}", detail),
        Endpoint("calls", "calls p1", "/api/calls", calls),
        Endpoint("calls_deep", f"calls p{CALLS_PAGE}", f"/api/calls?page={calls_cursor}", calls),
        Endpoint("call", "call detail", f"/api/calls/{call_id}", call),
    ]


def _measure_pending(engine, env: dict[str, str], port: int, endpoints: Sequence[Endpoint], shop_id: int,
                     args) -> None:
    """The overview while the shop's newest PENDING checkouts changed since the last funnel refresh
    (a flash sale between two `funnel-refresh` runs, 5 s apart, generously): those are computed live."""
    overviews = [e.fresh() for e in endpoints if e.key in ("overview", "overview_year")]
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO funnel_changes (checkout_id) SELECT id FROM checkouts WHERE shop_id = :shop "
            f"ORDER BY id DESC LIMIT {PENDING} ON CONFLICT DO NOTHING"), {"shop": shop_id})
    _measure(port, overviews, args.requests, args.warmup, args.budget)
    _report(f"with the newest {PENDING:,} checkouts changed since the last refresh (computed live)",
            overviews)
    subprocess.run([_bin("flask"), "--app", "app", "refresh-funnels"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def _measure(port: int, endpoints: Sequence[Endpoint], requests: int, warmup: int, budget: float) -> None:
    """Warm-up, then rounds A B C … until each endpoint has `requests` timings, or has spent its budget
    (and has at least MIN_SAMPLES)."""
    for endpoint in endpoints:
        for _ in range(warmup):
            endpoint.answer = endpoint.check(_request(port, endpoint.path)[1])
    started = time.monotonic()
    for round_ in range(1, requests + 1):
        active = [e for e in endpoints
                  if len(e.timings) < MIN_SAMPLES or (len(e.timings) < requests and e.spent < budget)]
        if not active:
            break
        for endpoint in active:
            endpoint.timings.append(_request(port, endpoint.path)[0])
        if round_ % 50 == 0:
            print(f"  round {round_}: {len(active)} endpoints, {time.monotonic() - started:.0f} s",
                  flush=True)


def _report(title: str, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """The table of one measurement; returns the endpoints that miss the goal."""
    print(f"\n{title}: GET over HTTP, sequential, interleaved by round; goal p95 < {GOAL_P95_MS:.0f} ms")
    print(f"{'endpoint':<22} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  {'goal':<8} answer")
    missed = []
    for endpoint in endpoints:
        ms = [t * 1000 for t in endpoint.timings]
        p95 = _percentile(ms, 95)
        met = p95 < GOAL_P95_MS
        if not met:
            missed.append(endpoint)
        print(f"{endpoint.name:<22} {len(ms):>4} {_percentile(ms, 50):>8.1f} {p95:>8.1f} {max(ms):>8.1f}  "
              f"{'met' if met else 'NOT met':<8} {endpoint.answer}")
    return missed


# -- what the missed endpoints run -------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    parameters: object
    ms: float


@dataclass
class Capture:
    statements: list[Statement]
    ms: float

    @property
    def slowest(self) -> Statement:
        return max(self.statements, key=lambda s: s.ms)


class Inspector:
    """The app built in this process from the same environment, its SQL seen by a cursor listener."""

    def __init__(self, env: dict[str, str]):
        import os

        from sqlalchemy import event

        os.environ.update(env)  # the served app's configuration, read the same way
        from app import create_app
        from app.extensions import db

        self.app = create_app()
        self.client = self.app.test_client()
        self.current: list[Statement] = []
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        self.current.append(Statement(statement, parameters, took))

    def capture(self, endpoint: Endpoint) -> Capture:
        """One request after an untimed one (the pool's connection, the app's caches)."""
        self.client.get(endpoint.path, headers=_bearer())
        self.current = []
        started = time.perf_counter()
        response = self.client.get(endpoint.path, headers=_bearer())
        took = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"in process, GET {endpoint.path}: {response.status_code} {response.get_data()[:300]!r}")
        return Capture(list(self.current), took)

    def dispose(self) -> None:
        self.engine.dispose()


def _print_statements(captures: dict[str, Capture], endpoints: Sequence[Endpoint]) -> None:
    print("\nSQL per request (in process, one request each after an untimed one):")
    print(f"{'endpoint':<22} {'statements':>10} {'in SQL ms':>10} {'request ms':>11}  slowest statement (ms)")
    for endpoint in endpoints:
        capture = captures[endpoint.key]
        slowest = capture.slowest
        text = " ".join(slowest.sql.split())
        print(f"{endpoint.name:<22} {len(capture.statements):>10} "
              f"{sum(s.ms for s in capture.statements):>10.1f} {capture.ms:>11.1f}  "
              f"{slowest.ms:.1f}: {text[:70]}{'...' if len(text) > 70 else ''}")


def _explain(engine, name: str, statement: Statement, full: bool, label: str = "") -> dict[str, float]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement as the app sent it: with JIT as configured, then with
    `SET jit = off` in the same session. Prints a summary of each; returns their execution times."""
    text = " ".join(statement.sql.split())
    print(f"\n{name}{label}: slowest statement, {statement.ms:.1f} ms in the app: "
          f"{text[:150]}{'...' if len(text) > 150 else ''}")
    times = {}
    with engine.connect() as conn:
        for jit in ("on", "off"):
            if jit == "off":
                conn.exec_driver_sql("SET jit = off")
            [doc] = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement.sql}",
                                         statement.parameters).scalar()
            times[jit] = doc["Execution Time"]
            print(f"  jit {jit:<3}: {_summary(doc)}")
        if full:
            conn.exec_driver_sql("RESET jit")
            rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.parameters)
            print("  plan (jit as configured):\n" + "\n".join(f"    {row[0]}" for row in rows))
        conn.rollback()
    return times


def _summary(doc: dict) -> str:
    """Planning and execution time, JIT, the top node; then what usually explains a slow plan: sequential
    scans, sorts and hashes that spilled to disk, and the nodes with the most time of their own."""
    top = doc["Plan"]
    parts = [f"planning {doc['Planning Time']:.1f} ms, execution {doc['Execution Time']:.1f} ms"]
    jit = doc.get("JIT")
    if jit:
        timing = jit["Timing"]
        parts.append(f"JIT {timing['Total']:.1f} ms ({jit['Functions']} functions; "
                     + ", ".join(f"{k.lower()} {v:.0f}" for k, v in timing.items()
                                 if k != "Total" and isinstance(v, (int, float))) + ")")
    parts.append(f"top node {_node(top)} {top['Actual Total Time']:.1f} ms, rows {top['Actual Rows']:,}")
    nodes = list(_walk(top))
    scans = [f"{n['Relation Name']} ({n['Actual Rows'] * n['Actual Loops']:,} rows kept, "
             f"{n.get('Rows Removed by Filter', 0) * n['Actual Loops']:,} filtered)"
             for n, _ in nodes if n["Node Type"] == "Seq Scan"]
    if scans:
        parts.append("seq scans: " + "; ".join(scans))
    spills = [f"{n['Node Type']} {n.get('Sort Method', '')} {n.get('Sort Space Used', 0)} kB on disk".strip()
              for n, _ in nodes if n.get("Sort Space Type") == "Disk"]
    spills += [f"Hash in {n['Hash Batches']} batches" for n, _ in nodes if n.get("Hash Batches", 1) > 1]
    spills += [f"{n['Node Type']} spilled {n['Disk Usage']} kB" for n, _ in nodes if n.get("Disk Usage")]
    if spills:
        parts.append("spills: " + "; ".join(spills))
    heaviest = sorted(nodes, key=lambda item: -item[1])[:3]
    parts.append("most own time: " + "; ".join(f"{_node(n)} {own:.0f} ms" for n, own in heaviest))
    return "\n            ".join(parts)


def _node(node: dict) -> str:
    target = node.get("Index Name") or node.get("Relation Name") or node.get("CTE Name") or ""
    return f"{node['Node Type']}{' ' + node.get('Strategy', '') if node.get('Strategy') else ''}" + (
        f" on {target}" if target else "")


def _walk(node: dict, processes: int = 1):
    """(node, its own time in ms) for the node and everything under it: time per loop × loops, shared
    out over the processes of a parallel plan (below a Gather, each worker and the leader loop once)."""
    children = node.get("Plans", [])
    below_processes = processes * (node.get("Workers Launched", 0) + 1)

    def spent(n: dict, by: int) -> float:
        return n.get("Actual Total Time", 0) * n.get("Actual Loops", 1) / by

    below = sum(spent(c, below_processes) for c in children if c.get("Parent Relationship") != "InitPlan")
    yield node, max(0.0, spent(node, processes) - below)
    for child in children:
        yield from _walk(child, below_processes)


# -- experiments -------------------------------------------------------------------------------------------


def _experiments(engine, explain, inspector: Inspector, env: dict[str, str], database: str, server: Server,
                 missed: Sequence[Endpoint], args) -> Server:
    """The missed endpoints again: with JIT off for the database, then with each candidate index added
    (cumulatively), then with all of them and JIT off. Returns the server now running."""
    runs: dict[str, dict[str, tuple[float, float]]] = {"baseline": _quantiles(missed)}

    def measure(title: str, endpoints: Sequence[Endpoint]) -> None:
        fresh = [endpoint.fresh() for endpoint in endpoints]
        _measure(server.port, fresh, args.experiment_requests, 2, args.budget)
        _report(title, fresh)
        runs[title] = _quantiles(fresh)

    def restart(jit: str | None) -> Server:
        """JIT for the database's new sessions (ALTER DATABASE), taken up by a restarted server."""
        setting = f"SET jit = {jit}" if jit else "RESET jit"
        _admin(PG_ADMIN_URL, f'ALTER DATABASE "{database}" {setting}')
        _stop(server)
        return _serve(env)

    server = restart("off")
    measure("jit off", missed)
    server = restart(None)
    created: list[Candidate] = []
    for candidate in CANDIDATE_INDEXES:
        targets = [endpoint for endpoint in missed if endpoint.key in candidate.endpoints]
        if not targets:
            continue
        seconds, size = _create_index(engine, candidate)
        created.append(candidate)
        print(f"\n+ {candidate.name} ({seconds:.1f} s to build, {size}): {candidate.ddl}\n"
              f"  why: {candidate.why}")
        for endpoint in targets:
            _explain(explain, endpoint.name, inspector.capture(endpoint).slowest, False,
                     f" with {candidate.name}")
        measure(candidate.label, targets)
    if created:
        server = restart("off")
        measure("all+jit off", missed)
        server = restart(None)
    _print_runs(runs, missed, created)
    if args.keep or args.reuse:  # leave a kept database as migrated
        with engine.begin() as conn:
            for candidate in created:
                conn.execute(sa.text(f"DROP INDEX {candidate.name}"))
    return server


def _create_index(engine, candidate: Candidate) -> tuple[float, str]:
    """CREATE INDEX on the bench database (one process: no parallel build), then ANALYZE its table."""
    started = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SET max_parallel_maintenance_workers = 0"))
        conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
        conn.execute(sa.text(candidate.ddl))
        conn.execute(sa.text(f"ANALYZE {candidate.table}"))
        size = conn.execute(sa.text(f"SELECT pg_size_pretty(pg_relation_size('{candidate.name}'))")).scalar()
    return time.monotonic() - started, size


def _quantiles(endpoints: Sequence[Endpoint]) -> dict[str, tuple[float, float]]:
    quantiles = {}
    for endpoint in endpoints:
        ms = [t * 1000 for t in endpoint.timings]
        quantiles[endpoint.key] = (_percentile(ms, 50), _percentile(ms, 95))
    return quantiles


def _print_runs(runs: dict[str, dict[str, tuple[float, float]]], endpoints: Sequence[Endpoint],
                created: Sequence[Candidate]) -> None:
    print(f"\nmissed endpoints by experiment: p50 / p95 ms (goal p95 < {GOAL_P95_MS:.0f} ms). Each index "
          "column adds that index to the ones left of it (JIT as configured); all+jit off: every index, "
          "JIT off for the database")
    for candidate in created:
        print(f"  {candidate.label}: {candidate.ddl}")
    titles = list(runs)
    width = max(13, *(len(t) for t in titles))
    print(f"{'endpoint':<22} " + " ".join(f"{t:>{width}}" for t in titles))
    for endpoint in endpoints:
        cells = []
        for title in titles:
            value = runs[title].get(endpoint.key)
            cells.append(f"{value[0]:.0f} / {value[1]:.0f}" if value else "-")
        print(f"{endpoint.name:<22} " + " ".join(f"{c:>{width}}" for c in cells))


if __name__ == "__main__":
    sys.exit(main())
