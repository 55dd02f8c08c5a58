"""Ringback: recovers abandoned Shopify checkouts with consented AI calls and texts."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """The application factory: config, extensions, blueprints, handlers, commands."""
    from app import config as app_config

    settings = app_config.load(config)
    app = Flask(__name__, instance_path=settings.INSTANCE_PATH)
    app.config.from_mapping(settings.flask_config())

    register_extensions(app)
    register_blueprints(app)
    register_webhook_handlers()
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import crypto, jobs, logs
    from app.extensions import db, migrate

    logs.configure(app)
    crypto.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    jobs.init_app(app)
    _import_models()


def register_blueprints(app: Flask) -> None:
    from app import api, health
    from app.api import openapi  # noqa: F401 - registers /api/openapi.json
    from app.home.routes import bp as home_bp
    from app.shopify.oauth import bp as oauth_bp
    from app.shopify.webhooks.routes import bp as webhooks_bp

    api.register_routes()
    for blueprint in (health.bp, home_bp, oauth_bp, webhooks_bp, api.bp):
        app.register_blueprint(blueprint)
    if app.config["SANDBOX"]:
        from app.sandbox_mode import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)


def register_webhook_handlers() -> None:
    """Import the modules whose `@handles(topic)` functions process webhooks."""
    from app.shopify.webhooks import handlers  # noqa: F401


def register_error_handlers(app: Flask) -> None:
    from app.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_commands as register

    register(app)


def _import_models() -> None:
    """Every model, so metadata (migrations, the personal-data registry) sees all tables."""
    from app import models  # noqa: F401


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
