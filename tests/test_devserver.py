"""`make run`'s server: migrations, then web + worker + sandbox, answering on its port."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.test_cli import Processes, free_port, production_env_without_secrets, stop_group, stopped

ROOT = Path(__file__).resolve().parents[1]
DEVSERVER = [sys.executable, "-m", "app.devserver"]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


@pytest.fixture
def sandbox_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_URL"))}
    env.update({
        "PORT": str(free_port()),
        "RINGBACK_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
        "RINGBACK_QUEUE": f"ringback-devserver-{uuid.uuid4().hex[:8]}",
        "APP_ENV": "development",
    })
    return env


@pytest.fixture
def spawn():
    """Starts a process (args, env) and returns it with its Output; stops it after the test."""
    processes = Processes()
    yield processes.start
    processes.stop_all()


def test_make_run_serves_healthz_and_the_sandbox_home_page(sandbox_env):
    _migrate(sandbox_env)
    server = subprocess.Popen(DEVSERVER, cwd=ROOT, env=sandbox_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{sandbox_env['PORT']}"
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not come up")
        home = httpx.get(base + "/", timeout=5)
        assert home.status_code == 200
        assert "Ringback Demo Store" in home.text
        assert "Shopify and Twilio are local simulators" in home.text
        assert "frame-ancestors" in home.headers["Content-Security-Policy"]
        token = httpx.get(base + "/sandbox/id-token", timeout=5).json()["id_token"]
        shop = httpx.get(base + "/api/shop", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert shop.json()["domain"] == "ringback-demo.myshopify.com"
        called = _a_simulated_checkout_becomes_a_call_with_a_transcript(base)
        if called is not None:
            exported, erased = _the_shoppers_data_can_be_requested_then_erased(base, called["id"])
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert called is not None, "no finished call appeared; the server said:\n" + output[-4000:]
    assert called["outcome"] == "link_sent", called
    said = output[-4000:]
    assert exported is not None and exported["record_count"] > 0, "no data request compiled:\n" + said
    assert erased is not None and erased["transcript"] == [], "the shopper was not erased:\n" + said
    assert server.returncode == 0, output[-2000:]


def _the_shoppers_data_can_be_requested_then_erased(base: str, call_id: int) -> tuple[dict | None, ...]:
    """The sandbox page's privacy buttons: Shopify's data request, then its erasure, as signed webhooks."""
    def api(path: str) -> dict:
        token = httpx.get(base + "/sandbox/id-token", timeout=5).json()["id_token"]
        return httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=5).json()

    def until(check, seconds: float = 20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.5)
        return None

    asked = httpx.post(base + "/sandbox/privacy", json={"action": "data_request"}, timeout=10)
    assert asked.status_code == 202, asked.text
    listed = until(lambda: api("/api/data-requests")["items"])
    exported = api(f"/api/data-requests/{listed[0]['id']}") if listed else None
    assert httpx.post(base + "/sandbox/privacy", json={"action": "redact"}, timeout=10).status_code == 202
    erased = until(lambda: (call := api(f"/api/calls/{call_id}")) and not call["transcript"] and call)
    return exported, erased


def _a_simulated_checkout_becomes_a_call_with_a_transcript(base: str) -> dict | None:
    """The newcomer's path: abandon a checkout on the sandbox page, watch the call appear."""
    simulated = httpx.post(base + "/sandbox/checkouts", json={"persona": "interested", "language": "en"},
                           timeout=10)
    assert simulated.status_code == 202, simulated.text
    deadline = time.monotonic() + 40
    call = None
    while time.monotonic() < deadline:
        token = httpx.get(base + "/sandbox/id-token", timeout=5).json()["id_token"]
        headers = {"Authorization": f"Bearer {token}"}
        calls = httpx.get(base + "/api/calls", headers=headers, timeout=5).json()["items"]
        if calls and calls[0]["outcome"]:
            call = httpx.get(base + f"/api/calls/{calls[0]['id']}", headers=headers, timeout=5).json()
            break
        time.sleep(0.5)
    if call is not None:
        assert call["checkout_token"] == simulated.json()["checkout_token"]
        assert call["transcript"][0]["role"] == "agent"
        assert "Ringback Demo Store" in call["transcript"][0]["text"]
        assert any(turn["role"] == "shopper" for turn in call["transcript"])
    return call


def _migrate(env) -> None:
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=60)


def _children(pid: int, timeout: float = 10) -> list[int]:
    """The processes whose parent is `pid`, once there is one (read from /proc: no procps needed)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # "pid (command) state ppid …": the command may hold spaces and parentheses.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _group_is_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_devserver_reports_a_stopped_worker_and_exits_nonzero(sandbox_env, spawn):
    _migrate(sandbox_env)
    server, output = spawn(DEVSERVER, sandbox_env)
    output.wait_for("Ringback on", timeout=45)
    (worker,) = _children(server.pid)
    os.kill(worker, signal.SIGKILL)
    try:
        assert server.wait(timeout=15) == 1
        # Its scheduler, which a killed worker leaves behind, is stopped with it.
        assert _group_is_gone(worker)
    finally:
        stop_group(worker)
    output.wait_for("Error: the worker stopped (killed by SIGKILL), so no background job")
    assert "run `make run` again" in output.text


def test_devserver_says_up_front_when_redis_is_unreachable(sandbox_env, spawn):
    port = free_port()
    sandbox_env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    _migrate(sandbox_env)
    server, output = spawn(DEVSERVER, sandbox_env)
    output.wait_for("Ringback on", timeout=45)
    output.wait_for(f"Redis at 127.0.0.1:{port} is unreachable (ConnectionError); retrying in 1s")
    base = f"http://127.0.0.1:{sandbox_env['PORT']}"
    assert httpx.get(base + "/healthz", timeout=5).status_code == 200
    text = output.text
    warning = text.index(f"Warning: Redis at 127.0.0.1:{port} is unreachable (ConnectionError). "
                         "The web app serves, but no background job runs until Redis is up")
    assert warning < text.index("Ringback on")
    assert "Traceback" not in text
    assert server.poll() is None
    assert stopped(server) == 0


def test_devserver_prints_a_config_error_in_one_line(tmp_path):
    result = subprocess.run(DEVSERVER, cwd=ROOT, env=production_env_without_secrets(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("Error: production refuses to start without: ")
