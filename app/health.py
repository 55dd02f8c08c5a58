"""Liveness and readiness probes."""

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import jobs, keys
from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    database = _database_ok()
    checks = {"database": database, "redis": _redis_ok()}
    verdicts = {name: "ok" if ok else "down" for name, ok in checks.items()}
    if database and not keys.lookup_key_matches():
        # Serving with another lookup key would let opt-outs stop matching (app/keys.py).
        verdicts["lookup_key"] = "changed"
    ready = all(verdict == "ok" for verdict in verdicts.values())
    body = {"status": "ready" if ready else "unavailable", "checks": verdicts}
    return jsonify(body), 200 if ready else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _redis_ok() -> bool:
    try:
        return bool(jobs.redis().ping())
    except RedisError:
        return False
