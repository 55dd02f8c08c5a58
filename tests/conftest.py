"""Fixtures: a fresh PostgreSQL database per run (or SQLite), real Redis, the Shopify simulator.

RINGBACK_TEST_DB=sqlite runs the same tests on SQLite (the `make run` default).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import upgrade

from app import create_app
from app.extensions import db as _db
from sandbox.shopify_sim import ShopifySimulator, mint_id_token
from sandbox.webhooks import webhook_headers

API_KEY = "test-api-key"
API_SECRET = "test-api-secret-0123456789abcdef0123"
OLD_API_SECRET = "test-old-api-secret-0123456789abcdef"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENCRYPTION_KEY = Fernet.generate_key().decode()


def backend() -> str:
    return os.environ.get("RINGBACK_TEST_DB", "postgresql")


# -- network guard --------------------------------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise RuntimeError(f"test tried to reach the network ({host}); use a local simulator")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any test that tries to reach anything but this machine (Shopify, Twilio, an LLM)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host not in ("localhost",) and not _is_ip(host):
            raise RuntimeError(f"test tried to resolve {host}; use a local simulator")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


# -- database -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of its own for this test run, migrated to head."""
    with empty_database(tmp_path_factory.mktemp("db"), "ringback_test") as url:
        yield url


@contextmanager
def empty_database(directory, prefix: str) -> Iterator[str]:
    """A new, empty database on the backend under test (dropped afterwards): its URL."""
    if backend() == "sqlite":
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def queue_name() -> str:
    return f"ringback-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory, queue_name) -> str:
    app = create_app(_config(database_url, tmp_path_factory.mktemp("instance"), queue_name))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return database_url


def _config(database_url, instance, queue_name, **extra) -> dict:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_OLD_API_SECRET": OLD_API_SECRET,
        "RINGBACK_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "SECRET_KEY": "test-secret-key",
        "REDIS_URL": REDIS_URL,
        "RINGBACK_QUEUE": queue_name,
        "APP_URL": "https://ringback.test",
        "SHOPIFY_RETRY_BASE_SECONDS": 0.001,
        **extra,
    }


@pytest.fixture
def shopify() -> Iterator[ShopifySimulator]:
    """The Shopify simulator on a free loopback port, with one shop."""
    sim = ShopifySimulator(API_KEY, API_SECRET).start()
    sim.add_shop("alpha.myshopify.com", "Alpha Goods", iana_timezone="America/Chicago", currency="USD")
    sim.add_shop("beta.myshopify.com", "Beta Bikes", iana_timezone="Europe/Paris", currency="EUR")
    yield sim
    sim.stop()


@pytest.fixture
def make_app(migrated, tmp_path, queue_name, shopify):
    """Builds an app against the run's database; pass overrides (e.g. a dead REDIS_URL)."""
    apps = []

    def build(**overrides):
        config = _config(migrated, tmp_path / "instance", queue_name,
                         SHOPIFY_ADMIN_URL_TEMPLATE=shopify.url_template)
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    from app.shopify.webhooks import intake

    for app in apps:
        intake.close(app)  # its flusher gives its connection back before the pool goes
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        yield application
        _truncate_all()
        _flush_queue(application)


def _truncate_all() -> None:
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


def _flush_queue(application) -> None:
    from redis.exceptions import RedisError

    from app import jobs

    try:
        conn = jobs.redis()
        # Job ids and periodic keys carry the queue name (jobs.qualified): only this run's keys go.
        keys = list(conn.scan_iter(f"*{application.config['RINGBACK_QUEUE']}*"))
        if keys:
            conn.delete(*keys)
    except RedisError:
        pass


@pytest.fixture
def db(app):
    """The session inside a transaction that is rolled back after the test."""
    connection = _db.engine.connect()
    transaction = connection.begin()
    original = _db.session
    _db.session = _db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint"}
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        transaction.rollback()
        connection.close()
        _db.session = original


@pytest.fixture
def client(app):
    return app.test_client()


# -- builders -------------------------------------------------------------------------------------

@pytest.fixture
def id_token():
    """Builds ID tokens as App Bridge would; override claims or the secret to forge bad ones."""

    def build(shop: str = "alpha.myshopify.com", *, secret: str = API_SECRET, **claims) -> str:
        return mint_id_token(shop, claims.pop("aud", API_KEY), secret, **claims)

    return build


@pytest.fixture
def installed_shop(app, shopify, id_token):
    """Installs a shop through the real token-exchange path against the simulator."""
    from shopify_app import IdTokenDetails

    from app.shopify.install import install_by_token_exchange

    def install(domain: str = "alpha.myshopify.com"):
        import jwt

        token = id_token(domain)
        claims = jwt.decode(token, API_SECRET, algorithms=["HS256"], audience=API_KEY)
        return install_by_token_exchange(domain, IdTokenDetails(True, token, claims))

    return install


@pytest.fixture
def signed_webhook():
    """Headers and body for a webhook signed with the app secret (or another)."""

    def build(topic: str, payload, *, shop: str = "alpha.myshopify.com", secret: str = API_SECRET,
              webhook_id: str | None = None):
        import json

        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return body, webhook_headers(topic, shop, body, secret, webhook_id=webhook_id)

    return build


def settle_webhook_intake(app, seconds: float = 5.0) -> None:
    """Wait until the workers have been told of every delivery the app stored (the intake tells them
    within a few milliseconds of the last batch: app/shopify/webhooks/intake.py)."""
    import time

    from app.shopify.webhooks import intake

    batcher = app.extensions.get(intake.EXTENSION_KEY)
    deadline = time.monotonic() + seconds
    while batcher is not None and (batcher.unannounced() or batcher.waiting()):
        assert time.monotonic() < deadline, "the webhook intake did not settle"
        time.sleep(0.001)


@pytest.fixture
def run_jobs(app):
    """Drains the test queue with a real RQ worker on real Redis (burst mode, no scheduler)."""
    from rq import SimpleWorker

    from app import jobs

    def drain() -> None:
        settle_webhook_intake(app)
        worker = SimpleWorker([jobs.queue()], connection=jobs.redis())
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")

    return drain


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port (threaded, like production)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
