"""`shop/redact` of a large shop: how long the erasure takes, and what it does to another shop's intake.

    .venv/bin/python bench/shop_redact.py [--rows 1000000] [--seconds 15] [--runs 1] [--connections 16]
                                          [--workers 2] [--batch N] [--profile]

A scratch PostgreSQL database (migrated) gets two shops, seeded in SQL (`generate_series`): the one
to erase, with `--rows` rows across its tables, and another with a tenth of that, their rows
interleaved on disk. Ringback's web tier runs under gunicorn as in `webhook_ingest.py`, and `wrk`
posts the other shop's signed `checkouts/update` deliveries (unique webhook ids): alone for
`--seconds` (the baseline), then for exactly as long as `erase_shop` runs in a process of its own
(the app built with the same configuration, the shop marked `redact_requested_at` first), then alone
again. Prints the erasure's time, the rows it deleted per table, where its time went (SQL statements
by total time), the other shop's p50/p99 beside the baseline, and whether the goals are met (printed,
not asserted). Then checks: nothing of the erased shop is left, the other shop's rows are untouched,
every 2xx from wrk is a stored row. Needs `wrk` (as `webhook_ingest.py`: installed when run as root).
"""

from __future__ import annotations

import argparse
import json
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from webhook_ingest import (
    API_SECRET,
    PG_ADMIN_URL,
    ROOT,
    SHOP,
    WRK_SCRIPT,
    Run,
    _admin,
    _bin,
    _checkout_payload,
    _environment,
    _flush_queue,
    _free_port,
    _gunicorn,
    _load,
    _ms,
    _wait_for,
    _wrk,
)

# Goals from the issue: the erasure of a 1,000,000-row shop, and the other shop's intake meanwhile.
GOAL_SECONDS = 60.0
GOAL_P99_RATIO = 1.5
# The other shop holds this share of the erased shop's rows.
OTHER_SHARE = 0.1
# How the erased shop's rows split across its tables (sums to 1).
SHARES = {
    "checkouts": 0.14, "contact_attempts": 0.14, "calls": 0.09, "call_turns": 0.25, "messages": 0.09,
    "orders": 0.05, "consent_events": 0.14, "webhook_deliveries": 0.08, "recoveries": 0.005,
    "recovery_clicks": 0.01, "suppressions": 0.001, "sender_suppressions": 0.001, "restrictions": 0.002,
    "data_requests": 0.001,
}
# Seeded in this many slices per shop, alternating shops, so that the shops' rows interleave on disk.
SLICES = 10
T0 = "TIMESTAMP '2026-11-01 00:00:00'"
ERASE_TIMEOUT = 3600
WARMUP_SECONDS = 5

# Runs in its own process, as the erasure job would: the app built from the same environment,
# erase_shop timed inside an app context, every SQL statement timed on the engine.
ERASER = textwrap.dedent(r'''
    import cProfile, json, re, sys, time
    from collections import defaultdict

    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from app.privacy.erasure import erase_shop

    shop_id, batch, profile_path = int(sys.argv[1]), int(sys.argv[2]) or None, sys.argv[3]
    statements = defaultdict(lambda: [0, 0.0, 0.0])


    def shape(sql):
        param = r"%\(\w+\)s(?:::\w+)?"
        sql = re.sub(rf"{param}(?:, {param})*", "?", " ".join(sql.split()))
        return re.sub(r"\(\?\)(?:, \(\?\))+", "(?), ...", sql)


    app = create_app()
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            took = time.perf_counter() - conn.info["bench_started"].pop()
            entry = statements[shape(statement)]
            entry[0] += 1
            entry[1] += took
            entry[2] = max(entry[2], took)

        profiler = cProfile.Profile() if profile_path else None
        print("started", flush=True)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        counts = erase_shop(shop_id, batch=batch)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(profile_path)
    print(json.dumps({"seconds": seconds, "counts": counts, "statements": statements}), flush=True)
''')


@dataclass
class Seed:
    """One shop's seeded rows: per key, the id range it got (ids are explicit, so checks can find them)."""

    shop_id: int
    domain: str
    tag: str
    counts: dict[str, int]
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Erasure:
    """One erase_shop run: its time, its counts, its statements, and the other shop's intake meanwhile."""

    seconds: float
    counts: dict[str, int]
    statements: dict[str, list]
    load: Run | None
    load_output: str
    prefix: str


def main() -> int:
    args = _arguments()
    wrk = _wrk()
    import sqlalchemy as sa

    database = f"ringback_bench_{uuid.uuid4().hex[:10]}"
    queue = f"ringback-bench-{uuid.uuid4().hex[:8]}"
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    _admin(PG_ADMIN_URL, f'CREATE DATABASE "{database}"')
    scratch = Path(tempfile.mkdtemp(prefix="ringback-bench-"))
    env = _environment(db_url, queue, scratch)
    engine = sa.create_engine(db_url)
    server: subprocess.Popen | None = None
    ok = True
    try:
        subprocess.run([_bin("flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        tokens = _tokens(env)
        started = time.monotonic()
        other = Seed(_create_shop(engine, SHOP, tokens), SHOP, "o", _plan(args.rows * OTHER_SHARE))
        erased = _new_erased_shop(engine, tokens, args.rows, 0)
        _seed(engine, [erased, other], tokens)
        print(f"seeded in {time.monotonic() - started:.1f} s (SQL, then ANALYZE); "
              f"PostgreSQL autovacuum: {_scalar(engine, 'SHOW autovacuum')}")
        _print_counts(engine, erased, other)
        other_before = _seed_counts(engine, other)
        expected_deletions = _twilio_resources(engine, erased.shop_id)

        (scratch / "deliveries.lua").write_text(WRK_SCRIPT)
        port = _free_port()
        args.worker_class, args.threads = "sync", 1
        server = _gunicorn("app:create_app()", port, args, env, ROOT)
        _wait_for(port)
        body = json.dumps(_checkout_payload()).encode()
        signature = _sign(body)

        # Untimed: the workers' first requests (connections, caches) would land in the first baseline.
        warm = argparse.Namespace(**{**vars(args), "seconds": WARMUP_SECONDS})
        warmup = ("warmup", _load(wrk, port, warm, scratch, body, signature, "warmup"))
        baselines: list[tuple[str, Run]] = []
        erasures: list[Erasure] = []
        for run in range(args.runs):
            if run:
                started = time.monotonic()
                erased = _new_erased_shop(engine, tokens, args.rows, run)
                _seed(engine, [erased], tokens)
                expected_deletions = _twilio_resources(engine, erased.shop_id)
                print(f"run {run}: erased shop reseeded in {time.monotonic() - started:.1f} s")
            prefix = f"base{len(baselines)}"
            baselines.append((prefix, _load(wrk, port, args, scratch, body, signature, prefix)))
            _mark_redact(engine, erased.shop_id)
            erasure = _erase_under_load(wrk, port, args, scratch, env, body, signature, erased, f"erase{run}")
            erasures.append(erasure)
            _report_erasure(run, erasure, erased, args)
            ok &= _verify_erased(engine, erased, erasure, expected_deletions)
            _vacuum(engine)
        prefix = f"base{len(baselines)}"
        baselines.append((prefix, _load(wrk, port, args, scratch, body, signature, prefix)))

        ok &= _verify_other(engine, other, other_before, [warmup, *baselines], erasures, args)
        _report_intake(baselines, erasures, args)
        return 0 if ok else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        engine.dispose()
        _flush_queue(queue)
        _admin(PG_ADMIN_URL, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the erased shop")
    parser.add_argument("--seconds", type=int, default=15, help="length of each baseline wrk run")
    parser.add_argument("--runs", type=int, default=1, help="erasure runs (the shop reseeded between)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--batch", type=int, default=0, help="erase_shop batch (0: SHOP_BATCH)")
    parser.add_argument("--profile", action="store_true", help="run erase_shop under cProfile")
    args = parser.parse_args()
    if args.rows < 10_000:
        parser.error("--rows must be at least 10000")
    return args


def _sign(body: bytes) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()


# -- seeding ---------------------------------------------------------------------------------------

def _plan(rows: float) -> dict[str, int]:
    return {key: max(1, round(rows * share)) for key, share in SHARES.items()}


def _tokens(env: dict[str, str]) -> dict[str, str]:
    """Real Fernet tokens under the bench's key, made once and reused by every encrypted column."""
    from cryptography.fernet import Fernet

    fernet = Fernet(env["RINGBACK_ENCRYPTION_KEYS"].split(",")[0])
    return {"tok": fernet.encrypt(b"+12125550123").decode(),
            "tok_text": fernet.encrypt(b"Hi, this is Bench calling about the cart you left.").decode(),
            "tok_big": fernet.encrypt(json.dumps(_checkout_payload()).encode()).decode(),
            "items": json.dumps(_checkout_payload()["line_items"])}


def _create_shop(engine, domain: str, tokens: dict[str, str]) -> int:
    import sqlalchemy as sa

    with engine.begin() as conn:
        shop_id = conn.execute(sa.text(
            f"INSERT INTO shops (domain, name, scopes, installed_at, created_at, updated_at) "
            f"VALUES (:domain, 'Bench', 'read_orders', {T0}, {T0}, {T0}) RETURNING id"),
            {"domain": domain}).scalar_one()
        conn.execute(sa.text(f"INSERT INTO shop_settings (shop_id, values, updated_at) "
                             f"VALUES ({shop_id}, '{{}}', {T0})"))
        conn.execute(sa.text(f"INSERT INTO shop_tokens (shop_id, access_token, scope, updated_at) "
                             f"VALUES ({shop_id}, :tok, 'read_orders', {T0})"), tokens)
    return shop_id


def _new_erased_shop(engine, tokens: dict[str, str], rows: int, run: int) -> Seed:
    domain = f"bench-erased-{run}.myshopify.com"
    return Seed(_create_shop(engine, domain, tokens), domain, f"e{run}", _plan(rows))


def _seed(engine, seeds: list[Seed], tokens: dict[str, str]) -> None:
    """Every table in slices, the shops alternating; FK triggers off while seeding (the data is
    consistent by construction: each reference points into the referenced table's seeded range)."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        next_id = {}
        for seed in seeds:
            for key, n in seed.counts.items():
                table = _table(key)
                if table not in next_id:
                    top = conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
                    next_id[table] = top
                seed.ranges[key] = (next_id[table] + 1, next_id[table] + n)
                next_id[table] += n
        for part in range(SLICES):
            for seed in seeds:
                for key, n in seed.counts.items():
                    lo, hi = n * part // SLICES + 1, n * (part + 1) // SLICES
                    if lo <= hi:
                        conn.execute(sa.text(_seed_sql(key, seed, lo, hi)), tokens)
        for table in next_id:
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
        for seed in seeds:
            if seed.tag.startswith("e"):  # the delivery that asked for the erasure: erase_shop keeps it
                conn.execute(sa.text(
                    "INSERT INTO webhook_deliveries (webhook_id, topic, shop_domain, received_at, "
                    f"payload_bytes, status, attempts) VALUES ('redact-{seed.tag}', 'shop/redact', "
                    f"'{seed.domain}', {T0}, 60, 'processed', 1)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))


def _table(key: str) -> str:
    return "suppressions" if key == "sender_suppressions" else key


def _seed_sql(key: str, seed: Seed, lo: int, hi: int) -> str:
    """`INSERT … SELECT … FROM generate_series(lo, hi) AS g` for rows lo..hi of one key of one shop.

    Only our own integers and tags are formatted in; the tokens are bound. Columns a shop erasure
    does not look at, and that are nullable (customer keys, for one), are left out."""
    n, base = seed.counts, {k: r[0] - 1 for k, r in seed.ranges.items()}
    tag, shop = seed.tag, seed.shop_id
    checkout = f"((g - 1) % {n['checkouts']} + 1)"   # the checkout (and shopper) a row belongs to
    attempt = f"((g - 1) % {n['contact_attempts']} + 1)"
    call = f"((g - 1) % {n['calls']} + 1)"

    def hashed(kind: str, of: str) -> str:
        return f"encode(sha256(convert_to('{tag}-{kind}-' || {of}, 'UTF8')), 'hex')"

    def at(offset: str = "g") -> str:
        return f"{T0} + make_interval(secs => {offset})"

    phone, email = hashed("phone", checkout), hashed("email", checkout)
    select = {
        "checkouts": f"""
            (id, shop_id, token, cart_token, shopify_id, email, phone, first_name, last_name,
             email_hash, phone_hash, recovery_url, line_items, currency, presentment_currency,
             subtotal_price, total_price, shop_total_price, customer_locale, country_code, province_code,
             shopify_created_at, shopify_updated_at, completed_at, holdout, created_at, updated_at)
            SELECT {base['checkouts']} + g, {shop}, 'tok-{tag}-' || g, 'cart-{tag}-' || g, 5000000000 + g,
                   :tok, :tok, :tok, :tok, {email}, {phone}, :tok, CAST(:items AS json), 'USD',
                   'USD', 89.00, 96.50, 96.50, 'en-US', 'US', 'NY', {at()}, {at()},
                   CASE WHEN g % 5 = 0 THEN {at('g + 3600')} END, g % 10 = 0, {at()}, {at()}""",
        "contact_attempts": f"""
            (id, checkout_id, shop_id, seq, channel, scheduled_at, status, outcome, phone, phone_hash,
             dispatched_at, finished_at, created_at, updated_at)
            SELECT {base['contact_attempts']} + g, {base['checkouts']} + {checkout}, {shop},
                   (g - 1) / {n['checkouts']} + 1, CASE WHEN g % 3 = 0 THEN 'sms' ELSE 'call' END,
                   {at()}, 'completed', 'no_answer', :tok, {phone}, {at()}, {at()}, {at()}, {at()}""",
        "calls": f"""
            (id, shop_id, checkout_id, attempt_id, sid, status, phone, phone_hash, language,
             duration_seconds, outcome, dial_tries, requested_at, agent_state, recording_sid,
             recording_duration_seconds, reported, created_at, answered_at, ended_at, updated_at)
            SELECT {base['calls']} + g, {shop}, {base['checkouts']} + ({attempt} - 1) % {n['checkouts']} + 1,
                   {base['contact_attempts']} + {attempt},
                   CASE WHEN g % 10 <> 0 THEN 'CA' || md5('{tag}-call-' || g) END, 'completed', :tok,
                   {phone}, 'en', 42, 'declined', 1, {at()}, CAST('{{}}' AS json),
                   CASE WHEN g % 3 = 0 THEN 'RE' || md5('{tag}-rec-' || g) END, 40, true, {at()},
                   {at()}, {at()}, {at()}""",
        "call_turns": f"""
            (id, call_id, seq, role, text, intent, at)
            SELECT {base['call_turns']} + g, {base['calls']} + {call}, (g - 1) / {n['calls']},
                   CASE WHEN g % 2 = 0 THEN 'shopper' ELSE 'agent' END, :tok_text, NULL, {at()}""",
        "messages": f"""
            (id, shop_id, checkout_id, attempt_id, call_id, direction, kind, phone, phone_hash, body, sid,
             status, send_tries, requested_at, created_at, updated_at)
            SELECT {base['messages']} + g, {shop}, {base['checkouts']} + {checkout},
                   {base['contact_attempts']} + {checkout},
                   CASE WHEN g % 10 = 0 THEN {base['calls']} + {call} END,
                   CASE WHEN g % 4 = 0 THEN 'inbound' ELSE 'outbound' END, 'recovery', :tok, {phone},
                   :tok_text, CASE WHEN g % 5 <> 0 THEN 'SM' || md5('{tag}-sms-' || g) END, 'delivered', 1,
                   {at()}, {at()}, {at()}""",
        "orders": f"""
            (id, shop_id, shopify_id, checkout_token, cart_token, email_hash, phone_hash,
             total_price, currency, ordered_at, checkout_id, match_kind, created_at)
            SELECT {base['orders']} + g, {shop}, 6000000000 + g, 'tok-{tag}-' || {checkout},
                   'cart-{tag}-' || {checkout}, {email}, {phone}, 96.50, 'USD',
                   {at()}, {base['checkouts']} + {checkout}, 'checkout_token', {at()}""",
        "recoveries": f"""
            (id, shop_id, checkout_id, order_id, attempt_id, channel, match_kind, holdout, touched_at,
             ordered_at, revenue, currency, created_at)
            SELECT {base['recoveries']} + g, {shop}, {base['checkouts']} + g, {base['orders']} + g,
                   {base['contact_attempts']} + g, 'call', 'checkout_token', false, {at()}, {at()}, 96.50,
                   'USD', {at()}""",
        "recovery_clicks": f"""
            (id, checkout_id, attempt_id, clicked_at)
            SELECT {base['recovery_clicks']} + g, {base['checkouts']} + {checkout},
                   {base['contact_attempts']} + {checkout}, {at()}""",
        "consent_events": f"""
            (id, shop_id, checkout_token, checkout_id, topic, source, channels, granted, wording,
             consented_at, consented_at_source, phone_e164, phone_hash, phone_status, email_hash,
             webhook_delivery_id, recorded_at)
            SELECT {base['consent_events']} + g, {shop}, 'tok-{tag}-' || {checkout}, 5000000000 + {checkout},
                   'checkouts/update', 'checkout_extension', 'call,sms', true, 'Bench may call or text me.',
                   {at()}, 'attribute', :tok, {phone}, 'valid', {email}, {base['consent_events']} + g,
                   {at()}""",
        "webhook_deliveries": f"""
            (id, webhook_id, event_id, topic, shop_domain, api_version, triggered_at, received_at, payload,
             payload_bytes, status, attempts, processed_at)
            SELECT {base['webhook_deliveries']} + g, 'seed-{tag}-' || g, 'event-{tag}-' || g,
                   CASE WHEN g % 7 = 0 THEN 'orders/create' ELSE 'checkouts/update' END, '{seed.domain}',
                   '2025-10', '2026-11-01T00:00:00Z', {at()}, CASE WHEN g % 10 = 0 THEN :tok_big END, 2100,
                   CASE WHEN g % 10 = 0 THEN 'dead' ELSE 'processed' END, 1, {at()}""",
        "suppressions": f"""
            (id, shop_id, phone_hash, phone_e164, channel, reason, source, created_at)
            SELECT {base['suppressions']} + g, {shop}, {phone}, :tok, 'all', 'stop_keyword', 'sms', {at()}""",
        # Sender-wide opt-outs (no shop) by this shop's shoppers: erase_shop keeps them, number cleared.
        "sender_suppressions": f"""
            (id, shop_id, phone_hash, phone_e164, channel, reason, source, created_at)
            SELECT {base['sender_suppressions']} + g, NULL, {phone}, :tok, 'sms', 'stop_keyword', 'sms',
                   {at()}""",
        "restrictions": f"""
            (id, shop_id, email_hash, phone_hash, created_at)
            SELECT {base['restrictions']} + g, {shop}, {email}, {phone}, {at()}""",
        "data_requests": f"""
            (id, shop_id, shopify_request_id, email_hash, phone_hash, export, record_count,
             status, created_at, expires_at)
            SELECT {base['data_requests']} + g, {shop}, 'dr-' || g, {email}, {phone},
                   :tok_text, 12, 'ready', {at()}, {at('g + 2592000')}""",
    }[key]
    return (f"INSERT INTO {_table(key)} {select.strip()}\n"
            f"FROM generate_series(CAST({lo} AS bigint), CAST({hi} AS bigint)) AS g")


def _mark_redact(engine, shop_id: int) -> None:
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE shops SET redact_requested_at = now() AT TIME ZONE 'UTC' "
                             f"WHERE id = {shop_id}"))


# -- the erasure under load ------------------------------------------------------------------------

def _erase_under_load(wrk: str, port: int, args, scratch: Path, env: dict[str, str], body: bytes,
                      signature: str, seed: Seed, prefix: str) -> Erasure:
    """erase_shop in its own process; wrk on the other shop from the moment it starts until it returns."""
    profile = str(scratch / f"{prefix}.prof") if args.profile else ""
    with open(scratch / f"{prefix}.stderr", "w") as errors:
        # `-c` in ROOT: the app imports from the checkout, as `flask --app app` would.
        eraser = subprocess.Popen([sys.executable, "-c", ERASER, str(seed.shop_id), str(args.batch), profile],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        if eraser.stdout.readline().strip() != "started":
            eraser.wait()
            sys.exit(f"the erasure did not start:\n{(scratch / f'{prefix}.stderr').read_text()}")
        load = subprocess.Popen(
            [wrk, "-t", "2", "-c", str(args.connections), "-d", f"{ERASE_TIMEOUT}s", "--latency",
             "-s", str(scratch / "deliveries.lua"), f"http://127.0.0.1:{port}/webhooks", "--",
             body.decode(), signature, f"{prefix}-{uuid.uuid4().hex[:6]}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = eraser.stdout.readline()  # the result, printed the moment erase_shop returns
        load.send_signal(signal.SIGINT)  # wrk stops and reports what it measured so far
        output = load.communicate(timeout=60)[0]
        eraser.wait(timeout=60)
    if not line:
        sys.exit(f"the erasure failed:\n{(scratch / f'{prefix}.stderr').read_text()}")
    result = json.loads(line)
    if profile:
        _print_profile(profile)
    return Erasure(seconds=result["seconds"], counts=result["counts"], statements=result["statements"],
                   load=_parse(output), load_output=output, prefix=prefix)


def _parse(out: str) -> Run | None:
    """wrk's report, read as `webhook_ingest._load` reads it; None when it measured nothing."""
    import re

    try:
        return Run(requests=int(re.search(r"(\d+) requests in", out).group(1)),
                   non_2xx=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
                   else 0,
                   per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                   p50_ms=_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
                   p99_ms=_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)))
    except AttributeError:
        return None


def _vacuum(engine) -> None:
    """autovacuum may be off (it is on the bench machine): clear the erasure's dead rows before the
    next baseline, so that it measures intake and not the erasure's aftermath."""
    import sqlalchemy as sa

    started = time.monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE)"))
    print(f"VACUUM (ANALYZE) after the erasure: {time.monotonic() - started:.1f} s "
          "(not part of either measurement)")


# -- checks ----------------------------------------------------------------------------------------

def _seed_counts(engine, seed: Seed) -> dict[str, int]:
    """Rows still present per seeded key, found by the id ranges they were given."""
    import sqlalchemy as sa

    counts = {}
    with engine.connect() as conn:
        for key, (lo, hi) in seed.ranges.items():
            where = f"id BETWEEN {lo} AND {hi}"
            counts[key] = conn.execute(sa.text(f"SELECT count(*) FROM {_table(key)} WHERE {where}")).scalar()
    return counts


def _print_counts(engine, erased: Seed, other: Seed) -> None:
    a, b = _seed_counts(engine, erased), _seed_counts(engine, other)
    print(f"{'table':<22} {'erased shop':>12} {'other shop':>12}")
    for key in SHARES:
        print(f"{key:<22} {a[key]:>12} {b[key]:>12}")
    total = [sum(v for k, v in c.items() if k != "sender_suppressions") for c in (a, b)]
    print(f"{'total (own rows)':<22} {total[0]:>12} {total[1]:>12}   "
          "(+ shop, settings, token each; sender_suppressions have no shop)")


def _twilio_resources(engine, shop_id: int) -> int:
    """The sids erase_shop must hand to the Twilio deletion outbox: calls, recordings, messages."""
    return _scalar(engine, f"SELECT (SELECT count(sid) + count(recording_sid) FROM calls "
                           f"WHERE shop_id = {shop_id}) "
                           f"+ (SELECT count(sid) FROM messages WHERE shop_id = {shop_id})")


def _scalar(engine, sql: str):
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def _verify_erased(engine, seed: Seed, erasure: Erasure, expected_deletions: int) -> bool:
    """Nothing of the erased shop is left (by seeded id, and in any table with a shop_id); its Twilio
    resources are queued for deletion; sender-wide opt-outs of its shoppers keep only the hash."""
    left = {k: v for k, v in _seed_counts(engine, seed).items() if k != "sender_suppressions" and v}
    tables = [t for (t,) in _rows(engine, "SELECT table_name FROM information_schema.columns "
                                  "WHERE column_name = 'shop_id' AND table_schema = 'public' "
                                  "AND table_name <> 'twilio_deletions'")]
    for table in tables:
        if n := _scalar(engine, f"SELECT count(*) FROM {table} WHERE shop_id = {seed.shop_id}"):
            left[f"{table} (by shop_id)"] = n
    if _scalar(engine, f"SELECT count(*) FROM shops WHERE id = {seed.shop_id}"):
        left["shops"] = 1
    kept = _scalar(engine, f"SELECT count(*) FROM webhook_deliveries WHERE shop_domain = '{seed.domain}'")
    lo, hi = seed.ranges["sender_suppressions"]
    cleared = _scalar(engine, f"SELECT count(*) FROM suppressions WHERE id BETWEEN {lo} AND {hi} "
                              "AND phone_e164 IS NULL")
    scheduled = _scalar(engine, f"SELECT count(*) FROM twilio_deletions WHERE shop_id = {seed.shop_id}")
    deleted = sum(erasure.counts.values())
    print(f"check: erased shop rows left: {left or 'none'} "
          f"(in {len(tables)} tables with a shop_id, and by seeded id); "
          f"its webhook_deliveries left: {kept} (the shop/redact delivery itself, kept by design)")
    print(f"check: sender-wide suppressions of its shoppers with the number cleared: {cleared} of "
          f"{hi - lo + 1}; Twilio deletions scheduled: {scheduled} of {expected_deletions} sids; "
          f"erase_shop reported {deleted} rows")
    return not left and kept == 1 and cleared == hi - lo + 1 and scheduled == expected_deletions


def _rows(engine, sql: str):
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def _verify_other(engine, other: Seed, before: dict[str, int], baselines, erasures, args) -> bool:
    """The other shop's seeded rows are all there, and each wrk run's 2xx answers are stored rows
    (ids are unique; up to one request per connection may have been stored after wrk stopped)."""
    after = _seed_counts(engine, other)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    print(f"check: other shop's seeded rows changed: {changed or 'none'} ({sum(after.values())} rows)")
    ok = not changed
    runs = [(p, r) for p, r in baselines] + [(e.prefix, e.load) for e in erasures if e.load]
    for prefix, run in runs:
        accepted = run.requests - run.non_2xx
        stored = _scalar(engine, "SELECT count(*) FROM webhook_deliveries "
                                 f"WHERE webhook_id LIKE '{prefix}-%' AND shop_domain = '{other.domain}'")
        fine = accepted <= stored <= accepted + args.connections
        ok &= fine
        print(f"check: {prefix:<7} answered 2xx {accepted:>6}, stored {stored:>6} "
              f"({'every 2xx stored' if fine else 'MISMATCH'})")
    return ok


# -- reports ---------------------------------------------------------------------------------------

def _report_erasure(run: int, erasure: Erasure, seed: Seed, args) -> None:
    total = sum(erasure.counts.values())
    print(f"\nerasure run {run}: erase_shop took {erasure.seconds:.1f} s for {total} rows "
          f"({total / erasure.seconds:.0f} rows/s), batch {args.batch or 'SHOP_BATCH'}"
          f"{' (under cProfile)' if args.profile else ''}")
    print("rows deleted per table (erase_shop's return): "
          + ", ".join(f"{k} {v}" for k, v in erasure.counts.items()))
    unreported = {k: n for k, n in seed.counts.items()
                  if k != "sender_suppressions" and erasure.counts.get(k) != n}
    if unreported:
        print(f"seeded but not (all) in those counts: {unreported} (the rest goes by ON DELETE CASCADE "
              "with the shops row; the checks below find what is left)")
    shapes = sorted(erasure.statements.items(), key=lambda item: -item[1][1])
    in_sql = sum(s[1] for s in erasure.statements.values())
    print(f"time inside cursor.execute (server, round trip, and psycopg turning the query's placeholders "
          f"into PostgreSQL's): {in_sql:.1f} s of {erasure.seconds:.1f} s; the costliest statements:")
    print(f"  {'total s':>8} {'n':>5} {'mean ms':>8} {'max ms':>8}  statement")
    for sql, (count, seconds, longest) in shapes[:10]:
        text = sql if len(sql) <= 110 else sql[:107] + "..."
        print(f"  {seconds:>8.2f} {count:>5} {seconds / count * 1000:>8.1f} {longest * 1000:>8.1f}  {text}")
    if erasure.load is None:
        print(f"wrk measured nothing during the erasure:\n{erasure.load_output}")


def _print_profile(path: str) -> None:
    out = StringIO()
    pstats.Stats(path, stream=out).sort_stats("cumulative").print_stats(25)
    print("cProfile of erase_shop (cumulative):")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def _report_intake(baselines: list[tuple[str, Run]], erasures: list[Erasure], args) -> None:
    print(f"\nother shop's intake (POST /webhooks, checkouts/update, unique ids): gunicorn "
          f"{args.workers} sync workers, wrk {args.connections} connections; baselines {args.seconds} s "
          "each, interleaved with the erasure runs")
    print(f"{'run':<8} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    order = []  # as they ran: baseline, erasure, baseline, ...
    for i, (prefix, run) in enumerate(baselines):
        order.append((prefix, float(args.seconds), run))
        if i < len(erasures) and erasures[i].load:
            order.append((erasures[i].prefix, erasures[i].seconds, erasures[i].load))
    for prefix, seconds, run in order:
        print(f"{prefix:<8} {seconds:>8.1f} {run.per_second:>8.0f} {run.p50_ms:>8.1f} {run.p99_ms:>8.1f} "
              f"{run.non_2xx:>8}")
    base_p99 = sum(r.p99_ms for _, r in baselines) / len(baselines)
    base_p50 = sum(r.p50_ms for _, r in baselines) / len(baselines)
    for erasure in erasures:
        if erasure.load is None:
            continue
        ratio = erasure.load.p99_ms / base_p99
        print(f"{erasure.prefix}: p50 {erasure.load.p50_ms:.1f} ms vs {base_p50:.1f} ms, "
              f"p99 {erasure.load.p99_ms:.1f} ms vs {base_p99:.1f} ms (mean of the baselines): "
              f"{ratio:.2f}x (goal <= {GOAL_P99_RATIO}x: {'met' if ratio <= GOAL_P99_RATIO else 'NOT met'}); "
              f"erasure {erasure.seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s: "
              f"{'met' if erasure.seconds < GOAL_SECONDS else 'NOT met'})")


if __name__ == "__main__":
    sys.exit(main())
