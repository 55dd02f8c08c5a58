"""The agent the app is configured with (RINGBACK_AGENT), built once per app, for calls and texts.

Kept out of `app.agent`, which stays free of Flask.
"""

from __future__ import annotations

from flask import current_app

from app import agent

AGENT_KEY = "ringback.agent"


def current_agent() -> agent.Agent:
    """The configured agent, built once per process (never at import time)."""
    app = current_app._get_current_object()
    if AGENT_KEY not in app.extensions:
        cfg = app.config
        options = {}
        if cfg["RINGBACK_AGENT"] == "openai":
            # Some OpenAI-compatible servers take no key; the SDK insists on one.
            options = {"api_key": cfg["OPENAI_API_KEY"] or "none", "base_url": cfg["OPENAI_BASE_URL"] or None,
                       "model": cfg["RINGBACK_LLM_MODEL"],
                       "timeout_seconds": float(cfg["RINGBACK_LLM_TIMEOUT_SECONDS"])}
        app.extensions[AGENT_KEY] = agent.get_agent(cfg["RINGBACK_AGENT"], **options)
    return app.extensions[AGENT_KEY]
