"""Server time per conversational turn: a Twilio <Gather> callback in, the next TwiML out.

    .venv/bin/python bench/voice_turn.py [--turns 1000] [--blocks 10] [--profile]

Ringback: `POST /twilio/voice/turn?call=<id>` on the real app (signature check, call row lock, rules
agent, turns recorded, TwiML rendered) against a scratch PostgreSQL database of consenting shoppers
whose calls are in progress. Baseline: a bare Flask app in this script with one route that checks the
same signature with twilio's RequestValidator and answers a fixed <Gather><Say>. Both are driven
in-process through their WSGI test clients, interleaved in blocks; time = the request alone.
Everything lives in its own database and Redis queue name, removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask, Response, abort, request  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
APP_URL = "https://ringback.test"
TURN_PATH = "/twilio/voice/turn"
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "bench-auth-token-" + uuid.uuid4().hex
# The stated goal for a turn's server time (Twilio waits on it while the line is silent).
GOAL_P99_MS = 20.0
WARMUP = 50
# The agent ends a call after 8 shopper turns (agent.Context.max_turns); stay well below it. The mix
# keeps the call going: a question answered, then an unclear line (one reprompt, reset by the next).
UTTERANCES = ("Are you a robot?", "Who is this?", "Can you repeat that?", "What is this about?",
              "Is this a bot?")
TURNS_PER_CALL = len(UTTERANCES)
PHONE_PREFIX, COUNTRY, PROVINCE = "+1212555", "US", "NY"
MAX_CALLS = 10_000  # one distinct number per call: 4 digits after the prefix
BASELINE_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="{action}" actionOnEmptyResult="true" '
    'input="speech dtmf" language="en-US" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
    '<Say language="en-US" voice="Polly.Joanna">Yes, I am an automated assistant. How can I help?</Say>'
    "</Gather></Response>"
)
PROFILE_LINES = 30


@dataclass(frozen=True)
class Turn:
    """One signed Twilio request, ready to post (signing is not part of the timed work)."""

    path: str
    form: dict
    headers: dict


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    queue = f"ringback-bench-{uuid.uuid4().hex[:8]}"
    per_block = args.turns // args.blocks
    needed = WARMUP + per_block * args.blocks + (per_block if args.profile else 0)
    calls = -(-needed // TURNS_PER_CALL)
    if calls > MAX_CALLS:
        raise SystemExit(f"--turns too large: {calls} calls needed, at most {MAX_CALLS}")
    with tempfile.TemporaryDirectory(prefix="ringback-bench-") as instance, _database() as url:
        ringback = None
        try:
            ringback = _ringback_app(_config(url, instance, queue))
            seeded = time.perf_counter()
            call_ids = _seed(ringback, calls)
            _answer_all(ringback, call_ids)
            print(f"{calls} calls in progress ({TURNS_PER_CALL} timed turns each at most), answered in "
                  f"{time.perf_counter() - seeded:.1f} s; {args.blocks} blocks of {per_block} turns per app")
            turns = _turns(call_ids)
            baseline = _baseline_app()
            queries = _warm_up(ringback, baseline, turns)
            timings = _interleaved(ringback, baseline, turns, args.blocks, per_block)
            _report(timings, queries)
            if args.profile:
                _profile(ringback, islice(turns, per_block))
        finally:
            if ringback is not None:
                _dispose(ringback)
            _clean_redis(queue)
    return 0


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000, help="timed turns per app (default 1000)")
    parser.add_argument("--blocks", type=int, default=10, help="A/B blocks they are split into (default 10)")
    parser.add_argument("--profile", action="store_true",
                        help="then profile one more block of Ringback turns (cProfile, by cumulative time)")
    args = parser.parse_args()
    if args.blocks < 1 or args.turns < args.blocks:
        parser.error("--turns must be at least --blocks, and --blocks at least 1")
    return args


# -- environment ----------------------------------------------------------------------------------

class _database:
    """A scratch PostgreSQL database of the bench's own, dropped afterwards (migrated by the app)."""

    def __init__(self):
        self.name = f"ringback_bench_{uuid.uuid4().hex[:10]}"

    def __enter__(self) -> str:
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return sa.engine.make_url(PG_ADMIN_URL).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _config(url: str, instance: str, queue: str) -> dict:
    return {"APP_ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": instance, "REDIS_URL": REDIS_URL,
            "RINGBACK_QUEUE": queue, "SECRET_KEY": uuid.uuid4().hex, "SHOPIFY_API_KEY": "bench",
            "SHOPIFY_API_SECRET": uuid.uuid4().hex, "APP_URL": APP_URL,
            "RINGBACK_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "RINGBACK_AGENT": "rules",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": "+14155550100"}


def _ringback_app(config: dict):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def _dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # before the database is dropped


def _clean_redis(queue: str) -> None:
    """Only this run's keys (job ids and periodic keys carry the queue name); never a flush."""
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    keys = list(conn.scan_iter(f"*{queue}*"))
    if keys:
        conn.delete(*keys)
    conn.close()


# -- seed -----------------------------------------------------------------------------------------

def _seed(app, n: int) -> list[int]:
    """One shop and n consenting shoppers, each with a dispatched call attempt and a live call."""
    from app.consent.ledger import record_from_webhook
    from app.consent.suppression import phone_hash
    from app.dbtypes import utcnow
    from app.extensions import db
    from app.recovery.models import AttemptStatus, Checkout, ContactAttempt
    from app.shops.models import Shop, ShopSettings
    from app.shops.settings import validate_update
    from app.voice.models import Call, CallStatus

    with app.app_context():
        now = utcnow()
        shop = Shop(domain="bench.myshopify.com", name="Bench Goods", installed_at=now - timedelta(days=30))
        shop.settings = ShopSettings(values=validate_update({}, {"holdout_percent": 0}))
        db.session.add(shop)
        db.session.flush()
        checkouts = []
        for i in range(n):
            phone, token = f"{PHONE_PREFIX}{i:04d}", f"bench-{i}"
            # Calls only go to shoppers who consented: the turn reads that consent (may we text?).
            record_from_webhook(shop, "checkouts/create", _consent_payload(token, phone, now),
                                delivery_id=None, received_at=now)
            checkouts.append(Checkout(
                shop_id=shop.id, token=token, phone=phone, phone_hash=phone_hash(phone), first_name="Ada",
                line_items=[{"title": "Hat", "quantity": 2, "product_id": 1}], currency="USD",
                total_price=120, customer_locale="en-US", country_code=COUNTRY, province_code=PROVINCE))
        db.session.add_all(checkouts)
        db.session.flush()
        attempts = [ContactAttempt(checkout_id=c.id, shop_id=shop.id, seq=1, channel="call", phone=c.phone,
                                   scheduled_at=now, status=AttemptStatus.DISPATCHED, dispatched_at=now)
                    for c in checkouts]
        db.session.add_all(attempts)
        db.session.flush()
        calls = [Call(shop_id=shop.id, checkout_id=c.id, attempt_id=a.id, status=CallStatus.IN_PROGRESS,
                      sid=_sid(i), phone=c.phone, phone_hash=c.phone_hash, language="en", requested_at=now)
                 for i, (c, a) in enumerate(zip(checkouts, attempts, strict=True))]
        db.session.add_all(calls)
        db.session.commit()
        return [call.id for call in calls]


def _consent_payload(token: str, phone: str, at: datetime) -> dict:
    stamp = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"token": token, "phone": phone, "shipping_address": {"country_code": COUNTRY},
            "updated_at": stamp, "note_attributes": [
                {"name": "ringback_consent", "value": "yes"},
                {"name": "ringback_consent_text", "value": "Bench Goods may call and text me."},
                {"name": "ringback_consent_at", "value": stamp}]}


def _sid(i: int) -> str:
    return "CA" + f"{i:032x}"


def _signed(path: str, form: dict) -> Turn:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(APP_URL + path, form)
    return Turn(path, form, {"X-Twilio-Signature": signature})


def _form(i: int, **extra) -> dict:
    return {"CallSid": _sid(i), "AccountSid": ACCOUNT_SID, "From": "+14155550100",
            "To": f"{PHONE_PREFIX}{i:04d}", "Direction": "outbound-api", "CallStatus": "in-progress", **extra}


def _answer_all(app, call_ids: list[int]) -> None:
    """Twilio's answer request for every call: the opening turns, before any timed turn."""
    client = app.test_client()
    for i, call_id in enumerate(call_ids):
        turn = _signed(f"/twilio/voice/answer?call={call_id}", _form(i))
        _check(client.post(turn.path, data=turn.form, headers=turn.headers), "answer")


def _turns(call_ids: list[int]) -> Iterator[Turn]:
    """Shopper turns that keep each call going, TURNS_PER_CALL per call, then the next call."""
    for i, call_id in enumerate(call_ids):
        for text in UTTERANCES:
            yield _signed(f"{TURN_PATH}?call={call_id}", _form(i, SpeechResult=text, Confidence="0.92"))


# -- the two apps and the runs --------------------------------------------------------------------

def _baseline_app() -> Flask:
    """The floor: Flask, the official signature check, a fixed small TwiML answer."""
    app = Flask("baseline")
    validator = RequestValidator(AUTH_TOKEN)

    @app.post(TURN_PATH)
    def turn():
        query = request.query_string.decode("latin-1")
        url = APP_URL + request.path + (f"?{query}" if query else "")
        if not validator.validate(url, request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        return Response(BASELINE_TWIML.format(action=url.replace("&", "&amp;")), mimetype="text/xml")

    return app


def _timed(client, turns, count: int, name: str) -> list[float]:
    """Milliseconds per request: the WSGI call through the test client, nothing around it."""
    values = []
    for turn in islice(turns, count):
        started = time.perf_counter()
        response = client.post(turn.path, data=turn.form, headers=turn.headers)
        values.append((time.perf_counter() - started) * 1000)
        _check(response, name)
    return values


def _check(response, name: str) -> None:
    """A refused or ended call would time something else: stop the run instead."""
    if response.status_code != 200 or b"<Gather" not in response.data:
        raise SystemExit(f"{name}: unexpected answer {response.status_code}: {response.data[:300]!r}")


def _warm_up(ringback, baseline, turns) -> float:
    """WARMUP untimed requests each; returns Ringback's SQL statements per turn meanwhile."""
    from app.extensions import db

    with ringback.app_context():
        engine = db.engine
    statements = []

    def count(*_):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        _timed(ringback.test_client(), turns, WARMUP, "ringback")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    _timed(baseline.test_client(), _baseline_turns(), WARMUP, "baseline")
    return len(statements) / WARMUP


def _baseline_turns() -> Iterator[Turn]:
    """The same shape of request (a call id in the query, the same form fields), signed the same way."""
    i = 0
    while True:
        yield _signed(f"{TURN_PATH}?call={i + 1}", _form(i, SpeechResult=UTTERANCES[i % TURNS_PER_CALL],
                                                         Confidence="0.92"))
        i += 1


def _interleaved(ringback, baseline, turns, blocks: int, per_block: int) -> dict[str, list[float]]:
    """A B A B …: drift in the machine (other load, CPU clocks) falls on both alike."""
    clients = {"ringback": ringback.test_client(), "baseline": baseline.test_client()}
    sources = {"ringback": turns, "baseline": _baseline_turns()}
    timings: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(blocks):
        for name, client in clients.items():
            timings[name].extend(_timed(client, sources[name], per_block, name))
    return timings


def _profile(ringback, turns) -> None:
    profiler = cProfile.Profile()
    client = ringback.test_client()
    turns = list(turns)
    profiler.enable()
    for turn in turns:
        client.post(turn.path, data=turn.form, headers=turn.headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    # Ringback's own functions only: the framework frames above the view say nothing actionable.
    stats.print_stats(f"^{ROOT / 'app'}/", PROFILE_LINES)
    print(f"\ncProfile of {len(turns)} Ringback turns, app/ functions by cumulative time "
          "(profiling inflates every call; compare the shares, not the times)")
    print(out.getvalue())


# -- report ---------------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _report(timings: dict[str, list[float]], queries: float) -> None:
    print(f"\n{'server time per turn (ms)':<34}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    rows = (("A ringback: /twilio/voice/turn", timings["ringback"]),
            ("B baseline: signed fixed TwiML", timings["baseline"]))
    for name, values in rows:
        cells = "".join(f"{_percentile(values, q):>9.2f}" for q in (50, 95, 99, 100))
        print(f"{name:<34}{len(values):>6}{cells}")
    ratios = "".join(f"{_ratio(timings['ringback'], timings['baseline'], q):>9}" for q in (50, 95, 99, 100))
    print(f"{'ratio A / B':<34}{'':>6}{ratios}")
    p99 = _percentile(timings["ringback"], 99)
    verdict = "meets" if p99 < GOAL_P99_MS else "MISSES"
    print(f"\nRingback p99 {p99:.2f} ms {verdict} the goal of p99 < {GOAL_P99_MS:.0f} ms; "
          f"{queries:.1f} SQL statements per turn")


def _ratio(values: list[float], base: list[float], q: float) -> str:
    denominator = _percentile(base, q)
    return f"{_percentile(values, q) / denominator:.1f}x" if denominator > 0 else "n/a"


if __name__ == "__main__":
    sys.exit(main())
