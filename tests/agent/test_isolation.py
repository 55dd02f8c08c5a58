"""The agent package stands alone: no Flask, Twilio, database or other app module behind it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# `app/__init__.py` is the Flask factory, so a bare `import app.agent` would load Flask through the
# parent package. The probe gives `app` an empty package instead, so only the agent's own imports run.
PROBE = """
import json, sys, types
parent = types.ModuleType("app")
parent.__path__ = [sys.argv[1] + "/app"]
sys.modules["app"] = parent
import app.agent
agent = app.agent.get_agent("openai", api_key="k", base_url="http://127.0.0.1:9/v1", model="m")
print(json.dumps(sorted(sys.modules)))
"""

FORBIDDEN = ("flask", "twilio", "sqlalchemy", "flask_sqlalchemy", "redis", "rq", "werkzeug")


@pytest.mark.promise("phone-shared-only-with-telephony")
def test_agent_package_imports_no_flask_twilio_or_database():
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    modules = json.loads(result.stdout)

    assert not [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert not [m for m in modules if m.startswith("app.") and not m.startswith("app.agent")]
    assert "openai" not in modules  # the SDK loads only when a model is first asked
