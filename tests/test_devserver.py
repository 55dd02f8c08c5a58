"""`make run`'s server: migrations, then web + worker + sandbox, answering on its port."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sandbox_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_URL"))}
    env.update({
        "PORT": str(_free_port()),
        "RINGBACK_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
        "RINGBACK_QUEUE": f"ringback-devserver-{uuid.uuid4().hex[:8]}",
        "APP_ENV": "development",
    })
    return env


def test_make_run_serves_healthz_and_the_sandbox_home_page(sandbox_env):
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=sandbox_env, check=True,
                   capture_output=True, timeout=60)
    server = subprocess.Popen([sys.executable, "-m", "app.devserver"], cwd=ROOT, env=sandbox_env,
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
        assert "frame-ancestors" in home.headers["Content-Security-Policy"]
        token = httpx.get(base + "/sandbox/id-token", timeout=5).json()["id_token"]
        shop = httpx.get(base + "/api/shop", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert shop.json()["domain"] == "ringback-demo.myshopify.com"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert server.returncode == 0, output[-2000:]
