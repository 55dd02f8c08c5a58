"""`flask --app app …` as a newcomer meets it: config errors in one line, a worker that waits for Redis."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import click
import pytest
from redis import Redis
from rq import Queue

from app import create_app
from app.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
# Everything production requires, so a test can start from an environment that has none of it.
PRODUCTION_SECRETS = ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SECRET_KEY", "DATABASE_URL",
                      "RINGBACK_ENCRYPTION_KEYS", "RINGBACK_LOOKUP_KEY", "APP_URL", "HOST")


def free_port() -> int:
    """A loopback port nothing listens on (an unreachable Redis, or one to start there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of a development checkout, with its own instance, database and queue."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHOPIFY_", "DATABASE_URL", "REDIS_URL", "RINGBACK_", "APP_"))}
    env.update({
        "APP_ENV": "development",
        "RINGBACK_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ringback.db'}",
        "RINGBACK_QUEUE": f"ringback-cli-{uuid.uuid4().hex[:8]}",
    })
    env.update(values)
    return env


def production_env_without_secrets(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in app_env(tmp_path).items() if k not in PRODUCTION_SECRETS}
    env["APP_ENV"] = "production"
    return env


class Output:
    """A running process's output (stdout and stderr together), read as it comes."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self._stream = process.stdout
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self._stream:
            with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str | tuple[str, ...], timeout: float = 15, count: int = 1) -> None:
        """Wait until `count` lines contain `text` (or any of several); fail, showing the output,
        after `timeout` s."""
        texts = (text,) if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(any(t in line for t in texts) for line in self.lines) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {text!r} within {timeout}s; output:\n{self.text[-3000:]}")
                self._changed.wait(left)

    @property
    def text(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def close(self) -> None:
        """Once every process writing to it has ended: read the rest, close the pipe."""
        self._reader.join(timeout=5)
        self._stream.close()


class Processes:
    """Processes a test starts, each in a process group of its own, all stopped when it ends."""

    def __init__(self):
        self._started: list[tuple[subprocess.Popen, Output]] = []

    def start(self, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Output]:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, process_group=0)
        self._started.append((process, Output(process)))
        return self._started[-1]

    def stop_all(self) -> None:
        for process, output in self._started:
            stop_group(process.pid, reap=process.poll)
            output.close()


@pytest.fixture
def spawn():
    """Starts a process (args, env) and returns it with its Output; stops it after the test."""
    processes = Processes()
    yield processes.start
    processes.stop_all()


def stop_group(pgid: int, reap=lambda: None, timeout: float = 15) -> None:
    """SIGTERM to a process group; SIGKILL to whatever of it is left after `timeout` seconds.

    `reap` collects the leader's exit status if it is our child (a zombie still counts as there).
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reap()
            os.killpg(pgid, 0)
            time.sleep(0.05)
        os.killpg(pgid, signal.SIGKILL)
    reap()


def stopped(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    """Send `sig` to the process and return its exit status."""
    process.send_signal(sig)
    return process.wait(timeout=timeout)


@pytest.fixture
def redis_server(tmp_path):
    """A Redis of this test's own on a free port, which the test may stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    servers: list[subprocess.Popen] = []

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self) -> None:
            servers.append(subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                 "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
            client = Redis(port=port)
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(Exception):
                    if client.ping():
                        return
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)

        def stop(self) -> None:
            servers[-1].terminate()
            servers[-1].wait(timeout=10)

        def queue(self, name: str) -> Queue:
            return Queue(name, connection=Redis(port=port))

    server = Server()
    server.start()
    yield server
    for process in servers:
        process.kill()
        process.wait(timeout=10)


# -- configuration errors -------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["db", "upgrade"], ["worker"], ["worker", "--burst"],
                                     ["webhooks", "sweep"]], ids=" ".join)
def test_production_without_secrets_prints_one_line_and_exits_nonzero(command, tmp_path):
    result = subprocess.run([*FLASK, *command], cwd=ROOT, env=production_env_without_secrets(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("Error: production refuses to start without: ")
    assert "DATABASE_URL" in result.stderr and "SHOPIFY_API_SECRET" in result.stderr


def test_factory_config_error_is_one_the_flask_command_prints_in_one_line(tmp_path, monkeypatch):
    for name in PRODUCTION_SECRETS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="production refuses to start without") as caught:
        create_app({"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert isinstance(caught.value, click.ClickException)


# -- the worker and Redis -------------------------------------------------------------------------

def test_worker_retries_when_redis_is_unreachable(tmp_path, spawn):
    port = free_port()
    worker, output = spawn([*FLASK, "worker"], app_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0"))
    unreachable = f"Redis at 127.0.0.1:{port} is unreachable (ConnectionError); retrying in"
    output.wait_for(f"{unreachable} 1s")
    output.wait_for(f"{unreachable} 2s")
    assert worker.poll() is None
    assert "Traceback" not in output.text
    assert stopped(worker) == 0


def test_worker_never_shows_the_redis_password(tmp_path, spawn):
    port = free_port()
    env = app_env(tmp_path, REDIS_URL=f"redis://:hunter2-secret@127.0.0.1:{port}/0")
    worker, output = spawn([*FLASK, "worker"], env)
    output.wait_for(f"Redis at 127.0.0.1:{port} is unreachable")
    assert "hunter2" not in output.text


def test_worker_burst_exits_nonzero_in_one_line_when_redis_is_unreachable(tmp_path):
    port = free_port()
    result = subprocess.run([*FLASK, "worker", "--burst"], cwd=ROOT, capture_output=True, text=True,
                            env=app_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0"), timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: Redis at 127.0.0.1:{port} is unreachable (ConnectionError)"


def test_worker_survives_redis_going_away_while_it_runs(tmp_path, spawn, redis_server):
    env = app_env(tmp_path, REDIS_URL=redis_server.url)
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=60)
    worker, output = spawn([*FLASK, "worker"], env)
    output.wait_for("Listening on")
    redis_server.queue(env["RINGBACK_QUEUE"]).enqueue("time.sleep", 1.5)
    output.wait_for("time.sleep(1.5)")
    redis_server.stop()  # while the job runs
    # Either RQ's work() raises once the job is done and our loop takes over, or (when the loss is
    # seen while it waits for the next job) RQ retries by itself: both keep the worker alive.
    output.wait_for(("is unreachable (ConnectionError); retrying in", "could not connect to Redis instance"))
    assert worker.poll() is None

    redis_server.start()
    job = redis_server.queue(env["RINGBACK_QUEUE"]).enqueue("time.sleep", 0)
    deadline = time.monotonic() + 20
    while job.get_status(refresh=True) != "finished":
        assert time.monotonic() < deadline, f"the job never ran; output:\n{output.text[-3000:]}"
        time.sleep(0.2)
    assert stopped(worker) == 0


def leave_a_transaction_open() -> str:
    """A job that reads and returns without committing (what a careless job would do)."""
    from sqlalchemy import text

    from app.extensions import db

    db.session.execute(text("SELECT 1"))
    return "left open"


@pytest.mark.data
def test_worker_ends_the_transaction_a_job_left_open(app):
    from app import jobs
    from app.cli import _new_worker
    from app.extensions import db

    job = jobs.queue().enqueue(leave_a_transaction_open)
    _new_worker().work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert job.get_status(refresh=True) == "finished"
    # The worker's session is clean again: no lock (SQLite's write lock, a row lock) outlives a job.
    assert not db.session().in_transaction()


@pytest.mark.data
def test_refresh_funnels_stores_every_checkout_changed_since_the_last_refresh(app):
    from app.dashboard.models import CheckoutFunnel, FunnelChange
    from app.extensions import db
    from app.recovery.models import Checkout
    from tests.recovery.conftest import make_shop

    shop = make_shop()
    db.session.add_all([Checkout(shop_id=shop.id, token=f"tok-{n}", line_items=[]) for n in range(3)])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["refresh-funnels"])
    assert result.exit_code == 0 and result.output.startswith("refreshed 3 checkouts in ")
    db.session.commit()
    assert db.session.query(FunnelChange).count() == 0 and db.session.query(CheckoutFunnel).count() == 3
