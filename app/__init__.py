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
    from app.extensions import NoCookieSession, db, migrate

    app.session_interface = NoCookieSession()
    logs.configure(app)
    crypto.init_app(app)
    db.init_app(app)
    _configure_sqlite(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    jobs.init_app(app)
    _import_models()


def register_blueprints(app: Flask) -> None:
    from app import api, health
    from app.api import openapi  # noqa: F401 - registers /api/openapi.json
    from app.dashboard.routes import bp as dashboard_bp
    from app.home.routes import bp as home_bp
    from app.recovery.links import bp as recovery_links_bp
    from app.shopify.oauth import bp as oauth_bp
    from app.shopify.webhooks import routes as webhook_routes
    from app.sms.routes import bp as sms_bp
    from app.voice.routes import bp as voice_bp

    api.register_routes()
    for blueprint in (health.bp, home_bp, dashboard_bp, oauth_bp, api.bp, recovery_links_bp,
                      voice_bp, sms_bp):
        app.register_blueprint(blueprint)
    webhook_routes.install(app)  # POST /webhooks, answered in front of Flask (see the module)
    if app.config["SANDBOX"]:
        from app.sandbox_mode import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)


def register_webhook_handlers() -> None:
    """Import the modules whose `@handles(topic)` functions process webhooks, and the channels'
    senders (`@channels.register`)."""
    from app.privacy import handlers as privacy_handlers  # noqa: F401
    from app.recovery import intake  # noqa: F401
    from app.shopify.webhooks import handlers  # noqa: F401
    from app.sms import sender  # noqa: F401
    from app.voice import dialer  # noqa: F401


def register_error_handlers(app: Flask) -> None:
    from app.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_commands as register

    register(app)


def _configure_sqlite(app: Flask) -> None:
    """Make SQLite behave like the PostgreSQL the app is built for: real transactions, cascades."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        # WAL: readers never block a writer (the web app, the worker and token refresh share the
        # file); foreign keys: ON DELETE CASCADE must hold here as it does on PostgreSQL.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


def _import_models() -> None:
    """Every model, so metadata (migrations, the personal-data registry) sees all tables."""
    from app import models  # noqa: F401


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
